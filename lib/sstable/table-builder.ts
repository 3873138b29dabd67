// Writes one table file (leveldb-format.md §6), streaming bytes to a sink in file order:
//
//   data block* | filter block | metaindex block | index block | footer (48 bytes)
//
// Every block is followed by its 5-byte trailer (type, masked CRC). Data blocks are cut once
// their size estimate reaches blockSize. The filter block is always raw; the others are
// snappy-compressed when that saves at least 12.5 %. The metaindex maps
// "filter.leveldb.BuiltinBloomFilter2" to the filter block; the index (restart interval 1)
// maps a separator key per data block to its handle, with the separator chosen exactly as
// LevelDB chooses it, so that uncompressed tables come out byte-identical to LevelDB's.

import {
  ValueKind, KIND_FOR_SEEK, MAX_SEQUENCE, TRAILER_SIZE, compareInternalKeyRanges, putTrailer
} from '../format/internal-key'
import type { EntryLocation } from '../base/internal-iterator'
import { BLOOM_FILTER_NAME } from '../bloom/bloom-filter'
import { BlockBuilder } from './block-builder'
import { FilterBlockBuilder } from './filter-block'
import { maybeCompress } from './compression'
import {
  BLOCK_TRAILER_SIZE, BlockHandle, BlockType, MAX_BLOCK_HANDLE_LENGTH, encodeFooter, putBlockHandle, putBlockTrailer
} from './format'

export interface TableBuildOptions {
  blockSize: number
  blockRestartInterval: number
  compression: boolean
}

export const FILTER_META_KEY = Buffer.from('filter.' + BLOOM_FILTER_NAME)

export class TableBuilder {
  private readonly options: TableBuildOptions
  private readonly sink: (chunk: Uint8Array) => void
  // Reused for every block: the sink copies what it keeps.
  private readonly compressScratch = { buffer: Buffer.allocUnsafe(0) }
  private readonly trailerScratch = Buffer.allocUnsafe(BLOCK_TRAILER_SIZE)
  private readonly dataBlock: BlockBuilder
  private readonly indexBlock = new BlockBuilder(1)
  private readonly filterBlock = new FilterBlockBuilder()
  private offset = 0
  private count = 0
  // The key being added and the previous one; swapped after each add so neither is copied twice.
  private key = Buffer.allocUnsafe(64)
  private lastKey = Buffer.allocUnsafe(64)
  private lastKeyLength = 0
  private smallest: Buffer | undefined = undefined
  // A data block was just written; its index entry waits for the next key to pick a separator.
  private pendingIndexEntry = false
  private readonly pendingHandle: BlockHandle = { offset: 0, size: 0 }
  private readonly handleScratch = Buffer.allocUnsafe(MAX_BLOCK_HANDLE_LENGTH)
  private finished = false

  /**
   * `sink` receives the file's bytes in order. A chunk may be a view into the builder's own
   * buffers, valid only during the call: copy what you keep.
   */
  constructor (options: TableBuildOptions, sink: (chunk: Uint8Array) => void) {
    if (!(options.blockSize >= 1)) throw new RangeError('blockSize must be at least 1')
    this.options = options
    this.sink = sink
    this.dataBlock = new BlockBuilder(options.blockRestartInterval)
    this.filterBlock.startBlock(0)
  }

  get entryCount (): number {
    return this.count
  }

  /** Bytes handed to the sink so far plus the data block being filled. */
  fileSize (): number {
    return this.offset + (this.dataBlock.empty ? 0 : this.dataBlock.estimatedSize())
  }

  /** Adds one entry; entries must come in strictly increasing internal order. */
  add (userKey: Uint8Array, sequence: number, kind: ValueKind, value: Uint8Array): void {
    this.addFrom(userKey, 0, userKey.length, sequence, kind, value, 0, value.length)
  }

  /** add() of the entry an iterator's read() located, straight from where its bytes lie. */
  addEntry (entry: EntryLocation): void {
    this.addFrom(entry.keySource, entry.keyStart, entry.keyEnd, entry.sequence, entry.kind, entry.valueSource, entry.valueStart, entry.valueEnd)
  }

  private addFrom (
    keySource: Uint8Array, keyStart: number, keyEnd: number, sequence: number, kind: ValueKind,
    valueSource: Uint8Array, valueStart: number, valueEnd: number
  ): void {
    if (this.finished) throw new Error('TableBuilder: add after finish')
    const userKeyLength = keyEnd - keyStart
    const keyLength = userKeyLength + TRAILER_SIZE
    if (this.key.length < keyLength) this.key = Buffer.allocUnsafe(Math.max(keyLength, this.key.length * 2))
    const key = this.key
    // Short keys by hand (a native copy costs more than it saves); long ones natively.
    if (userKeyLength < 32) {
      for (let i = 0; i < userKeyLength; i++) key[i] = keySource[keyStart + i]
    } else {
      key.set(keySource.subarray(keyStart, keyEnd), 0)
    }
    putTrailer(key, userKeyLength, sequence, kind)
    if (this.count > 0 &&
      compareInternalKeyRanges(key, 0, keyLength, this.lastKey, 0, this.lastKeyLength) <= 0) {
      throw new Error('TableBuilder: keys must be added in increasing internal order')
    }
    if (this.pendingIndexEntry) {
      this.addIndexEntry(internalKeySeparator(this.lastKey.subarray(0, this.lastKeyLength), key.subarray(0, keyLength)))
    }
    this.filterBlock.addKey(key, 0, userKeyLength)
    this.dataBlock.addFrom(key, keyLength, valueSource, valueStart, valueEnd)
    this.key = this.lastKey
    this.lastKey = key
    this.lastKeyLength = keyLength
    if (this.count++ === 0) this.smallest = Buffer.from(key.subarray(0, keyLength))
    if (this.dataBlock.estimatedSize() >= this.options.blockSize) this.flush()
  }

  /**
   * Writes the rest of the table. smallest and largest are internal-key copies (empty buffers
   * when nothing was added; such a table is valid but pointless).
   */
  finish (): { fileSize: number, smallest: Buffer, largest: Buffer } {
    if (this.finished) throw new Error('TableBuilder: finish called twice')
    this.flush()
    this.finished = true
    const filterHandle = this.writeRawBlock(this.filterBlock.finish(), BlockType.Raw)

    const metaindex = new BlockBuilder(this.options.blockRestartInterval)
    metaindex.add(FILTER_META_KEY, this.encodeHandle(filterHandle))
    const metaindexHandle = this.writeBlock(metaindex)

    const largest = Buffer.from(this.lastKey.subarray(0, this.lastKeyLength))
    if (this.pendingIndexEntry) this.addIndexEntry(internalKeySuccessor(largest))
    const indexHandle = this.writeBlock(this.indexBlock)

    const footer = encodeFooter({ metaindex: metaindexHandle, index: indexHandle })
    this.sink(footer)
    this.offset += footer.length
    return { fileSize: this.offset, smallest: this.smallest ?? Buffer.alloc(0), largest }
  }

  private flush (): void {
    if (this.dataBlock.empty) return
    const handle = this.writeBlock(this.dataBlock)
    this.pendingHandle.offset = handle.offset
    this.pendingHandle.size = handle.size
    this.pendingIndexEntry = true
    this.filterBlock.startBlock(this.offset)
  }

  private addIndexEntry (separator: Uint8Array): void {
    this.indexBlock.add(separator, this.encodeHandle(this.pendingHandle))
    this.pendingIndexEntry = false
  }

  private encodeHandle (handle: BlockHandle): Buffer {
    return this.handleScratch.subarray(0, putBlockHandle(this.handleScratch, 0, handle))
  }

  /** Finishes `builder`, compresses its bytes if worthwhile, writes them and resets it. */
  private writeBlock (builder: BlockBuilder): BlockHandle {
    const raw = builder.finish()
    const compressed = this.options.compression ? maybeCompress(raw, this.compressScratch) : undefined
    const handle = compressed !== undefined
      ? this.writeRawBlock(compressed, BlockType.Snappy)
      : this.writeRawBlock(raw, BlockType.Raw)
    builder.reset()
    return handle
  }

  private writeRawBlock (contents: Uint8Array, type: BlockType): BlockHandle {
    const size = contents.length
    const trailer = this.trailerScratch
    putBlockTrailer(trailer, 0, contents, type)
    const handle = { offset: this.offset, size }
    this.sink(contents)
    this.sink(trailer)
    this.offset += size + BLOCK_TRAILER_SIZE
    return handle
  }
}

const SEPARATOR_TRAILER = Buffer.alloc(TRAILER_SIZE)
putTrailer(SEPARATOR_TRAILER, 0, MAX_SEQUENCE, KIND_FOR_SEEK)

function withSeparatorTrailer (userKey: Uint8Array): Buffer {
  const key = Buffer.allocUnsafe(userKey.length + TRAILER_SIZE)
  key.set(userKey, 0)
  key.set(SEPARATOR_TRAILER, userKey.length)
  return key
}

/**
 * A short internal key K with a <= K < b (internal order), for the index entry between two
 * blocks. Like LevelDB: bump the first differing user-key byte of a when that keeps it below
 * b and makes it shorter, and give it the largest trailer; otherwise keep a.
 */
export function internalKeySeparator (a: Uint8Array, b: Uint8Array): Uint8Array {
  const aUser = a.length - TRAILER_SIZE
  const bUser = b.length - TRAILER_SIZE
  const n = aUser < bUser ? aUser : bUser
  let i = 0
  while (i < n && a[i] === b[i]) i++
  if (i >= n) return a // one user key is a prefix of the other
  const byte = a[i]
  if (byte < 0xff && byte + 1 < b[i] && i + 1 < aUser) {
    const user = Buffer.from(a.subarray(0, i + 1))
    user[i] = byte + 1
    return withSeparatorTrailer(user)
  }
  return a
}

/** A short internal key K >= a, for the index entry of the last block (LevelDB's short successor). */
export function internalKeySuccessor (a: Uint8Array): Uint8Array {
  const aUser = a.length - TRAILER_SIZE
  for (let i = 0; i < aUser; i++) {
    if (a[i] !== 0xff) {
      if (i + 1 >= aUser) return a // not shorter: LevelDB keeps the key as it is
      const user = Buffer.from(a.subarray(0, i + 1))
      user[i] = a[i] + 1
      return withSeparatorTrailer(user)
    }
  }
  return a
}
