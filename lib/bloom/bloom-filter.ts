// The `leveldb.BuiltinBloomFilter2` policy (leveldb-format.md §6.7), byte-identical to
// LevelDB's so that each side trusts the other's filters:
//
//   filter = bit array of max(64, n * bitsPerKey) bits rounded up to whole bytes | k: uint8
//
// Bit i lives in byte i >> 3 at mask 1 << (i & 7). Each key sets k bits by double hashing:
// h = bloomHash(key), delta = rotr32(h, 17), bit j = (h + j * delta) mod bits.
// Readers take k from the filter's last byte; k > 30 is reserved and means "may match".

import { bloomHash } from './bloom-hash'

export const BLOOM_FILTER_NAME = 'leveldb.BuiltinBloomFilter2'

/** classic-level's NewBloomFilterPolicy(10): k = 6. */
export const DEFAULT_BITS_PER_KEY = 10

export class BloomFilterPolicy {
  readonly name = BLOOM_FILTER_NAME
  readonly bitsPerKey: number
  /** Probes per key: bitsPerKey * ln 2, rounded down, within 1..30. */
  readonly k: number

  constructor (bitsPerKey = DEFAULT_BITS_PER_KEY) {
    this.bitsPerKey = bitsPerKey
    this.k = Math.min(30, Math.max(1, Math.floor(bitsPerKey * 0.69)))
  }

  /** A filter for `keys` (user keys; duplicates count, as in LevelDB). */
  createFilter (keys: readonly Uint8Array[]): Buffer {
    const hashes = new Uint32Array(keys.length)
    for (let i = 0; i < keys.length; i++) hashes[i] = bloomHash(keys[i])
    return this.createFilterFromHashes(hashes, keys.length)
  }

  /** The same filter from precomputed bloomHash values hashes[0, count). */
  createFilterFromHashes (hashes: Uint32Array, count: number): Buffer {
    const filter = Buffer.alloc(this.filterLength(count))
    this.writeFilter(hashes, count, filter, 0)
    return filter
  }

  /** Bytes a filter over `count` keys takes, k byte included. */
  filterLength (count: number): number {
    const bits = Math.max(64, count * this.bitsPerKey)
    return Math.ceil(bits / 8) + 1
  }

  /** Writes the filter for hashes[0, count) at out[offset] (filterLength(count) bytes, zeroed here). */
  writeFilter (hashes: Uint32Array, count: number, out: Uint8Array, offset: number): void {
    const length = this.filterLength(count) - 1
    const bits = length * 8
    const inverse = 1 / bits
    const k = this.k
    out.fill(0, offset, offset + length)
    for (let i = 0; i < count; i++) {
      let h = hashes[i]
      const delta = ((h >>> 17) | (h << 15)) >>> 0
      for (let j = 0; j < k; j++) {
        const bit = remainder(h, bits, inverse)
        out[offset + (bit >>> 3)] |= 1 << (bit & 7)
        h = (h + delta) >>> 0
      }
    }
    out[offset + length] = k
  }

  mayMatch (key: Uint8Array, filter: Uint8Array, start = 0, end = filter.length): boolean {
    return bloomMayMatch(key, filter, start, end)
  }
}

/** Whether `key` may be in the filter stored at filter[start, end). False means surely absent. */
export function bloomMayMatch (key: Uint8Array, filter: Uint8Array, start = 0, end = filter.length): boolean {
  return bloomMayMatchHash(bloomHash(key), filter, start, end)
}

export function bloomMayMatchHash (hash: number, filter: Uint8Array, start: number, end: number): boolean {
  const length = end - start
  if (length < 2) return false
  const k = filter[end - 1]
  if (k > 30) return true // reserved for future encodings
  const bits = (length - 1) * 8
  const inverse = 1 / bits
  let h = hash
  const delta = ((h >>> 17) | (h << 15)) >>> 0
  for (let j = 0; j < k; j++) {
    const bit = remainder(h, bits, inverse)
    if ((filter[start + (bit >>> 3)] & (1 << (bit & 7))) === 0) return false
    h = (h + delta) >>> 0
  }
  return true
}

/**
 * h % bits for a uint32 h, with inverse = 1 / bits. V8 computes `%` on a uint32 past 2^31 as
 * a floating-point remainder, four times slower than this. The quotient from the multiply is
 * off by at most one (it is below 2^26 and the product's error far below 1), and the
 * subtraction is exact, so one correction step gives the exact remainder.
 */
function remainder (h: number, bits: number, inverse: number): number {
  const r = h - Math.floor(h * inverse) * bits
  return r >= bits ? r - bits : r < 0 ? r + bits : r
}
