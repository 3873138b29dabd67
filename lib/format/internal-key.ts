// Internal keys as stored in tables and the MANIFEST (leveldb-format.md §5):
//
//   internal_key = user_key || trailer
//   trailer      = fixed64 LE of (sequence << 8 | kind)      kind: 0 deletion, 1 value
//
// Order: user key ascending (bytewise), then trailer descending, so the newest version of a
// key comes first. In memory the engine keeps (userKey, sequence, kind) apart and only packs
// a trailer at the format boundary. Sequences are JS numbers: exact below 2^53, which a
// database would take centuries to reach; the one larger value on disk is the separator
// trailer pack(2^56 - 1, 1), which decodes to MAX_SEQUENCE.

import { compareRanges } from './bytes'
import { getFixed32 } from './coding'

export const enum ValueKind {
  Deletion = 0,
  Value = 1
}

/** The kind used in lookup keys: the highest valid kind, so a lookup sorts before entries of its sequence. */
export const KIND_FOR_SEEK = ValueKind.Value

/** Larger than every real sequence; stands for LevelDB's 2^56 - 1. */
export const MAX_SEQUENCE = 2 ** 56 - 1

/**
 * The largest sequence this engine holds exactly (LevelDB's limit is 2^56 - 1). A larger one
 * on disk is treated as damage: it is never read into memory, nor written back.
 */
export const MAX_USABLE_SEQUENCE = Number.MAX_SAFE_INTEGER

export const TRAILER_SIZE = 8

/** Writes the 8-byte trailer for (sequence, kind) at `offset`. */
export function putTrailer (buf: Uint8Array, offset: number, sequence: number, kind: number): void {
  if (sequence >= MAX_SEQUENCE) {
    buf[offset] = kind
    buf.fill(0xff, offset + 1, offset + 8)
    return
  }
  // low 32 bits = (sequence mod 2^24) << 8 | kind; high 32 bits = sequence / 2^24
  const low = (sequence % 0x1000000) * 256 + kind
  const high = Math.floor(sequence / 0x1000000)
  buf[offset] = low
  buf[offset + 1] = low >>> 8
  buf[offset + 2] = low >>> 16
  buf[offset + 3] = low >>> 24
  buf[offset + 4] = high
  buf[offset + 5] = high >>> 8
  buf[offset + 6] = high >>> 16
  buf[offset + 7] = high >>> 24
}

export function trailerKind (buf: Uint8Array, offset: number): number {
  return buf[offset]
}

export function trailerSequence (buf: Uint8Array, offset: number): number {
  const low = getFixed32(buf, offset)
  const high = getFixed32(buf, offset + 4)
  if (high >= 0xffffff00 && low >= 0xffffff00) return MAX_SEQUENCE
  return high * 0x1000000 + Math.floor(low / 256)
}

export function makeInternalKey (userKey: Uint8Array, sequence: number, kind: number): Buffer {
  const key = Buffer.allocUnsafe(userKey.length + TRAILER_SIZE)
  key.set(userKey, 0)
  putTrailer(key, userKey.length, sequence, kind)
  return key
}

export function userKeyOf (internalKey: Uint8Array): Buffer {
  const b = Buffer.isBuffer(internalKey) ? internalKey : Buffer.from(internalKey.buffer, internalKey.byteOffset, internalKey.byteLength)
  return b.subarray(0, b.length - TRAILER_SIZE)
}

/** Compares the trailers at a[ao] and b[bo] in internal order (larger trailer first). */
export function compareTrailers (a: Uint8Array, ao: number, b: Uint8Array, bo: number): number {
  const aHigh = getFixed32(a, ao + 4)
  const bHigh = getFixed32(b, bo + 4)
  if (aHigh !== bHigh) return aHigh > bHigh ? -1 : 1
  const aLow = getFixed32(a, ao)
  const bLow = getFixed32(b, bo)
  return aLow === bLow ? 0 : aLow > bLow ? -1 : 1
}

/** Internal-key order over two whole internal keys. */
export function compareInternalKeys (a: Uint8Array, b: Uint8Array): number {
  return compareInternalKeyRanges(a, 0, a.length, b, 0, b.length)
}

export function compareInternalKeyRanges (
  a: Uint8Array, aStart: number, aEnd: number,
  b: Uint8Array, bStart: number, bEnd: number
): number {
  const c = compareRanges(a, aStart, aEnd - TRAILER_SIZE, b, bStart, bEnd - TRAILER_SIZE)
  if (c !== 0) return c
  return compareTrailers(a, aEnd - TRAILER_SIZE, b, bEnd - TRAILER_SIZE)
}

export function describeInternalKey (key: Uint8Array): string {
  if (key.length < TRAILER_SIZE) return `<bad internal key ${Buffer.from(key).toString('hex')}>`
  const user = Buffer.from(key.buffer, key.byteOffset, key.length - TRAILER_SIZE)
  return `'${user.toString('latin1')}' @ ${trailerSequence(key, key.length - TRAILER_SIZE)} : ${trailerKind(key, key.length - TRAILER_SIZE)}`
}
