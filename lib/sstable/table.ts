// An open table file (leveldb-format.md §6): footer, index block and filter are read once at
// open and kept (the index decoded, table-index.ts); data blocks are read on demand through
// the block cache. Every block read from disk has its CRC verified and its keys checked
// against the range its index entry implies, so damage surfaces as a LEVEL_CORRUPTION error
// naming the file rather than as wrong data. All reads are synchronous
// (RandomAccessFile.read): gets must work from getSync and from worker threads alike.

import { corruption } from '../base/errors'
import type { BlockCacheLike } from '../base/block-cache'
import type { RandomAccessFile } from '../env/env'
import { TRAILER_SIZE, KIND_FOR_SEEK, MAX_SEQUENCE, ValueKind, putTrailer, trailerSequence } from '../format/internal-key'
import type { EntryLocation, InternalIterator } from '../base/internal-iterator'
import { BLOOM_FILTER_NAME } from '../bloom/bloom-filter'
import { Block, BlockIterator, blockEntries } from './block'
import { type FileBounds, TableIndex } from './table-index'
import { FilterBlockReader } from './filter-block'
import { bloomHash } from '../bloom/bloom-hash'
import { BLOCK_TRAILER_SIZE, BlockHandle, BlockType, FOOTER_SIZE, decodeBlock, decodeBlockHandle, decodeFooter, readBlock, readStoredBlock } from './format'
import { BlockProbe } from './block-probe'
import { decoded, getVarint32 } from '../format/coding'

export interface TableEntry {
  kind: ValueKind
  sequence: number
  value: Buffer
}

const FILTER_META_NAME = 'filter.' + BLOOM_FILTER_NAME

// Point reads of blocks the cache does not take, one at a time (JavaScript runs one get at a
// time per thread): its buffer holds the value found until the next such read.
const probe = new BlockProbe()
// Where those reads put a block as stored: the probe does not keep it, and a block that is
// cached is decoded (or, stored raw, copied) out of it first.
const readBuffer = { buffer: Buffer.allocUnsafeSlow(8192) }

/**
 * Whether an iterator's blocks go into the block cache. 'first-blocks', the default for
 * iterators, caches the first FIRST_BLOCKS_CACHED blocks each table iterator reads and not
 * the rest: the blocks of short range reads (a seek and a few entries) are reused by the
 * next read like a get's, while a long scan does not flush the cache (which is why LevelDB
 * iterators do not fill it by default). Blocks not filled in still go into spare room.
 */
export type FillCache = boolean | 'first-blocks'
const FIRST_BLOCKS_CACHED = 2
const NO_BYTES = Buffer.alloc(0)

export class Table {
  readonly file: RandomAccessFile
  readonly fileSize: number
  readonly cacheId: number
  readonly indexBlock: Block
  readonly index: TableIndex
  private readonly blockCache: BlockCacheLike<Block> | undefined
  private readonly bounds: FileBounds | undefined
  private readonly filter: FilterBlockReader | undefined
  // Where the metaindex starts, which is past every data block.
  private readonly metaindexOffset: number
  // Scratch state for get(): one caller at a time, as JS runs it synchronously.
  private dataCursor: BlockIterator | undefined = undefined
  private checkCursor: BlockIterator | undefined = undefined
  private target = Buffer.allocUnsafe(64)
  private readonly handle: BlockHandle = { offset: 0, size: 0 }
  private blocksCached = false
  private closed = false
  /** Whether the last find() answered from the probe rather than from dataCursor. */
  private probed = false

  private constructor (
    file: RandomAccessFile, fileSize: number, cacheId: number, blockCache: BlockCacheLike<Block> | undefined,
    indexBlock: Block, index: TableIndex, filter: FilterBlockReader | undefined, metaindexOffset: number,
    bounds: FileBounds | undefined
  ) {
    this.bounds = bounds
    this.file = file
    this.fileSize = fileSize
    this.cacheId = cacheId
    this.blockCache = blockCache
    this.indexBlock = indexBlock
    this.index = index
    this.filter = filter
    this.metaindexOffset = metaindexOffset
  }

  /**
   * Reads the footer at fileSize - 48 (fileSize is the MANIFEST's, which LevelDB trusts over
   * the filesystem), the index block and the bloom filter. The caller keeps ownership of
   * `file` if this throws. `bounds` (the MANIFEST's smallest and largest key) are checked
   * against every block read.
   */
  static open (
    file: RandomAccessFile, fileSize: number, cacheId: number, blockCache: BlockCacheLike<Block> | undefined,
    bounds?: FileBounds
  ): Table {
    const path = file.path
    if (fileSize < FOOTER_SIZE) throw corruption(path, 'file is too short to be a table')
    if (fileSize > file.size) throw corruption(path, `file is truncated (${file.size} of ${fileSize} bytes)`)
    const footer = decodeFooter(path, file.read(fileSize - FOOTER_SIZE, FOOTER_SIZE))
    const metaEnd = fileSize - FOOTER_SIZE
    for (const handle of [footer.index, footer.metaindex]) {
      if (handle.offset + handle.size + BLOCK_TRAILER_SIZE > metaEnd) throw corruption(path, 'bad block handle in footer')
    }
    const indexBlock = new Block(path, readBlock(file, footer.index))
    const index = TableIndex.decode(path, indexBlock, footer.metaindex.offset)
    let filter: FilterBlockReader | undefined
    const metaindex = new Block(path, readBlock(file, footer.metaindex))
    for (const entry of blockEntries(metaindex)) {
      if (entry.key.toString('latin1') === FILTER_META_NAME) {
        filter = new FilterBlockReader(readBlock(file, decodeBlockHandle(path, entry.value)))
      }
    }
    return new Table(file, fileSize, cacheId, blockCache, indexBlock, index, filter, footer.metaindex.offset, bounds)
  }

  get path (): string {
    return this.file.path
  }

  /** Number of data blocks. */
  get blockCount (): number {
    return this.index.count
  }

  /**
   * Newest entry for userKey with sequence <= `sequence`, or undefined. value is a view of
   * the block, or a copy when the block was probed (the probe's buffer serves the next read).
   */
  get (userKey: Uint8Array, sequence: number, fillCache: boolean): TableEntry | undefined {
    if (!this.find(userKey, sequence, fillCache)) return undefined
    if (this.probed) {
      return { kind: probe.kind(), sequence: trailerSequence(probe.foundKey, probe.foundKeyLength - TRAILER_SIZE), value: Buffer.from(probe.value()) }
    }
    const data = this.dataCursor as BlockIterator
    return { kind: data.kind(), sequence: data.sequence(), value: data.value() }
  }

  /**
   * Whether the table holds an entry for userKey at or below `sequence`; if so, foundKind()
   * and foundValue() tell it (the value is valid until the next find() of any table on this
   * thread). Allocates nothing on a cache hit, nor on a miss the cache does not take.
   * `userKeyHash` is bloomHash(userKey) when the caller has it (a get probes several tables).
   */
  find (userKey: Uint8Array, sequence: number, fillCache: boolean, userKeyHash = bloomHash(userKey)): boolean {
    const length = this.packTarget(userKey, sequence)
    const i = this.index.find(this.target, length)
    if (i >= this.index.count) return false
    if (this.filter !== undefined && !this.filter.hashMayMatch(this.index.offsets[i], userKeyHash)) return false
    this.probed = false
    const cache = this.blockCache
    let block = cache?.get(this.cacheId, i)
    if (block === undefined) {
      const handle = this.index.handle(i, this.handle)
      const kept = cache?.storedBlock(this.cacheId, i, handle.size + 1)
      const stored = kept ?? readStoredBlock(this.file, handle, true, readBuffer)
      const type = stored[handle.size]
      // A compressed block the cache will not take is searched without decoding it whole, and
      // kept as stored so that the next read of it needs no read(2) and no CRC.
      if (type === BlockType.Snappy && !this.admits(i, stored, handle.size, fillCache)) {
        if (kept === undefined && fillCache && cache !== undefined) {
          cache.keepStored(this.cacheId, i, stored, handle.size + 1)
          this.blocksCached = true
        }
        if (probe.seek(this.file.path, stored, handle.size, this.target, length)) {
          this.index.checkFirstKey(i, probe.firstKey, probe.firstKeyLength, this.bounds)
          this.index.checkLastKey(i, probe.foundKey, probe.foundKeyLength, this.bounds)
          this.probed = true
          return probe.userKeyEquals(userKey)
        }
      }
      // A raw block would be a view of a buffer that changes: it gets bytes of its own.
      block = this.blockFromStored(i, type === BlockType.Raw ? Buffer.from(stored.subarray(0, handle.size + 1)) : stored, handle, fillCache)
    }
    let data = this.dataCursor
    if (data === undefined) data = this.dataCursor = block.iterator()
    else data.reset(block)
    data.seekInternalKey(this.target, length)
    return data.valid() && data.userKeyEquals(userKey)
  }

  foundKind (): ValueKind {
    return this.probed ? probe.kind() : (this.dataCursor as BlockIterator).kind()
  }

  foundValue (): Buffer {
    return this.probed ? probe.value() : (this.dataCursor as BlockIterator).value()
  }

  /** A two-level iterator: index, then data blocks, in both directions. */
  iterator (fillCache: FillCache): InternalIterator {
    return new TableIterator(this, fillCache)
  }

  /** Roughly where in the file the entries for userKey begin. */
  approximateOffsetOf (userKey: Uint8Array): number {
    const length = this.packTarget(userKey, MAX_SEQUENCE)
    const i = this.index.find(this.target, length)
    return i < this.index.count ? this.index.offsets[i] : this.metaindexOffset
  }

  /** Closes the file and drops this table's blocks from the block cache. Idempotent; never throws. */
  close (): void {
    if (this.closed) return
    this.closed = true
    this.dataCursor = undefined
    if (this.blocksCached) this.blockCache?.dropTable(this.cacheId)
    try {
      this.file.close()
    } catch {}
  }

  /**
   * Data block i, from the cache or the file. A block read from the file has its checksum
   * verified and its keys checked against its index entry before anyone sees it. With
   * `scratch`, a compressed block that will not be cached is decoded into scratch.buffer
   * (grown as needed) instead of a new buffer: the caller reads one block at a time.
   */
  readDataBlock (i: number, fillCache: boolean, scratch?: { buffer: Buffer }): Block {
    const cache = this.blockCache
    if (cache !== undefined) {
      const cached = cache.get(this.cacheId, i)
      if (cached !== undefined) return cached
    }
    const handle = this.index.handle(i, this.handle)
    // A block a get kept as stored is snappy-compressed and decoded below into a buffer of its own.
    const stored = cache?.storedBlock(this.cacheId, i, handle.size + 1) ?? readStoredBlock(this.file, handle)
    // No room for it: decoded into the caller's buffer (the next block read into it replaces it).
    const into = scratch !== undefined && !fillCache && stored[handle.size] === BlockType.Snappy && !this.admits(i, stored, handle.size, false)
      ? scratch
      : undefined
    return this.blockFromStored(i, stored, handle, fillCache, into)
  }

  /** Whether the block cache takes data block i, stored compressed in stored[0, size), once decoded. */
  private admits (i: number, stored: Buffer, size: number, fillCache: boolean): boolean {
    const cache = this.blockCache
    if (cache === undefined) return false
    // The charge is the decoded size, which snappy states first (a bad length is left to the full decoder).
    const charge = getVarint32(stored, 0, size) ? decoded.value : size
    return cache.admits(this.cacheId, i, charge, fillCache)
  }

  /**
   * Data block i from its stored bytes (readStoredBlock): decoded, checked, and cached as
   * `fillCache` says; or, decoded into `into`, never cached (that buffer is reused).
   */
  private blockFromStored (i: number, stored: Buffer, handle: BlockHandle, fillCache: boolean, into?: { buffer: Buffer }): Block {
    const cache = this.blockCache
    const block = new Block(this.file.path, decodeBlock(this.file.path, stored, handle, into))
    this.checkCursor ??= block.iterator()
    this.index.checkBlock(i, block, this.checkCursor, this.bounds)
    if (cache !== undefined && into === undefined) {
      // A read that is not to fill the cache (a scan's later blocks, fillCache: false) still
      // uses room nobody else needs: a database that fits is then scanned from memory.
      if (fillCache) cache.set(this.cacheId, i, block)
      else cache.setIfRoom(this.cacheId, i, block)
      this.blocksCached = true
    }
    return block
  }

  private packTarget (userKey: Uint8Array, sequence: number): number {
    const length = userKey.length + TRAILER_SIZE
    if (this.target.length < length) this.target = Buffer.allocUnsafe(Math.max(length, this.target.length * 2))
    this.target.set(userKey, 0)
    putTrailer(this.target, userKey.length, sequence, KIND_FOR_SEEK)
    return length
  }
}

/** The index on the outside (a block number), one data block at a time on the inside. */
class TableIterator implements InternalIterator {
  private readonly table: Table
  private readonly fillCache: FillCache
  private blocksRead = 0
  // The data block under the cursor: its number (-1 / count when off either end) and, once
  // loaded, an iterator over it.
  private blockIndex = -1
  private data: BlockIterator | undefined = undefined
  private loaded = -1
  private target = Buffer.allocUnsafe(64)
  // Where blocks the cache does not take are decoded: a scan past the cache's room (or a
  // compaction's input) then allocates no buffer per block. Only the block under the cursor
  // lives here, and every reader copies an entry before the cursor leaves its block.
  private readonly scratch = { buffer: NO_BYTES }

  constructor (table: Table, fillCache: FillCache) {
    this.table = table
    this.fillCache = fillCache
  }

  valid (): boolean {
    return this.loaded === this.blockIndex && this.loaded >= 0 && (this.data as BlockIterator).valid()
  }

  seekToFirst (): void {
    if (this.load(0)) (this.data as BlockIterator).seekToFirst()
    this.skipEmptyForward()
  }

  seekToLast (): void {
    if (this.load(this.table.blockCount - 1)) (this.data as BlockIterator).seekToLast()
    this.skipEmptyBackward()
  }

  seek (userKey: Uint8Array, sequence: number): void {
    const length = userKey.length + TRAILER_SIZE
    if (this.target.length < length) this.target = Buffer.allocUnsafe(Math.max(length, this.target.length * 2))
    this.target.set(userKey, 0)
    putTrailer(this.target, userKey.length, sequence, KIND_FOR_SEEK)
    if (this.load(this.table.index.find(this.target, length))) (this.data as BlockIterator).seekInternalKey(this.target, length)
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
    this.blockIndex = -1
    this.loaded = -1
    this.data = undefined
  }

  /** Points the cursor at block i (kept if it is loaded already); false when i is off the table. */
  private load (i: number): boolean {
    this.blockIndex = i
    if (i < 0 || i >= this.table.blockCount) return false
    if (this.loaded === i && this.data !== undefined) return true
    this.loaded = -1
    const fill = this.fillCache === 'first-blocks' ? this.blocksRead++ < FIRST_BLOCKS_CACHED : this.fillCache
    const block = this.table.readDataBlock(i, fill, this.scratch)
    if (this.data === undefined) this.data = block.iterator()
    else this.data.reset(block)
    this.loaded = i
    return true
  }

  // Blocks are never empty in files we or LevelDB write, but a reader should not rely on it.
  private skipEmptyForward (): void {
    while (this.loaded === this.blockIndex && this.loaded >= 0 && !(this.data as BlockIterator).valid()) {
      if (this.load(this.blockIndex + 1)) (this.data as BlockIterator).seekToFirst()
    }
  }

  private skipEmptyBackward (): void {
    while (this.loaded === this.blockIndex && this.loaded >= 0 && !(this.data as BlockIterator).valid()) {
      if (this.load(this.blockIndex - 1)) (this.data as BlockIterator).seekToLast()
    }
  }
}
