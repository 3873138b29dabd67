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

/**
 * Decodes raw Snappy from input[start, end); throws corruption naming `file` on any
 * inconsistency. The result is a fresh buffer, or with `into` a view of into.buffer (grown
 * as needed), which the next decode into it overwrites.
 */
export function snappyUncompress (file: string, input: Uint8Array, start = 0, end = input.length, into?: { buffer: Buffer }): Buffer {
  const length = declaredLength(file, input, start, end)
  let out: Buffer
  if (into === undefined) {
    out = Buffer.allocUnsafe(length)
  } else {
    if (into.buffer.length < length) into.buffer = Buffer.allocUnsafe(Math.max(length, into.buffer.length * 2))
    out = into.buffer.subarray(0, length)
  }
  const src = new DataView(input.buffer, input.byteOffset, input.byteLength)
  const dst = new DataView(out.buffer, out.byteOffset, out.byteLength)
  const q = decodeElements(file, input, src, decoded.offset, end, out, dst, 0, length, length)
  checkStreamEnd(file, q, length, elementsEnd, end)
  return out
}

/**
 * A snappy stream decoded only as far as a reader needs: decodeUntil(n) makes out[0, n) (or
 * everything, if less) valid. A point read that finds its entry in the first half of a
 * block stops there. The output buffer is reused from one stream to the next.
 */
export class SnappyStream {
  out = Buffer.allocUnsafe(8192)
  private outView: DataView<ArrayBufferLike> = new DataView(this.out.buffer, this.out.byteOffset, this.out.byteLength)
  private inputView: DataView<ArrayBufferLike> = this.outView
  /** The uncompressed length the stream declares. */
  length = 0
  /** Bytes of `out` decoded so far. */
  produced = 0
  private file = ''
  private input: Uint8Array = this.out
  private at = 0
  private end = 0

  /** Starts on the raw Snappy bytes input[start, end); decodes nothing yet. */
  start (file: string, input: Uint8Array, start: number, end: number): void {
    this.length = declaredLength(file, input, start, end)
    if (this.out.length < this.length) {
      this.out = Buffer.allocUnsafe(Math.max(this.length, this.out.length * 2))
      this.outView = new DataView(this.out.buffer, this.out.byteOffset, this.out.byteLength)
    }
    this.file = file
    if (input !== this.input) {
      this.input = input
      this.inputView = new DataView(input.buffer, input.byteOffset, input.byteLength)
    }
    this.at = decoded.offset
    this.end = end
    this.produced = 0
  }

  /**
   * Decodes until at least `wanted` bytes (capped at the declared length) are out, and a
   * little beyond, so that a reader asking entry by entry makes few calls; returns how many are.
   */
  decodeUntil (wanted: number): number {
    if (this.produced >= wanted || this.produced === this.length) return this.produced
    const until = Math.max(wanted, this.produced + DECODE_AHEAD)
    this.produced = decodeElements(this.file, this.input, this.inputView, this.at, this.end, this.out, this.outView, this.produced, this.length, until)
    this.at = elementsEnd
    if (this.produced === this.length || this.at === this.end) checkStreamEnd(this.file, this.produced, this.length, this.at, this.end)
    return this.produced
  }
}

// How far past what it was asked for a SnappyStream decodes in one call.
const DECODE_AHEAD = 256

/** The uncompressed length at the head of input[start, end); decoded.offset is then where the elements begin. */
function declaredLength (file: string, input: Uint8Array, start: number, end: number): number {
  if (!getVarint32(input, start, end)) throw corruption(file, 'bad snappy length')
  const length = decoded.value
  if (length > (end - start) * MAX_EXPANSION + 64) throw corruption(file, 'implausible snappy length')
  return length
}

/** Output and input must end together. */
function checkStreamEnd (file: string, produced: number, length: number, at: number, end: number): void {
  if (produced !== length) throw corruption(file, 'snappy output shorter than declared')
  if (at !== end) throw corruption(file, 'snappy input goes on past the declared length')
}

/** Where the last decodeElements() call stopped reading its input. */
let elementsEnd = 0

/**
 * Decodes the elements in input[p, end) into out, from out[q] on, until out holds at least
 * `until` bytes or the input ends; returns how many bytes out holds (elementsEnd says where
 * the input was left). Every element is checked against `length`, the declared total.
 */
function decodeElements (
  file: string, input: Uint8Array, src: DataView<ArrayBufferLike>, p: number, end: number,
  out: Buffer, dst: DataView<ArrayBufferLike>, q: number, length: number, until: number
): number {
  // Bytes move four at a time through DataViews (src and dst, over input and out): a block
  // is made of short literals and copies (at most 64 bytes each), too short for a native
  // copy to pay for its call, and a byte loop takes four times the steps.
  while (p < end && q < until) {
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
  elementsEnd = p
  return q
}
