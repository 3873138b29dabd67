// Reads a database from its files without opening it: the state a read-only open would
// recover, built the way the engine's open and reads build it (lib/engine/engine.ts), but
// writing nothing and taking no lock, so that it works while an application has the
// database open:
//
//   MANIFEST named by CURRENT   -> the current Version (VersionSet.recover reads, never writes)
//   its tables                  -> opened and pinned in a TableCache for the reader's life
//   WALs from its log number on -> replayed into a MemTable, stopping at damage as open does
//   reads                       -> memtable, then tables (get); a MergingIterator of both
//                                  under a DbIterator (scans)
//
// A live writer may move on while this loads: flush a WAL into a table and delete the WAL,
// or compact tables away. Tables are opened (their descriptors held) right after the MANIFEST
// is read, and the load is retried when a file it needed vanished because the MANIFEST moved
// on (see load()), so what is read is one consistent state. Once loaded, later deletions
// cannot affect it: deleted files stay readable through open descriptors.

import { levelError } from '../base/errors'
import type { InternalIterator } from '../base/internal-iterator'
import { BlockCache } from '../cache/lru-cache'
import { TableCache } from '../cache/table-cache'
import { checkVersion, logsToReplay, replayLog } from '../engine/recovery'
import { approximateSize } from '../engine/properties'
import type { Env } from '../env/env'
import { InfoLog } from '../env/info-log'
import { isNotFound } from '../env/io-error'
import { currentFileName, manifestFileName } from '../format/filename'
import { ValueKind } from '../format/internal-key'
import { DbIterator } from '../iterator/db-iterator'
import { LevelIterator } from '../iterator/level-iterator'
import { mergeIterators } from '../iterator/merging-iterator'
import { MemTable } from '../memtable/memtable'
import type { Block } from '../sstable/block'
import type { Table } from '../sstable/table'
import { NUM_LEVELS } from '../version/constants'
import type { FileMeta } from '../version/file-meta'
import type { Version } from '../version/version'
import { VersionSet } from '../version/version-set'
import { applyBatch } from '../wal/write-batch'
import { BATCH_BYTES, BATCH_ENTRIES, type EntryBatch, type EntryStream, type ReadSource, type ScanOptions } from './read-source'

const ATTEMPTS = 10
const BLOCK_CACHE_BYTES = 8 * 1024 * 1024
const EMPTY = Buffer.alloc(0)

interface Loaded {
  version: Version
  tables: TableCache
  pinned: Table[]
  mem: MemTable
  sequence: number
  notes: string[]
}

/** CURRENT's contents and the size of the MANIFEST it names: they change with every edit. */
function manifestMark (env: Env, location: string): string {
  const current = env.readFile(currentFileName(location)).toString('latin1')
  const match = /^MANIFEST-(\d+)\n$/.exec(current)
  const size = match === null ? -1 : env.fileSize(manifestFileName(location, Number(match[1])))
  return `${current.trim()}:${size}`
}

/**
 * The state as of now, or undefined when a writer's edit got in the way (a file it deleted was
 * needed). What makes it consistent: every write not in the MANIFEST's tables is in a WAL
 * from its log number on, and a WAL is deleted only after a later edit; so once the tables are
 * open and the logs read, the result holds every write up to some moment and none after,
 * unless the oldest such log was already gone, which only a later edit explains.
 */
async function load (env: Env, location: string): Promise<Loaded | undefined> {
  const before = manifestMark(env, location)
  const tables = new TableCache(env, location, Infinity, new BlockCache<Block>(BLOCK_CACHE_BYTES))
  const pinned: Table[] = []
  try {
    const versions = new VersionSet(env, location)
    versions.recover()
    const names = env.list(location)
    checkVersion(names, location, versions)
    const version = versions.current
    for (const level of version.files) {
      for (const file of level) pinned.push(tables.acquire(file.number, file.size, file))
    }
    const logs = logsToReplay(names, versions)
    // Its log may be missing only because it was empty (an engine closed it): if the MANIFEST
    // moved on instead, the log was flushed and deleted, and this state would miss its writes.
    if (!logs.includes(versions.logNumber) && manifestMark(env, location) !== before) {
      close(tables, pinned)
      return undefined
    }
    const mem = new MemTable()
    const notes: string[] = []
    let sequence = versions.lastSequence
    let applied = 0
    for (const number of logs) {
      const result = await replayLog(env, location, number, InfoLog.noop(), {
        stopAtDamage: true,
        appliedSequence: applied,
        apply: (batch, first, count) => {
          applyBatch(mem, batch, first)
          sequence = Math.max(sequence, first + count - 1)
        }
      })
      applied = result.appliedSequence
      if (result.damaged) {
        // As open does: replaying past damage would show later writes without earlier ones.
        notes.push(`log #${number} is damaged: read the records before the damage and no later log (see verify)`)
        break
      }
    }
    return { version, tables, pinned, mem, sequence, notes }
  } catch (err) {
    close(tables, pinned)
    // A missing MANIFEST, log or table is what a writer's edit leaves behind: read again.
    if (manifestMark(env, location) !== before) return undefined
    throw err
  }
}

function close (tables: TableCache, pinned: Table[]): void {
  for (const table of pinned) tables.release(table)
  pinned.length = 0
  tables.close()
}

export class DirectReader implements ReadSource {
  readonly how = 'read from its files (the engine has no readOnly option)'
  private closed = false

  private constructor (private readonly state: Loaded) {}

  get notes (): readonly string[] {
    return this.state.notes
  }

  /** Loads the database; retried while a live writer changes it underneath. */
  static async open (env: Env, location: string): Promise<DirectReader> {
    for (let attempt = 1; ; attempt++) {
      try {
        const state = await load(env, location)
        if (state !== undefined) return new DirectReader(state)
      } catch (err) {
        // CURRENT itself may be between its temporary file and its rename.
        if (!isNotFound(err) || attempt >= ATTEMPTS) throw err
      }
      if (attempt >= ATTEMPTS) throw levelError('LEVEL_IO_ERROR', `IO error: ${location} kept changing while being read; try again`)
    }
  }

  async get (key: Buffer): Promise<Buffer | undefined> {
    const { mem, version, tables, sequence } = this.state
    const node = mem.find(key, 0, key.length, sequence)
    if (node !== 0) return mem.kindOf(node) === ValueKind.Value ? Buffer.from(mem.valueOf(node)) : undefined
    let result: Buffer | undefined
    version.forEachFileForGet(key, sequence, (file) => {
      const table = tables.acquire(file.number, file.size, file)
      try {
        const found = table.get(key, sequence, true)
        if (found === undefined) return false
        if (found.kind === ValueKind.Value) result = Buffer.from(found.value)
        return true
      } finally {
        tables.release(table)
      }
    })
    return result
  }

  scan (options: ScanOptions): EntryStream {
    const { mem, version, tables, sequence } = this.state
    const source = { open: (file: FileMeta): InternalIterator => tables.iterator(file, false) }
    const children: InternalIterator[] = [mem.iterator()]
    for (const file of version.files[0]) children.push(new LevelIterator([file], source))
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (version.files[level].length > 0) children.push(new LevelIterator(version.files[level], source))
    }
    const it = new DbIterator(mergeIterators(children), sequence, options, options.reverse)
    return new DirectStream(it, options)
  }

  async bytesBefore (key: Buffer): Promise<number> {
    return approximateSize(this.state.version, this.state.tables, EMPTY, key)
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    close(this.state.tables, this.state.pinned)
  }
}

/** Copies entries out in batches: the iterator's views are only valid until it moves. */
class DirectStream implements EntryStream {
  private left: number

  constructor (private readonly it: DbIterator, private readonly options: ScanOptions) {
    this.left = options.limit ?? Infinity
  }

  async next (): Promise<EntryBatch> {
    const it = this.it
    const batch: EntryBatch = []
    let bytes = 0
    while (batch.length < BATCH_ENTRIES && bytes < BATCH_BYTES && this.left > 0 && it.valid()) {
      const key = Buffer.from(it.key())
      const value = this.options.values ? Buffer.from(it.value()) : undefined
      batch.push([key, value])
      bytes += key.length + (value?.length ?? 0)
      this.left--
      it.advance()
    }
    return batch
  }

  async close (): Promise<void> {
    this.it.close()
  }
}
