// LevelDB's 32-bit hash (util/hash.cc, leveldb-format.md §6.7), the one its bloom filters use
// with seed 0xbc9f1d34. Murmur-like: whole 4-byte little-endian words first, then the 1-3
// tail bytes as unsigned values. All arithmetic is mod 2^32.

const M = 0xc6a4a793
export const BLOOM_HASH_SEED = 0xbc9f1d34

/** Hash of bytes[start, end), read in place. Returns an unsigned 32-bit integer. */
export function bloomHash (bytes: Uint8Array, start = 0, end = bytes.length, seed = BLOOM_HASH_SEED): number {
  const length = end - start
  let h = (seed ^ Math.imul(length, M)) >>> 0
  let i = start
  const wordsEnd = start + (length & ~3)
  while (i < wordsEnd) {
    const word = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)
    h = Math.imul((h + word) | 0, M)
    h ^= h >>> 16
    i += 4
  }
  const rest = end - i
  if (rest > 0) {
    if (rest === 3) h = (h + (bytes[i + 2] << 16)) | 0
    if (rest >= 2) h = (h + (bytes[i + 1] << 8)) | 0
    h = Math.imul((h + bytes[i]) | 0, M)
    h ^= h >>> 24
  }
  return h >>> 0
}
