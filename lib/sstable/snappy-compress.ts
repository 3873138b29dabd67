// Raw Snappy compression (the format is in compression.ts): each 64 KiB fragment of the
// input is scanned with a hash table of the positions of 4-byte sequences; a sequence seen
// before becomes a copy of the earlier bytes (extended as far as they match), the bytes in
// between become literals. Lookups skip ahead faster the longer nothing matched, so that
// incompressible data goes by quickly.
//
// Written for V8: 4-byte loads go through a DataView (which V8 compiles to one load, three
// times faster than composing four bytes), the hash table is a Uint16Array emptied with
// fill(), and short literals are copied in a loop.
// The output is valid Snappy for every reader; it need not be byte-for-byte what another
// compressor would produce, and LevelDB does not ask that.

const FRAGMENT = 65536
const MAX_TABLE_BITS = 14
// Positions within this many bytes of a fragment's end are not hashed (loads read 4 bytes,
// match extension 8 ahead).
const INPUT_MARGIN = 15
const HASH_MULTIPLIER = 0x1e35a7bd

const tables: Uint16Array[] = []


/** The most bytes the Snappy form of `length` input bytes can take. */
export function maxCompressedLength (length: number): number {
  return 32 + length + Math.floor(length / 6)
}

/**
 * Snappy of `input`: a view of `into` when given (it must hold maxCompressedLength bytes),
 * else of a fresh buffer.
 */
export function snappyCompressBytes (input: Uint8Array, into?: Buffer): Buffer {
  const n = input.length
  const out = into ?? Buffer.allocUnsafe(maxCompressedLength(n))
  let op = 0
  // Preamble: the uncompressed length as a varint.
  let length = n
  while (length >= 0x80) {
    out[op++] = (length & 0x7f) | 0x80
    length >>>= 7
  }
  out[op++] = length
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength)
  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength)
  for (let start = 0; start < n; start += FRAGMENT) {
    op = compressFragment(input, view, start, Math.min(n, start + FRAGMENT), out, outView, op)
  }
  return out.subarray(0, op)
}

function compressFragment (input: Uint8Array, view: DataView, start: number, end: number, out: Uint8Array, outView: DataView, op: number): number {
  const size = end - start
  if (size < INPUT_MARGIN) return emitLiteral(input, view, start, end, out, outView, op)
  let bits = 8
  while (bits < MAX_TABLE_BITS && (1 << bits) < size) bits++
  let table = tables[bits]
  if (table === undefined) table = tables[bits] = new Uint16Array(1 << bits)
  else table.fill(0)
  const shift = 32 - bits
  const limit = end - INPUT_MARGIN

  let emitFrom = start
  let ip = start + 1
  let nextHash = Math.imul(view.getInt32(ip, true), HASH_MULTIPLIER) >>> shift
  for (;;) {
    // Find a 4-byte match, looking further apart the longer none turns up.
    let skip = 32
    let nextIp = ip
    let candidate: number
    do {
      ip = nextIp
      const hash = nextHash
      nextIp = ip + (skip++ >>> 5)
      if (nextIp > limit) return emitLiteral(input, view, emitFrom, end, out, outView, op)
      nextHash = Math.imul(view.getInt32(nextIp, true), HASH_MULTIPLIER) >>> shift
      candidate = start + table[hash]
      table[hash] = ip - start
    } while (view.getInt32(ip, true) !== view.getInt32(candidate, true))

    op = emitLiteral(input, view, emitFrom, ip, out, outView, op)

    // Emit copies for as long as the next position matches too.
    for (;;) {
      let matched = 4
      while (ip + matched + 4 <= end && view.getInt32(candidate + matched, true) === view.getInt32(ip + matched, true)) matched += 4
      while (ip + matched < end && input[candidate + matched] === input[ip + matched]) matched++
      op = emitCopy(out, op, ip - candidate, matched)
      ip += matched
      emitFrom = ip
      if (ip >= limit) return emitLiteral(input, view, emitFrom, end, out, outView, op)
      table[Math.imul(view.getInt32(ip - 1, true), HASH_MULTIPLIER) >>> shift] = ip - 1 - start
      const hash = Math.imul(view.getInt32(ip, true), HASH_MULTIPLIER) >>> shift
      candidate = start + table[hash]
      table[hash] = ip - start
      if (view.getInt32(ip, true) !== view.getInt32(candidate, true)) break
    }
    ip++
    nextHash = Math.imul(view.getInt32(ip, true), HASH_MULTIPLIER) >>> shift
  }
}

function emitLiteral (input: Uint8Array, inView: DataView, from: number, to: number, out: Uint8Array, outView: DataView, op: number): number {
  const len = to - from
  if (len === 0) return op
  const n = len - 1
  if (n < 60) {
    out[op++] = n << 2
  } else if (n < 0x100) {
    out[op++] = 60 << 2
    out[op++] = n
  } else if (n < 0x10000) {
    out[op++] = 61 << 2
    out[op++] = n & 0xff
    out[op++] = n >>> 8
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2
    out[op++] = n & 0xff
    out[op++] = (n >>> 8) & 0xff
    out[op++] = n >>> 16
  } else {
    out[op++] = 63 << 2
    out[op++] = n & 0xff
    out[op++] = (n >>> 8) & 0xff
    out[op++] = (n >>> 16) & 0xff
    out[op++] = n >>> 24
  }
  if (len < 64) {
    let i = 0
    for (; i + 4 <= len; i += 4) outView.setInt32(op + i, inView.getInt32(from + i, true), true)
    for (; i < len; i++) out[op + i] = input[from + i]
  } else {
    out.set(input.subarray(from, to), op)
  }
  return op + len
}

/** Copies of at most 64 bytes each; the short, near ones in two bytes. */
function emitCopy (out: Uint8Array, op: number, offset: number, len: number): number {
  while (len >= 68) {
    op = emitShortCopy(out, op, offset, 64)
    len -= 64
  }
  if (len > 64) {
    // Leave at least 4 for the last copy.
    op = emitShortCopy(out, op, offset, 60)
    len -= 60
  }
  return emitShortCopy(out, op, offset, len)
}

function emitShortCopy (out: Uint8Array, op: number, offset: number, len: number): number {
  if (len < 12 && offset < 2048) {
    out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5)
    out[op++] = offset & 0xff
  } else {
    out[op++] = 2 | ((len - 1) << 2)
    out[op++] = offset & 0xff
    out[op++] = offset >>> 8
  }
  return op
}
