// Per-block compression (leveldb-format.md §7). Blocks are raw Snappy, no framing, no CRC:
//
//   varint32 uncompressed length, then elements; each element opens with a tag byte whose
//   low 2 bits give its kind:
//     00 literal  length-1 in tag>>2 (0..59), or 60..63 = length-1 in the next 1..4 bytes LE
//     01 copy     length 4 + ((tag>>2)&7), offset ((tag>>5)<<8) | next byte
//     10 copy     length 1 + (tag>>2),     offset next 2 bytes LE
//     11 copy     length 1 + (tag>>2),     offset next 4 bytes LE
//
// Compression is snappy-compress.ts. Decompression is a strict decoder: it checks that the
// output reaches the declared length and that copies stay inside it, so damaged input never
// comes back as plausible wrong bytes.

import { corruption } from '../base/errors'
import { decoded, getVarint32 } from '../format/coding'
import { maxCompressedLength, snappyCompressBytes } from './snappy-compress'


// A copy element of 3 bytes yields at most 64 bytes, so no valid stream expands by more than
// ~22x; larger claims are garbage and must not make us allocate gigabytes.
const MAX_EXPANSION = 22

/** True when `compressedLength` saves at least 12.5 % of `rawLength`, LevelDB's rule for keeping it. */
export function worthCompressing (rawLength: number, compressedLength: number): boolean {
  return compressedLength < rawLength - Math.floor(rawLength / 8)
}

/** Raw Snappy of `raw` (a fresh buffer). */
export function snappyCompress (raw: Uint8Array): Buffer {
  return snappyCompressBytes(raw)
}

/**
 * The compressed form of `raw` if it is worth keeping, else undefined. With `scratch` (grown
 * as needed: pass back the one `scratch.buffer` holds) the result is a view into it.
 */
export function maybeCompress (raw: Uint8Array, scratch?: { buffer: Buffer }): Buffer | undefined {
  let compressed: Buffer
  if (scratch === undefined) {
    compressed = snappyCompress(raw)
  } else {
    const needed = maxCompressedLength(raw.length)
    if (scratch.buffer.length < needed) scratch.buffer = Buffer.allocUnsafe(needed)
    compressed = snappyCompressBytes(raw, scratch.buffer)
  }
  return worthCompressing(raw.length, compressed.length) ? compressed : undefined
}

/** Decodes raw Snappy from input[start, end); throws corruption naming `file` on any inconsistency. */
export function snappyUncompress (file: string, input: Uint8Array, start = 0, end = input.length): Buffer {
  if (!getVarint32(input, start, end)) throw corruption(file, 'bad snappy length')
  const length = decoded.value
  if (length > (end - start) * MAX_EXPANSION + 64) throw corruption(file, 'implausible snappy length')
  const out = Buffer.allocUnsafe(length)
  // Bytes move four at a time through DataViews: a block is made of short literals and
  // copies (at most 64 bytes each), too short for a native copy to pay for its call, and a
  // byte loop takes four times the steps.
  const src = new DataView(input.buffer, input.byteOffset, input.byteLength)
  const dst = new DataView(out.buffer, out.byteOffset, out.byteLength)
  let p = decoded.offset
  let q = 0
  while (p < end) {
    const tag = input[p++]
    const type = tag & 3
    let len: number
    if (type === 0) {
      len = (tag >>> 2) + 1
      if (len > 60) {
        const extra = len - 60
        if (p + extra > end) throw corruption(file, 'truncated snappy literal')
        len = 0
        for (let i = extra - 1; i >= 0; i--) len = len * 256 + input[p + i]
        len += 1
        p += extra
      }
      if (p + len > end || q + len > length) throw corruption(file, 'snappy literal overruns')
      if (len >= 256) {
        out.set(input.subarray(p, p + len), q)
      } else {
        let i = 0
        for (; i + 4 <= len; i += 4) dst.setInt32(q + i, src.getInt32(p + i, true), true)
        for (; i < len; i++) out[q + i] = input[p + i]
      }
      p += len
      q += len
      continue
    }
    let offset: number
    if (type === 1) {
      if (p >= end) throw corruption(file, 'truncated snappy copy')
      len = ((tag >>> 2) & 7) + 4
      offset = ((tag >>> 5) << 8) | input[p++]
    } else if (type === 2) {
      if (p + 2 > end) throw corruption(file, 'truncated snappy copy')
      len = (tag >>> 2) + 1
      offset = input[p] | (input[p + 1] << 8)
      p += 2
    } else {
      if (p + 4 > end) throw corruption(file, 'truncated snappy copy')
      len = (tag >>> 2) + 1
      offset = (input[p] | (input[p + 1] << 8) | (input[p + 2] << 16)) + input[p + 3] * 0x1000000
      p += 4
    }
    if (offset === 0 || offset > q || q + len > length) throw corruption(file, 'bad snappy copy')
    let from = q - offset
    const stop = q + len
    if (offset >= 4) {
      // Each word read is complete before the step that reads it (the source lags by >= 4).
      for (; q + 4 <= stop; q += 4, from += 4) dst.setInt32(q, dst.getInt32(from, true), true)
    }
    // Overlapping copies (offset < 4) repeat a pattern byte by byte; so does the tail.
    while (q < stop) out[q++] = out[from++]
  }
  if (q !== length) throw corruption(file, 'snappy output shorter than declared')
  return out
}
