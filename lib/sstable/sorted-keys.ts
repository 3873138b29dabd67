// Binary search over internal keys stored back to back, numbers before bytes: the search of
// a decoded index block (table-index.ts) and of a data block's lookup (block-lookup.ts).
//
//   keys          K(0) .. K(count - 1), strictly increasing internal keys, back to back:
//                 K(i) is keys[keyStarts[i], keyStarts[i + 1])
//   shared prefix bytes the user keys of K(0) .. K(sharedEnd - 1) all start with, those of
//                 the first and the last but one (an index block's last separator is often a
//                 short successor such as "1"): keys[keyStarts[0], + sharedLength)
//   prefixes[i]   K(i)'s six user-key bytes past the shared prefix, zero-padded, big-endian,
//                 as a number: a < b gives number(a) <= number(b)
//
// A lookup checks the shared prefix once, then compares numbers, and bytes only where the
// numbers tie or past sharedEnd. (With db_bench's "%016d" keys, whose first ten bytes rarely
// differ, byte comparisons were a sixth of getSync's time on 1M keys.)

import { compareInternalKeyRanges, TRAILER_SIZE } from '../format/internal-key'

export class SortedKeys {
  private constructor (
    readonly keys: Uint8Array,
    readonly keyStarts: Uint32Array,
    readonly count: number,
    private readonly sharedLength: number,
    private readonly sharedEnd: number,
    private readonly prefixes: Float64Array
  ) {}

  /** The search over `count` keys laid out as above; the caller has checked their order. */
  static over (keys: Uint8Array, keyStarts: Uint32Array, count: number): SortedKeys {
    const userEnd = (j: number): number => keyStarts[j + 1] - TRAILER_SIZE
    const lastButOne = Math.max(0, count - 2)
    const sharedLength = count === 0 ? 0 : sharedPrefixLength(keys, keyStarts[0], userEnd(0), keyStarts[lastButOne], userEnd(lastButOne))
    let sharedEnd = count
    while (sharedEnd > 0 && sharedPrefixLength(keys, keyStarts[0], userEnd(0), keyStarts[sharedEnd - 1], userEnd(sharedEnd - 1)) < sharedLength) sharedEnd--
    const prefixes = new Float64Array(count)
    for (let j = 0; j < count; j++) prefixes[j] = prefixNumber(keys, keyStarts[j] + sharedLength, userEnd(j))
    return new SortedKeys(keys, keyStarts, count, sharedLength, sharedEnd, prefixes)
  }

  /** Bytes held besides the keys themselves. */
  get overheadBytes (): number {
    return this.prefixes.byteLength
  }

  /** The first i with K(i) >= the internal key target[0, length), or `count`. */
  find (target: Uint8Array, length: number): number {
    const keys = this.keys
    const starts = this.keyStarts
    const userEnd = length - TRAILER_SIZE
    // Against the shared prefix: before it, the target sorts before K(0); past it, after
    // every key that has it (a key above a prefixed key without the prefix is above every
    // key with it, the target included).
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

  /** The first i in [left, right) with K(i) >= the target, or `right`. */
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
