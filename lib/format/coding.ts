// Primitive encodings shared by every on-disk structure (leveldb-format.md §1):
//
//   fixed32   4 bytes little-endian
//   fixed64   8 bytes little-endian (we accept values up to 2^53 - 1 as JS numbers)
//   varint32  LEB128, 7 bits per byte, low group first, high bit = "more", at most 5 bytes
//   varint64  the same, at most 10 bytes; values >= 2^53 are rejected when decoding
//   slice     varint32 length, then that many bytes
//
// Decoders take (buffer, offset) and report the new offset through `decoded.offset`
// so that hot loops allocate nothing.

export const decoded = { value: 0, offset: 0 }

export function varintLength (value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    n++
  }
  return n
}

/** Writes `value` (a non-negative integer below 2^53) at `offset`; returns the offset after it. */
export function putVarint (buf: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    buf[offset++] = (value & 0x7f) | 0x80
    value = value < 0x100000000 ? value >>> 7 : Math.floor(value / 128)
  }
  buf[offset++] = value
  return offset
}

/**
 * Reads a varint at `offset` into `decoded.value`/`decoded.offset`. Returns false when the
 * bytes end before the varint does, or it is longer than `maxBytes` or larger than 2^53 - 1.
 */
export function getVarint (buf: Uint8Array, offset: number, limit: number, maxBytes = 10): boolean {
  let result = 0
  let multiplier = 1
  for (let i = 0; i < maxBytes; i++) {
    if (offset >= limit) return false
    const byte = buf[offset++]
    result += (byte & 0x7f) * multiplier
    if (byte < 0x80) {
      if (result > Number.MAX_SAFE_INTEGER) return false
      decoded.value = result
      decoded.offset = offset
      return true
    }
    multiplier *= 128
  }
  return false
}

export function getVarint32 (buf: Uint8Array, offset: number, limit: number): boolean {
  return getVarint(buf, offset, limit, 5) && decoded.value <= 0xffffffff
}

export function putFixed32 (buf: Uint8Array, offset: number, value: number): number {
  buf[offset] = value
  buf[offset + 1] = value >>> 8
  buf[offset + 2] = value >>> 16
  buf[offset + 3] = value >>> 24
  return offset + 4
}

export function getFixed32 (buf: Uint8Array, offset: number): number {
  return (buf[offset] | (buf[offset + 1] << 8) | (buf[offset + 2] << 16)) + buf[offset + 3] * 0x1000000
}

export function putFixed64 (buf: Uint8Array, offset: number, value: number): number {
  putFixed32(buf, offset, value % 0x100000000)
  putFixed32(buf, offset + 4, Math.floor(value / 0x100000000))
  return offset + 8
}

/** Reads a fixed64 as a JS number; exact below 2^53. */
export function getFixed64 (buf: Uint8Array, offset: number): number {
  return getFixed32(buf, offset) + getFixed32(buf, offset + 4) * 0x100000000
}

/** Appends a length-prefixed slice; returns the new offset. */
export function putLengthPrefixed (buf: Uint8Array, offset: number, bytes: Uint8Array): number {
  offset = putVarint(buf, offset, bytes.length)
  buf.set(bytes, offset)
  return offset + bytes.length
}

/** A growable byte buffer for encoders that do not know their size up front. */
export class ByteWriter {
  buffer: Buffer
  length = 0

  constructor (initialCapacity = 256) {
    this.buffer = Buffer.allocUnsafe(initialCapacity)
  }

  reserve (extra: number): void {
    const needed = this.length + extra
    if (needed <= this.buffer.length) return
    let capacity = Math.max(this.buffer.length * 2, 1)
    while (capacity < needed) capacity *= 2
    const next = Buffer.allocUnsafe(capacity)
    this.buffer.copy(next, 0, 0, this.length)
    this.buffer = next
  }

  byte (value: number): void {
    this.reserve(1)
    this.buffer[this.length++] = value
  }

  varint (value: number): void {
    this.reserve(10)
    this.length = putVarint(this.buffer, this.length, value)
  }

  fixed32 (value: number): void {
    this.reserve(4)
    this.length = putFixed32(this.buffer, this.length, value)
  }

  fixed64 (value: number): void {
    this.reserve(8)
    this.length = putFixed64(this.buffer, this.length, value)
  }

  bytes (bytes: Uint8Array): void {
    this.reserve(bytes.length)
    this.buffer.set(bytes, this.length)
    this.length += bytes.length
  }

  lengthPrefixed (bytes: Uint8Array): void {
    this.varint(bytes.length)
    this.bytes(bytes)
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  view (): Buffer {
    return this.buffer.subarray(0, this.length)
  }

  reset (): void {
    this.length = 0
  }
}
