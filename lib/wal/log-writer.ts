// Frames logical records into LevelDB log blocks (leveldb-format.md §3). Pure: the caller
// owns the output buffer and the file; this class only tracks the position in the block.
//
//   physical record = masked crc32c (fixed32 LE) | length (uint16 LE) | type (uint8) | payload
//
// A record that fits in what is left of the block is one FULL record; otherwise it is cut
// into FIRST, MIDDLE*, LAST, each filling the rest of its block. When fewer than 7 bytes are
// left, they are zero-filled and the record starts in the next block. With exactly 7 left the
// record still starts there, as a header-only FIRST. An empty record is one FULL of length 0.

import { ByteWriter, putFixed32 } from '../format/coding'
import { crc32cExtend, maskCrc } from '../format/crc32c'
import { BLOCK_SIZE, HEADER_SIZE, MAX_FRAGMENT, RecordType } from './log-format'

// CRC of each type byte alone, extended over the payload at write time (no concatenation).
const TYPE_CRC = [0, 1, 2, 3, 4].map((type) => crc32cExtend(0, Uint8Array.of(type)))

export class LogWriter {
  private blockOffset: number

  /** `initialFileLength` is the size of the file being appended to (0 for a new file). */
  constructor (initialFileLength = 0) {
    this.blockOffset = initialFileLength % BLOCK_SIZE
  }

  /** Appends the framed bytes of one logical record to `out`. */
  append (record: Uint8Array, out: ByteWriter): void {
    let start = 0
    let left = record.length
    let first = true
    do {
      const room = BLOCK_SIZE - this.blockOffset
      if (room < HEADER_SIZE) {
        // A reader skips a block tail too short for a header; LevelDB writes it as zeros.
        if (room > 0) {
          out.reserve(room)
          out.buffer.fill(0, out.length, out.length + room)
          out.length += room
        }
        this.blockOffset = 0
      }
      const available = BLOCK_SIZE - this.blockOffset - HEADER_SIZE
      const n = left < available ? left : available
      const last = n === left
      const type = first
        ? (last ? RecordType.Full : RecordType.First)
        : (last ? RecordType.Last : RecordType.Middle)
      this.emit(type, record, start, n, out)
      start += n
      left -= n
      first = false
    } while (left > 0)
  }

  /** Frames one record into a new Buffer (for callers that write one record at a time). */
  frame (record: Uint8Array): Buffer {
    // Upper bound: at most 6 padding bytes plus one header per block the record touches.
    const fragments = Math.floor(record.length / MAX_FRAGMENT) + 2
    const out = new ByteWriter(record.length + HEADER_SIZE * fragments + HEADER_SIZE - 1)
    this.append(record, out)
    return out.view()
  }

  private emit (type: RecordType, record: Uint8Array, start: number, n: number, out: ByteWriter): void {
    out.reserve(HEADER_SIZE + n)
    const buf = out.buffer
    const at = out.length
    const end = start + n
    putFixed32(buf, at, maskCrc(crc32cExtend(TYPE_CRC[type], record, start, end)))
    buf[at + 4] = n & 0xff
    buf[at + 5] = n >>> 8
    buf[at + 6] = type
    // The common case (one FULL record) copies without creating a subarray view.
    if (start === 0 && end === record.length) buf.set(record, at + HEADER_SIZE)
    else buf.set(record.subarray(start, end), at + HEADER_SIZE)
    out.length = at + HEADER_SIZE + n
    this.blockOffset += HEADER_SIZE + n
  }
}
