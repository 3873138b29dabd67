// A table's index block (leveldb-format.md §6.4), decoded once when the table is opened:
//
//   index entry i   key = separator S(i) (an internal key), value = block handle of data block i
//   invariant       last key of block i <= S(i) < first key of block i+1
//
// kept as flat arrays (the separators back to back in one buffer, the handles in typed
// arrays), so that a lookup is a binary search over the separators with no decoding, and
// so that every data block can be checked against the key range its entry implies.
//
// The search is sorted-keys.ts's, numbers before bytes.
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
import { SortedKeys } from './sorted-keys'

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
    private readonly search: SortedKeys
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
    return new TableIndex(file, count, keys, keyStarts, offsets, sizes, SortedKeys.over(keys, keyStarts, count))
  }

  /** The first block whose separator is >= the internal key target[0, length), or `count`. */
  find (target: Uint8Array, length: number): number {
    return this.search.find(target, length)
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
    const keys = this.keys
    const starts = this.keyStarts
    if (i > 0 && scratch.compareKeyTo(keys, starts[i - 1], starts[i]) <= 0) {
      throw corruption(this.file, `data block at ${this.offsets[i]} starts at or before the key range its index entry implies`)
    }
    if (bounds !== undefined && scratch.compareKeyTo(bounds.smallest, 0, bounds.smallest.length) < 0) {
      throw corruption(this.file, `data block at ${this.offsets[i]} holds keys before the smallest key the MANIFEST gives the file`)
    }
    scratch.seekToLast()
    if (scratch.compareKeyTo(keys, starts[i], starts[i + 1]) > 0) {
      throw corruption(this.file, `data block at ${this.offsets[i]} ends past the key range its index entry implies`)
    }
    if (bounds !== undefined && scratch.compareKeyTo(bounds.largest, 0, bounds.largest.length) > 0) {
      throw corruption(this.file, `data block at ${this.offsets[i]} holds keys past the largest key the MANIFEST gives the file`)
    }
  }
}
