// A table's index block (leveldb-format.md §6.4), decoded once when the table is opened:
//
//   index entry i   key = separator S(i) (an internal key), value = block handle of data block i
//   invariant       last key of block i <= S(i) < first key of block i+1
//
// kept as flat arrays (the separators back to back in one buffer, the handles in typed
// arrays), so that a lookup is a binary search over the separators with no decoding, and
// so that every data block can be checked against the key range its entry implies.
//
// The search compares numbers before bytes. The separators S(0) .. S(sharedEnd - 1) share a
// prefix (that of the first and the last but one: the last is often shortened to a short
// successor such as "1"); of each, the six bytes after it, zero-padded, are kept as a number,
// which orders as the keys do: a < b gives number(a) <= number(b). A lookup checks the prefix
// once, then compares numbers, and bytes only where the numbers tie or past sharedEnd. (A get
// probes every level-0 table and one per deeper level: with db_bench's "%016d" keys, whose
// first ten bytes rarely differ, byte comparisons of the separators were a sixth of getSync's
// time on 1M keys.)
//
// decode() refuses (LEVEL_CORRUPTION naming the file) an index whose separators are not
// strictly increasing, or whose handles are not in file order, overlap, or reach past the
// data section: a damaged index then cannot send a read to the wrong block. checkBlock()
// verifies a data block just read from disk against its separators, which catches an
// entry that points at another, intact block.

import { corruption } from '../base/errors'
import { compareInternalKeyRanges, TRAILER_SIZE } from '../format/internal-key'
import type { Block, BlockIterator } from './block'
import { BLOCK_TRAILER_SIZE, type BlockHandle, decodeBlockHandleInto } from './format'

/** The smallest and largest internal keys a table is known to hold. */
export interface FileBounds {
  smallest: Uint8Array
  largest: Uint8Array
}

export class TableIndex {
  private constructor (
    readonly file: string,
    /** Number of data blocks. */
    readonly count: number,
    /** The separators, back to back: S(i) is keys[keyStarts[i], keyStarts[i + 1]). */
    readonly keys: Buffer,
    readonly keyStarts: Uint32Array,
    readonly offsets: Float64Array,
    readonly sizes: Float64Array,
    /** Bytes the user keys of S(0) .. S(sharedEnd - 1) start with: keys[0, sharedLength). */
    private readonly sharedLength: number,
    private readonly sharedEnd: number,
    /** prefixes[i]: S(i)'s user-key bytes [sharedLength, sharedLength + 6), zero-padded, big-endian. */
    private readonly prefixes: Float64Array
  ) {}

  /** Decodes and checks the index block; data blocks must end by `dataEnd` (the metaindex offset). */
  static decode (file: string, index: Block, dataEnd: number): TableIndex {
    const it = index.iterator()
    let count = 0
    let keyBytes = 0
    for (it.seekToFirst(); it.valid(); it.next()) {
      count++
      keyBytes += it.userKey().length + TRAILER_SIZE
    }
    const keys = Buffer.allocUnsafe(keyBytes)
    const keyStarts = new Uint32Array(count + 1)
    const offsets = new Float64Array(count)
    const sizes = new Float64Array(count)
    const handle: BlockHandle = { offset: 0, size: 0 }
    let i = 0
    let at = 0
    let previousEnd = 0
    for (it.seekToFirst(); it.valid(); it.next(), i++) {
      const start = at
      at += it.copyInternalKey(keys, at)
      keyStarts[i] = start
      keyStarts[i + 1] = at
      if (i > 0 && compareInternalKeyRanges(keys, keyStarts[i - 1], start, keys, start, at) >= 0) {
        throw corruption(file, `index keys out of order at entry ${i}`)
      }
      if (decodeBlockHandleInto(it.blockData, it.valueStart, it.valueEnd, handle) < 0) {
        throw corruption(file, 'bad block handle in index block')
      }
      if (handle.offset < previousEnd || handle.offset + handle.size + BLOCK_TRAILER_SIZE > dataEnd) {
        throw corruption(file, `index entry ${i} points at a block out of place (offset ${handle.offset}, size ${handle.size})`)
      }
      offsets[i] = handle.offset
      sizes[i] = handle.size
      previousEnd = handle.offset + handle.size + BLOCK_TRAILER_SIZE
    }
    const userEnd = (j: number): number => keyStarts[j + 1] - TRAILER_SIZE
    const lastButOne = Math.max(0, count - 2)
    const sharedLength = count === 0 ? 0 : sharedPrefixLength(keys, keyStarts[0], userEnd(0), keyStarts[lastButOne], userEnd(lastButOne))
    let sharedEnd = count
    while (sharedEnd > 0 && sharedPrefixLength(keys, keyStarts[0], userEnd(0), keyStarts[sharedEnd - 1], userEnd(sharedEnd - 1)) < sharedLength) sharedEnd--
    const prefixes = new Float64Array(count)
    for (let j = 0; j < count; j++) prefixes[j] = prefixNumber(keys, keyStarts[j] + sharedLength, userEnd(j))
    return new TableIndex(file, count, keys, keyStarts, offsets, sizes, sharedLength, sharedEnd, prefixes)
  }

  /** The first block whose separator is >= the internal key target[0, length), or `count`. */
  find (target: Uint8Array, length: number): number {
    const keys = this.keys
    const starts = this.keyStarts
    const userEnd = length - TRAILER_SIZE
    // Against the shared prefix: before it, the target sorts before S(0); past it, after
    // every separator that has it (a key above a prefixed key without the prefix is above
    // every key with it, the target included).
    const first = starts[0]
    for (let i = 0; i < this.sharedLength; i++) {
      if (i === userEnd) return 0
      const d = target[i] - keys[first + i]
      if (d < 0) return 0
      if (d > 0) return this.findByBytes(this.sharedEnd, this.count, target, length)
    }
    const wanted = prefixNumber(target, this.sharedLength, userEnd)
    const prefixes = this.prefixes
    let left = 0
    let right = this.sharedEnd
    while (left < right) {
      const mid = (left + right) >>> 1
      const p = prefixes[mid]
      if (p < wanted || (p === wanted && compareInternalKeyRanges(keys, starts[mid], starts[mid + 1], target, 0, length) < 0)) left = mid + 1
      else right = mid
    }
    return left
  }

  /** The first block in [left, right) whose separator is >= the target, or `right`. */
  private findByBytes (left: number, right: number, target: Uint8Array, length: number): number {
    const keys = this.keys
    const starts = this.keyStarts
    while (left < right) {
      const mid = (left + right) >>> 1
      if (compareInternalKeyRanges(keys, starts[mid], starts[mid + 1], target, 0, length) < 0) left = mid + 1
      else right = mid
    }
    return left
  }

  handle (i: number, out: BlockHandle): BlockHandle {
    out.offset = this.offsets[i]
    out.size = this.sizes[i]
    return out
  }

  /**
   * Throws LEVEL_CORRUPTION unless block i's keys lie in (S(i-1), S(i)], and within the
   * file's bounds when they are known (the MANIFEST's smallest and largest key: a table
   * holding other keys than the MANIFEST says, say another table's bytes, would break the
   * order of its level). `scratch` is an iterator to reuse (left pointing at the block).
   */
  checkBlock (i: number, block: Block, scratch: BlockIterator, bounds: FileBounds | undefined): void {
    scratch.reset(block)
    scratch.seekToFirst()
    if (!scratch.valid()) return
    this.checkFirstKey(i, scratch.internalKey(), scratch.internalKeyLength(), bounds)
    scratch.seekToLast()
    this.checkLastKey(i, scratch.internalKey(), scratch.internalKeyLength(), bounds)
  }

  /** checkBlock's test of the block's first internal key, key[0, length). */
  checkFirstKey (i: number, key: Uint8Array, length: number, bounds: FileBounds | undefined): void {
    const keys = this.keys
    const starts = this.keyStarts
    if (i > 0 && compareInternalKeyRanges(key, 0, length, keys, starts[i - 1], starts[i]) <= 0) {
      throw corruption(this.file, `data block at ${this.offsets[i]} starts at or before the key range its index entry implies`)
    }
    if (bounds !== undefined && compareInternalKeyRanges(key, 0, length, bounds.smallest, 0, bounds.smallest.length) < 0) {
      throw corruption(this.file, `data block at ${this.offsets[i]} holds keys before the smallest key the MANIFEST gives the file`)
    }
  }

  /** checkBlock's test of the block's last internal key (or the last one a probe read), key[0, length). */
  checkLastKey (i: number, key: Uint8Array, length: number, bounds: FileBounds | undefined): void {
    if (compareInternalKeyRanges(key, 0, length, this.keys, this.keyStarts[i], this.keyStarts[i + 1]) > 0) {
      throw corruption(this.file, `data block at ${this.offsets[i]} ends past the key range its index entry implies`)
    }
    if (bounds !== undefined && compareInternalKeyRanges(key, 0, length, bounds.largest, 0, bounds.largest.length) > 0) {
      throw corruption(this.file, `data block at ${this.offsets[i]} holds keys past the largest key the MANIFEST gives the file`)
    }
  }
}

/** Length of the common prefix of bytes[aStart, aEnd) and bytes[bStart, bEnd). */
function sharedPrefixLength (bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const limit = Math.min(aEnd - aStart, bEnd - bStart)
  let i = 0
  while (i < limit && bytes[aStart + i] === bytes[bStart + i]) i++
  return i
}

/** bytes[start, start + 6) as a big-endian number, bytes at or past `end` read as 0. */
function prefixNumber (bytes: Uint8Array, start: number, end: number): number {
  let high = 0
  let low = 0
  for (let i = 0; i < 2; i++) high = high * 256 + (start + i < end ? bytes[start + i] : 0)
  for (let i = 2; i < 6; i++) low = low * 256 + (start + i < end ? bytes[start + i] : 0)
  return high * 2 ** 32 + low
}
