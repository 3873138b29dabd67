// WriteBatch encoding: the payload of every WAL record (leveldb-format.md §4).
//
//   sequence : fixed64 LE   sequence number of the first op; op i gets sequence + i
//   count    : fixed32 LE   number of ops
//   ops      : count × { tag : uint8  (1 = put, 0 = delete)
//                        key : varint32 length, bytes
//                        value : varint32 length, bytes   (puts only) }
//
// A group commit merges several batches into one record by concatenating their ops. This
// file is the one codec: the write path, WAL replay, repair and the tests all decode here.

import { asBuffer } from '../format/bytes'
import { decoded, getFixed32, getFixed64, getVarint32, putFixed32, putFixed64, putVarint, varintLength } from '../format/coding'
import { ValueKind } from '../format/internal-key'
import { corruption } from '../base/errors'

export const BATCH_HEADER_SIZE = 12

const EMPTY: Buffer = Buffer.alloc(0)

// Strings up to this many UTF-16 units are tried as ASCII first: a JS loop (about 2.7 ns a
// character) beats a native call (about 70 ns) for the short keys that dominate.
const SHORT_STRING = 24
// Strings up to this many units are encoded with one native call into space reserved for the
// worst case (3 bytes a unit), instead of measuring them first (byteLength) and then writing:
// 100-character values cost 70 ns instead of 165. Longer ones are measured, so that the
// reservation never triples a large value's footprint in the reused buffer.
const MEDIUM_STRING = 16384

/** A reusable encoder for the write path. Keys and values may be bytes or utf8 strings. */
export class WriteBatchBuilder {
  private buffer: Buffer
  private length = BATCH_HEADER_SIZE
  private ops = 0
  private payload = 0

  constructor (initialCapacity = 1024) {
    this.buffer = Buffer.alloc(initialCapacity > BATCH_HEADER_SIZE ? initialCapacity : BATCH_HEADER_SIZE)
  }

  get count (): number {
    return this.ops
  }

  /** Bytes of the keys and values added so far: what the user wrote, for write amplification. */
  get userBytes (): number {
    return this.payload
  }

  /** Encoded size so far, header included. */
  get byteSize (): number {
    return this.length
  }

  reset (): void {
    this.buffer.fill(0, 0, BATCH_HEADER_SIZE)
    this.length = BATCH_HEADER_SIZE
    this.ops = 0
    this.payload = 0
  }

  put (key: Uint8Array | string, value: Uint8Array | string): void {
    this.reserve(1)
    this.buffer[this.length++] = ValueKind.Value
    this.field(key)
    this.field(value)
    this.ops++
  }

  del (key: Uint8Array | string): void {
    this.reserve(1)
    this.buffer[this.length++] = ValueKind.Deletion
    this.field(key)
    this.ops++
  }

  setSequence (sequence: number): void {
    putFixed64(this.buffer, 0, sequence)
  }

  /** The encoded batch: a view into internal storage, valid until the next reset or op. */
  bytes (): Buffer {
    putFixed32(this.buffer, 8, this.ops)
    return this.buffer.subarray(0, this.length)
  }

  /** Appends the ops of another encoded batch (its header's sequence is ignored). */
  appendBatch (encoded: Uint8Array): void {
    const count = batchCount(encoded)
    const opsLength = encoded.length - BATCH_HEADER_SIZE
    this.reserve(opsLength)
    this.buffer.set(encoded.subarray(BATCH_HEADER_SIZE), this.length)
    this.length += opsLength
    this.ops += count
    this.payload += batchUserBytes(encoded)
  }

  /** Writes one length-prefixed key or value; strings are encoded in place as utf8. */
  private field (data: Uint8Array | string): void {
    if (typeof data === 'string') {
      if (data.length <= SHORT_STRING && this.asciiField(data)) return
      if (data.length <= MEDIUM_STRING) {
        this.mediumStringField(data)
        return
      }
      const size = data.length === 0 ? 0 : Buffer.byteLength(data, 'utf8')
      this.payload += size
      this.reserve(5 + size)
      this.length = putVarint(this.buffer, this.length, size)
      if (size > 0) this.length += this.buffer.write(data, this.length, size, 'utf8')
    } else {
      const size = data.length
      this.payload += size
      this.reserve(5 + size)
      this.length = putVarint(this.buffer, this.length, size)
      this.buffer.set(data, this.length)
      this.length += size
    }
  }

  /**
   * Writes a string of up to MEDIUM_STRING units with one native call. Its prefix is sized for
   * its utf8 length being its length in units, which is exact when it is all ASCII; when it is
   * not and the true length needs a longer varint, the bytes move up to make room.
   */
  private mediumStringField (data: string): void {
    const units = data.length
    this.reserve(5 + 3 * units)
    const buf = this.buffer
    const guessedPrefix = varintLength(units)
    const at = this.length + guessedPrefix
    const size = units === 0 ? 0 : buf.write(data, at, buf.length - at, 'utf8')
    const prefix = varintLength(size)
    if (prefix !== guessedPrefix) buf.copyWithin(this.length + prefix, at, at + size)
    putVarint(buf, this.length, size)
    this.length += prefix + size
    this.payload += size
  }

  /** Writes a short all-ASCII string with no native call; returns false if it is not ASCII. */
  private asciiField (data: string): boolean {
    const n = data.length
    this.reserve(1 + n)
    const buf = this.buffer
    const at = this.length + 1
    for (let i = 0; i < n; i++) {
      const c = data.charCodeAt(i)
      if (c >= 0x80) return false
      buf[at + i] = c
    }
    buf[this.length] = n
    this.length = at + n
    this.payload += n
    return true
  }

  private reserve (extra: number): void {
    const needed = this.length + extra
    if (needed <= this.buffer.length) return
    let capacity = this.buffer.length * 2
    while (capacity < needed) capacity *= 2
    const next = Buffer.allocUnsafe(capacity)
    this.buffer.copy(next, 0, 0, this.length)
    this.buffer = next
  }
}

/** The sequence number of an encoded batch's first op. */
export function batchSequence (encoded: Uint8Array): number {
  checkHeader(encoded, 'write batch')
  return getFixed64(encoded, 0)
}

export function batchCount (encoded: Uint8Array): number {
  checkHeader(encoded, 'write batch')
  return getFixed32(encoded, 8)
}

/** Bytes of the keys and values of a well-formed batch (our own encoding). */
export function batchUserBytes (encoded: Uint8Array): number {
  const count = getFixed32(encoded, 8)
  const end = encoded.length
  let at = BATCH_HEADER_SIZE
  let bytes = 0
  for (let i = 0; i < count; i++) {
    const kind = encoded[at++]
    getVarint32(encoded, at, end)
    bytes += decoded.value
    at = decoded.offset + decoded.value
    if (kind === ValueKind.Value) {
      getVarint32(encoded, at, end)
      bytes += decoded.value
      at = decoded.offset + decoded.value
    }
  }
  return bytes
}

/** Where a batch's ops go: a memtable, or anything with the same add(). */
export interface BatchSink {
  add: (
    sequence: number, kind: ValueKind,
    keySource: Uint8Array, keyStart: number, keyEnd: number,
    valueSource: Uint8Array, valueStart: number, valueEnd: number
  ) => void
}

/**
 * Checks a whole encoded batch: header, every tag and length, the count, no trailing bytes.
 * Returns the op count; throws LEVEL_CORRUPTION naming `file` if malformed. Bytes from disk
 * are checked before applyBatch() so that a damaged batch applies nothing (batches stay atomic).
 */
export function checkBatch (encoded: Uint8Array, file: string): number {
  checkHeader(encoded, file)
  const count = getFixed32(encoded, 8)
  const found = scanOps(encoded, file)
  if (found !== count) {
    throw corruption(file, `write batch count ${count} does not match its ${found} ops`)
  }
  return count
}

/**
 * Hands every op of a well-formed batch (our own encoding, or one checkBatch() passed) to
 * `sink`, straight from the batch's bytes; op i gets `firstSequence + i`. Returns the count.
 */
export function applyBatch (sink: BatchSink, encoded: Uint8Array, firstSequence: number): number {
  const count = getFixed32(encoded, 8)
  const end = encoded.length
  let at = BATCH_HEADER_SIZE
  for (let i = 0; i < count; i++) {
    const kind = encoded[at++]
    getVarint32(encoded, at, end)
    const keyStart = decoded.offset
    const keyEnd = keyStart + decoded.value
    at = keyEnd
    if (kind === ValueKind.Value) {
      getVarint32(encoded, at, end)
      at = decoded.offset + decoded.value
      sink.add(firstSequence + i, ValueKind.Value, encoded, keyStart, keyEnd, encoded, decoded.offset, at)
    } else {
      sink.add(firstSequence + i, ValueKind.Deletion, encoded, keyStart, keyEnd, encoded, 0, 0)
    }
  }
  return count
}

/**
 * Checks `encoded` whole, then calls `visit` for each op in order with views into it (a
 * delete gets an empty value) and the sequence from the batch's header.
 */
export function forEachBatchOp (
  encoded: Uint8Array,
  file: string,
  visit: (kind: ValueKind, key: Buffer, value: Buffer, sequence: number) => void
): void {
  checkBatch(encoded, file)
  const buf = asBuffer(encoded)
  applyBatch({
    add: (sequence, kind, _keySource, keyStart, keyEnd, _valueSource, valueStart, valueEnd) => {
      visit(kind, buf.subarray(keyStart, keyEnd), kind === ValueKind.Value ? buf.subarray(valueStart, valueEnd) : EMPTY, sequence)
    }
  }, buf, getFixed64(buf, 0))
}

/** Walks the ops without visiting them; returns how many there are or throws. */
function scanOps (buf: Uint8Array, file: string): number {
  const end = buf.length
  let at = BATCH_HEADER_SIZE
  let found = 0
  while (at < end) {
    const tag = buf[at++]
    if (tag !== ValueKind.Value && tag !== ValueKind.Deletion) {
      throw corruption(file, `unknown write batch tag ${tag}`)
    }
    if (!getVarint32(buf, at, end) || decoded.offset + decoded.value > end) {
      throw corruption(file, 'write batch key truncated')
    }
    at = decoded.offset + decoded.value
    if (tag === ValueKind.Value) {
      if (!getVarint32(buf, at, end) || decoded.offset + decoded.value > end) {
        throw corruption(file, 'write batch value truncated')
      }
      at = decoded.offset + decoded.value
    }
    found++
  }
  return found
}

function checkHeader (encoded: Uint8Array, file: string): void {
  if (encoded.length < BATCH_HEADER_SIZE) {
    throw corruption(file, `write batch of ${encoded.length} bytes is shorter than its header`)
  }
}
