// An open table file (leveldb-format.md §6): footer, index block and filter are read once at
// open and kept; data blocks are read on demand through the block cache. Every block read
// verifies its CRC, so damage surfaces as a LEVEL_CORRUPTION error naming the file rather
// than as wrong data. All reads are synchronous (RandomAccessFile.read): gets must work from
// getSync and from worker threads alike.

import { corruption } from '../base/errors'
import type { BlockCacheLike } from '../base/block-cache'
import type { RandomAccessFile } from '../env/env'
import { TRAILER_SIZE, KIND_FOR_SEEK, MAX_SEQUENCE, ValueKind, putTrailer } from '../format/internal-key'
import type { EntryLocation, InternalIterator } from '../base/internal-iterator'
import { BLOOM_FILTER_NAME } from '../bloom/bloom-filter'
import { Block, BlockIterator, blockEntries } from './block'
import { FilterBlockReader } from './filter-block'
import { BLOCK_TRAILER_SIZE, BlockHandle, FOOTER_SIZE, decodeBlockHandle, decodeBlockHandleInto, decodeFooter, readBlock } from './format'

export interface TableEntry {
  kind: ValueKind
  sequence: number
  value: Buffer
}

const FILTER_META_NAME = 'filter.' + BLOOM_FILTER_NAME

export class Table {
  readonly file: RandomAccessFile
  readonly fileSize: number
  readonly cacheId: number
  readonly indexBlock: Block
  private readonly blockCache: BlockCacheLike<Block> | undefined
  private readonly filter: FilterBlockReader | undefined
  // Where the metaindex starts, which is past every data block.
  private readonly metaindexOffset: number
  // Scratch state for get(): one caller at a time, as JS runs it synchronously.
  private readonly indexCursor: BlockIterator
  private dataCursor: BlockIterator | undefined = undefined
  private target = Buffer.allocUnsafe(64)
  private readonly handle: BlockHandle = { offset: 0, size: 0 }
  private blocksCached = false
  private closed = false

  private constructor (
    file: RandomAccessFile, fileSize: number, cacheId: number, blockCache: BlockCacheLike<Block> | undefined,
    indexBlock: Block, filter: FilterBlockReader | undefined, metaindexOffset: number
  ) {
    this.file = file
    this.fileSize = fileSize
    this.cacheId = cacheId
    this.blockCache = blockCache
    this.indexBlock = indexBlock
    this.filter = filter
    this.metaindexOffset = metaindexOffset
    this.indexCursor = indexBlock.iterator()
  }

  /**
   * Reads the footer at fileSize - 48 (fileSize is the MANIFEST's, which LevelDB trusts over
   * the filesystem), the index block and the bloom filter. The caller keeps ownership of
   * `file` if this throws.
   */
  static open (file: RandomAccessFile, fileSize: number, cacheId: number, blockCache: BlockCacheLike<Block> | undefined): Table {
    const path = file.path
    if (fileSize < FOOTER_SIZE) throw corruption(path, 'file is too short to be a table')
    if (fileSize > file.size) throw corruption(path, `file is truncated (${file.size} of ${fileSize} bytes)`)
    const footer = decodeFooter(path, file.read(fileSize - FOOTER_SIZE, FOOTER_SIZE))
    const metaEnd = fileSize - FOOTER_SIZE
    for (const handle of [footer.index, footer.metaindex]) {
      if (handle.offset + handle.size + BLOCK_TRAILER_SIZE > metaEnd) throw corruption(path, 'bad block handle in footer')
    }
    const indexBlock = new Block(path, readBlock(file, footer.index))
    let filter: FilterBlockReader | undefined
    const metaindex = new Block(path, readBlock(file, footer.metaindex))
    for (const entry of blockEntries(metaindex)) {
      if (entry.key.toString('latin1') === FILTER_META_NAME) {
        filter = new FilterBlockReader(readBlock(file, decodeBlockHandle(path, entry.value)))
      }
    }
    return new Table(file, fileSize, cacheId, blockCache, indexBlock, filter, footer.metaindex.offset)
  }

  get path (): string {
    return this.file.path
  }

  /** Newest entry for userKey with sequence <= `sequence`, or undefined. value is a view. */
  get (userKey: Uint8Array, sequence: number, fillCache: boolean): TableEntry | undefined {
    const length = this.packTarget(userKey, sequence)
    const index = this.indexCursor
    index.seekInternalKey(this.target, length)
    if (!index.valid()) return undefined
    this.decodeIndexValue(index, this.handle)
    if (this.filter !== undefined && !this.filter.keyMayMatch(this.handle.offset, userKey)) return undefined
    const block = this.readDataBlock(this.handle, fillCache)
    let data = this.dataCursor
    if (data === undefined) data = this.dataCursor = block.iterator()
    else data.reset(block)
    data.seekInternalKey(this.target, length)
    if (!data.valid() || !data.userKeyEquals(userKey)) return undefined
    return { kind: data.kind(), sequence: data.sequence(), value: data.value() }
  }

  /** A two-level iterator: index block, then data blocks, in both directions. */
  iterator (fillCache: boolean): InternalIterator {
    return new TableIterator(this, fillCache)
  }

  /** Roughly where in the file the entries for userKey begin. */
  approximateOffsetOf (userKey: Uint8Array): number {
    const index = this.indexCursor
    index.seek(userKey, MAX_SEQUENCE)
    if (!index.valid()) return this.metaindexOffset
    const handle = { offset: 0, size: 0 }
    this.decodeIndexValue(index, handle)
    return handle.offset
  }

  /**
   * Closes the file and drops this table's blocks from the block cache. Idempotent, and
   * never throws. Returns false if some blocks may have stayed in the cache (a damaged index
   * could not be walked): then the cache id must not be reused, or another table would find
   * this one's blocks under it.
   */
  close (): boolean {
    if (this.closed) return true
    this.closed = true
    this.dataCursor = undefined
    let dropped = true
    const cache = this.blockCache
    if (cache !== undefined && this.blocksCached) {
      // Only data blocks are cached, and the index names every one of them.
      try {
        const index = this.indexBlock.iterator()
        const handle = { offset: 0, size: 0 }
        for (index.seekToFirst(); index.valid(); index.next()) {
          this.decodeIndexValue(index, handle)
          cache.delete(this.cacheId, handle.offset)
        }
      } catch {
        dropped = false
      }
    }
    try {
      this.file.close()
    } catch {}
    return dropped
  }

  /** The data block at `handle`, from the cache or the file. Used by TableIterator. */
  readDataBlock (handle: BlockHandle, fillCache: boolean): Block {
    const cache = this.blockCache
    if (cache !== undefined) {
      const cached = cache.get(this.cacheId, handle.offset)
      if (cached !== undefined) return cached
    }
    if (handle.offset + handle.size > this.metaindexOffset) {
      throw corruption(this.file.path, `data block handle past the data section at ${handle.offset}`)
    }
    const block = new Block(this.file.path, readBlock(this.file, handle))
    if (cache !== undefined && fillCache) {
      cache.set(this.cacheId, handle.offset, block)
      this.blocksCached = true
    }
    return block
  }

  /** Decodes the index entry under `index` into `out`. */
  decodeIndexValue (index: BlockIterator, out: BlockHandle): void {
    if (decodeBlockHandleInto(index.blockData, index.valueStart, index.valueEnd, out) < 0) {
      throw corruption(this.file.path, 'bad block handle in index block')
    }
  }

  private packTarget (userKey: Uint8Array, sequence: number): number {
    const length = userKey.length + TRAILER_SIZE
    if (this.target.length < length) this.target = Buffer.allocUnsafe(Math.max(length, this.target.length * 2))
    this.target.set(userKey, 0)
    putTrailer(this.target, userKey.length, sequence, KIND_FOR_SEEK)
    return length
  }
}

/** Index block on the outside, one data block at a time on the inside. */
class TableIterator implements InternalIterator {
  private readonly table: Table
  private readonly fillCache: boolean
  private readonly index: BlockIterator
  private data: BlockIterator | undefined = undefined
  // Whether `data` holds the block the index points at; `blockOffset` is that block's offset.
  private ready = false
  private blockOffset = -1
  private readonly handle: BlockHandle = { offset: 0, size: 0 }
  private target = Buffer.allocUnsafe(64)

  constructor (table: Table, fillCache: boolean) {
    this.table = table
    this.fillCache = fillCache
    this.index = table.indexBlock.iterator()
  }

  valid (): boolean {
    return this.ready && (this.data as BlockIterator).valid()
  }

  seekToFirst (): void {
    this.index.seekToFirst()
    if (this.loadBlock()) (this.data as BlockIterator).seekToFirst()
    this.skipEmptyForward()
  }

  seekToLast (): void {
    this.index.seekToLast()
    if (this.loadBlock()) (this.data as BlockIterator).seekToLast()
    this.skipEmptyBackward()
  }

  seek (userKey: Uint8Array, sequence: number): void {
    const length = userKey.length + TRAILER_SIZE
    if (this.target.length < length) this.target = Buffer.allocUnsafe(Math.max(length, this.target.length * 2))
    this.target.set(userKey, 0)
    putTrailer(this.target, userKey.length, sequence, KIND_FOR_SEEK)
    this.index.seekInternalKey(this.target, length)
    if (this.loadBlock()) (this.data as BlockIterator).seekInternalKey(this.target, length)
    this.skipEmptyForward()
  }

  next (): void {
    if (!this.valid()) return
    ;(this.data as BlockIterator).next()
    this.skipEmptyForward()
  }

  prev (): void {
    if (!this.valid()) return
    ;(this.data as BlockIterator).prev()
    this.skipEmptyBackward()
  }

  userKey (): Buffer {
    return (this.data as BlockIterator).userKey()
  }

  sequence (): number {
    return (this.data as BlockIterator).sequence()
  }

  kind (): ValueKind {
    return (this.data as BlockIterator).kind()
  }

  value (): Buffer {
    return (this.data as BlockIterator).value()
  }

  read (into: EntryLocation): void {
    (this.data as BlockIterator).read(into)
  }

  close (): void {
    this.ready = false
    this.data = undefined
    this.blockOffset = -1
  }

  /** Points `data` at the block under the index cursor (kept if it is already there). */
  private loadBlock (): boolean {
    if (!this.index.valid()) {
      this.ready = false
      return false
    }
    this.table.decodeIndexValue(this.index, this.handle)
    if (this.data !== undefined && this.blockOffset === this.handle.offset) {
      this.ready = true
      return true
    }
    this.ready = false
    const block = this.table.readDataBlock(this.handle, this.fillCache)
    if (this.data === undefined) this.data = block.iterator()
    else this.data.reset(block)
    this.blockOffset = this.handle.offset
    this.ready = true
    return true
  }

  // Blocks are never empty in files we or LevelDB write, but a reader should not rely on it.
  private skipEmptyForward (): void {
    while (this.ready && !(this.data as BlockIterator).valid()) {
      this.index.next()
      if (this.loadBlock()) (this.data as BlockIterator).seekToFirst()
    }
  }

  private skipEmptyBackward (): void {
    while (this.ready && !(this.data as BlockIterator).valid()) {
      this.index.prev()
      if (this.loadBlock()) (this.data as BlockIterator).seekToLast()
    }
  }
}
