// A cached data block's entries decoded for point reads, kept in memory only (the block's
// bytes stay as LevelDB wrote them):
//
//   keys          the entries' internal keys in full, back to back (sorted-keys.ts)
//   keyStarts     count + 1 offsets into keys
//   values        2 * count offsets into the block's data: entry i's value is
//                 data[values[2i], values[2i + 1])
//
// Why: a get that searches a block binary-searches its restart points, then decodes up to
// 16 prefix-compressed entries one after the other to reach its key. On a block that gets
// read again and again (a working set that fits the block cache) the lookup instead
// binary-searches whole keys, numbers first. Built by the table reader once a cached block
// has served a few gets, from a walk of the block's iterator (which checks every entry as
// a scan would), and charged to the block cache with the block.

import type { Block, BlockIterator } from './block'
import { SortedKeys } from './sorted-keys'
import { TRAILER_SIZE, type ValueKind, trailerSequence } from '../format/internal-key'

// Scratch for building, grown as needed and copied out at the exact size: one pass over
// the block, one allocation per array.
let scratchKeys: Buffer = Buffer.allocUnsafe(16 * 1024)
let scratchStarts: Uint32Array = new Uint32Array(512)
let scratchValues: Uint32Array = new Uint32Array(1024)

export class BlockLookup {
  private constructor (
    readonly count: number,
    private readonly keys: Buffer,
    private readonly keyStarts: Uint32Array,
    private readonly values: Uint32Array,
    private readonly search: SortedKeys
  ) {}

  /** Decodes every entry of `block` with `cursor` (reset to the block here). Throws as a scan would on a damaged entry. */
  static build (block: Block, cursor: BlockIterator): BlockLookup {
    cursor.reset(block)
    let count = 0
    let at = 0
    for (cursor.seekToFirst(); cursor.valid(); cursor.next()) {
      const keyLength = cursor.internalKeyLength()
      if (at + keyLength > scratchKeys.length) scratchKeys = grow(scratchKeys, at + keyLength)
      if (count + 2 > scratchStarts.length) {
        scratchStarts = growInts(scratchStarts, count + 2)
        scratchValues = growInts(scratchValues, 2 * (count + 2))
      }
      scratchStarts[count] = at
      at += cursor.copyInternalKey(scratchKeys, at)
      scratchValues[2 * count] = cursor.valueStart
      scratchValues[2 * count + 1] = cursor.valueEnd
      count++
    }
    scratchStarts[count] = at
    const keys = Buffer.from(scratchKeys.subarray(0, at))
    const keyStarts = scratchStarts.slice(0, count + 1)
    return new BlockLookup(count, keys, keyStarts, scratchValues.slice(0, 2 * count), SortedKeys.over(keys, keyStarts, count))
  }

  /** Memory held, for the block cache's charge. */
  get bytes (): number {
    return this.keys.length + this.keyStarts.byteLength + this.values.byteLength + this.search.overheadBytes
  }

  /** The first entry at or after the internal key target[0, length), or `count`. */
  find (target: Uint8Array, length: number): number {
    return this.search.find(target, length)
  }

  /** Whether entry i's user key is userKey. */
  userKeyEquals (i: number, userKey: Uint8Array): boolean {
    const keys = this.keys
    const start = this.keyStarts[i]
    const n = this.keyStarts[i + 1] - TRAILER_SIZE - start
    if (n !== userKey.length) return false
    for (let j = 0; j < n; j++) if (keys[start + j] !== userKey[j]) return false
    return true
  }

  sequence (i: number): number {
    return trailerSequence(this.keys, this.keyStarts[i + 1] - TRAILER_SIZE)
  }

  kind (i: number): ValueKind {
    return this.keys[this.keyStarts[i + 1] - TRAILER_SIZE]
  }

  valueStart (i: number): number {
    return this.values[2 * i]
  }

  valueEnd (i: number): number {
    return this.values[2 * i + 1]
  }
}

function grow (buffer: Buffer, needed: number): Buffer {
  const grown = Buffer.allocUnsafe(Math.max(needed, 2 * buffer.length))
  buffer.copy(grown)
  return grown
}

function growInts (array: Uint32Array, needed: number): Uint32Array {
  const grown = new Uint32Array(Math.max(needed, 2 * array.length))
  grown.set(array)
  return grown
}
