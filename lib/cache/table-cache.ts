// Open tables by file number, at most `maxOpenFiles` of them (each holds a file descriptor).
// A table handed out by acquire() is pinned until release(): eviction, whether for capacity
// or because the file was deleted (evict), never closes a pinned table; its close waits for
// the last release. Least recently acquired unpinned tables are closed first. Closing a table
// drops its blocks from the block cache and recycles its cache id.

import { corruption } from '../base/errors'
import type { BlockCacheLike } from '../base/block-cache'
import type { InternalIterator } from '../base/internal-iterator'
import type { Env, RandomAccessFile } from '../env/env'
import { isNotFound } from '../env/io-error'
import { ReadaheadFile } from '../env/readahead-file'
import { legacyTableFileName, tableFileName } from '../format/filename'
import type { Block } from '../sstable/block'
import { type FillCache, Table } from '../sstable/table'
import type { FileBounds } from '../sstable/table-index'
import type { FileMeta } from '../version/file-meta'

interface Slot {
  fileNumber: number
  table: Table
  refs: number
  /** When it was last acquired (a tick of the cache's clock): the least recent closes first. */
  lastUse: number
  /** Out of the cache (deleted file or closed cache): close at the last release. */
  evicted: boolean
}

export class TableCache {
  readonly location: string
  readonly capacity: number
  private readonly blockCache: BlockCacheLike<Block> | undefined
  private readonly env: Env
  // Unevicted slots. Recency is each slot's lastUse rather than the map's order: moving a slot
  // to the end on every acquire (a delete and a set) was most of a get's cost in the cache,
  // and a get acquires one table per level it visits; eviction, which scans, is rare.
  private readonly slots = new Map<number, Slot>()
  private clock = 0
  private readonly byTable = new Map<Table, Slot>()
  private closed = false

  /**
   * `readaheadBytes` > 0: files are read in chunks of that size (readahead-file.ts), for
   * tables that are read from start to end, as a compaction's inputs are.
   */
  constructor (
    env: Env, location: string, maxOpenFiles: number, blockCache: BlockCacheLike<Block> | undefined,
    private readonly readaheadBytes = 0
  ) {
    this.env = env
    this.location = location
    this.capacity = Math.max(1, maxOpenFiles)
    this.blockCache = blockCache
  }

  /** Tables currently open, pinned evicted ones included. */
  get openCount (): number {
    return this.byTable.size
  }

  /**
   * The open table for fileNumber, pinned until release(). fileSize is the MANIFEST's size;
   * `bounds`, its smallest and largest keys, which every block read is checked against.
   */
  acquire (fileNumber: number, fileSize: number, bounds?: FileBounds): Table {
    if (this.closed) throw new Error('TableCache is closed')
    let slot = this.slots.get(fileNumber)
    if (slot !== undefined) {
      slot.lastUse = ++this.clock
      slot.refs++
      return slot.table
    }
    const file = this.openFile(fileNumber)
    const cacheId = this.blockCache !== undefined ? this.blockCache.newId() : 0
    let table: Table
    try {
      table = Table.open(file, fileSize, cacheId, this.blockCache, bounds)
    } catch (err) {
      file.close()
      this.blockCache?.releaseId(cacheId)
      throw err
    }
    slot = { fileNumber, table, refs: 1, lastUse: ++this.clock, evicted: false }
    this.slots.set(fileNumber, slot)
    this.byTable.set(table, slot)
    this.trim()
    return table
  }

  release (table: Table): void {
    const slot = this.byTable.get(table)
    if (slot === undefined || slot.refs <= 0) throw new Error('TableCache: release of a table that is not acquired')
    if (--slot.refs > 0) return
    if (slot.evicted) this.closeSlot(slot)
    else this.trim()
  }

  /** An iterator over the table of `file`, which stays acquired until the iterator is closed. */
  iterator (file: FileMeta, fillCache: FillCache): InternalIterator {
    const table = this.acquire(file.number, file.size, file)
    const inner = table.iterator(fillCache)
    const closeInner = inner.close.bind(inner)
    let released = false
    inner.close = () => {
      closeInner()
      if (!released) {
        released = true
        this.release(table)
      }
    }
    return inner
  }

  /** Numbers of the tables open in the cache (pinned evicted ones aside). */
  fileNumbers (): number[] {
    return Array.from(this.slots.keys())
  }

  /** Forgets fileNumber (its file is being deleted): closed now, or at its last release. */
  evict (fileNumber: number): void {
    const slot = this.slots.get(fileNumber)
    if (slot === undefined) return
    this.slots.delete(fileNumber)
    slot.evicted = true
    if (slot.refs === 0) this.closeSlot(slot)
  }

  /** Closes every unpinned table now and each pinned one at its last release. */
  close (): void {
    this.closed = true
    for (const fileNumber of Array.from(this.slots.keys())) this.evict(fileNumber)
  }

  private trim (): void {
    if (this.slots.size <= this.capacity) return
    while (this.slots.size > this.capacity) {
      let oldest: Slot | undefined
      for (const slot of this.slots.values()) {
        if (slot.refs === 0 && (oldest === undefined || slot.lastUse < oldest.lastUse)) oldest = slot
      }
      if (oldest === undefined) return // every table is pinned
      this.slots.delete(oldest.fileNumber)
      this.closeSlot(oldest)
    }
  }

  private closeSlot (slot: Slot): void {
    this.byTable.delete(slot.table)
    slot.table.close()
    this.blockCache?.releaseId(slot.table.cacheId)
  }

  private openFile (fileNumber: number): RandomAccessFile {
    const file = this.openFileAsIs(fileNumber)
    return this.readaheadBytes > 0 ? new ReadaheadFile(file, this.readaheadBytes) : file
  }

  private openFileAsIs (fileNumber: number): RandomAccessFile {
    const ldb = tableFileName(this.location, fileNumber)
    try {
      return this.env.openRandomAccess(ldb)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
    try {
      return this.env.openRandomAccess(legacyTableFileName(this.location, fileNumber))
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
    throw corruption(ldb, 'missing table file')
  }
}
