// Reads logical records back out of a whole log file's bytes (framing: log-format.ts,
// leveldb-format.md §3), tolerating the damage a crash leaves and reporting the rest.
//
//   masked crc32c (fixed32 LE) | length (uint16 LE) | type (uint8) | payload
//
// Silent (a crash mid-append looks like this):
//   - a header or payload cut short by the end of the file: end of log
//   - a FIRST..MIDDLE run with no LAST at the end of the file: dropped
//   - type ZERO with length 0 followed by nothing but zeros to the end of the file
//     (preallocated or never-written space): end of log
// Reported through onCorruption, in ascending file order:
//   - a bad checksum, or a length that runs past the end of its block: the rest of the block
//     is dropped (the length itself may be the damaged field) and reading resumes at the next
//   - zeroed space (type ZERO, length 0) followed by more data: the writer never leaves a gap,
//     so records were lost there; dropped up to the first block boundary at or after the
//     next non-zero byte
//   - an unknown record type (with a good checksum): that record is dropped
//   - FULL or FIRST while a fragmented record is open, or damage inside one: the partial
//     record is dropped and reported on its own, before whatever interrupted it
//   - MIDDLE or LAST with no FIRST before it: that fragment is dropped
//
// Where LevelDB differs: it ends the log silently on an overlong length in the last block,
// and skips zeroed space silently even when records follow; neither can come from a torn
// append, so both are reported here.
//
// A caller that must not leave a hole (WAL replay) stops at the first report. The report is
// made inside the next() call that then returns the first record after the damage, so note it
// in the callback and discard what that call returns.

import { getFixed32 } from '../format/coding'
import { crc32cExtend, unmaskCrc } from '../format/crc32c'
import { BLOCK_SIZE, HEADER_SIZE, RecordType } from './log-format'

export interface LogCorruption {
  /** File offset where the dropped bytes start. */
  offset: number
  /** How many file bytes, from `offset` on, were dropped. */
  bytes: number
  reason: string
}

// readPhysical() results besides a record type byte (0..255).
const END = -1
const BAD = -2

// CRC of every possible type byte, so unknown types are checked like known ones.
const TYPE_CRC: number[] = []
for (let type = 0; type < 256; type++) TYPE_CRC.push(crc32cExtend(0, Uint8Array.of(type)))

export class LogReader {
  private readonly data: Buffer
  private readonly onCorruption: (c: LogCorruption) => void
  private position = 0
  private lastEnd = 0

  // The physical record readPhysical() last returned.
  private recordStart = 0
  private payloadStart = 0
  private payloadEnd = 0

  // Damage found by readPhysical(), reported by next() after any partial record it abandons.
  private pending: LogCorruption | undefined = undefined

  // [start, end) payload ranges of the fragmented record being assembled, flattened.
  private readonly fragments: number[] = []

  // Cache for zero scans: data[zeroScanFrom, zeroScanTo) is all zeros.
  private zeroScanFrom = -1
  private zeroScanTo = -1

  /**
   * `data` holds the file's bytes from a block boundary on; reading starts `startAt` bytes
   * into it, which must be where a record starts (a lastRecordEnd of an earlier read), so that
   * a reader can go on where it stopped in a log that grows. Offsets are relative to `data`.
   *
   * With `assembleInPlace` (for a caller that owns `data` and reads it once), a fragmented
   * record is put together inside `data`, over the headers between its fragments, instead
   * of in a new Buffer: a batch of a few hundred KiB then costs open no allocation and no
   * copy to a second buffer. Only bytes before the reader's position move, so records
   * returned earlier stay intact; `data` itself is no longer the file's bytes.
   */
  constructor (data: Uint8Array, onCorruption: (c: LogCorruption) => void, startAt = 0, private readonly assembleInPlace = false) {
    this.data = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    this.onCorruption = onCorruption
    this.position = startAt
    this.lastEnd = startAt
  }

  /** File offset just past the last whole record returned (0 before the first). */
  get lastRecordEnd (): number {
    return this.lastEnd
  }

  /**
   * The next logical record, or undefined at the end of the log. A record stored whole (FULL)
   * comes back as a view into `data`; a fragmented one as a fresh Buffer (a view too with
   * assembleInPlace). Either way it stays valid as long as `data` is not modified.
   */
  next (): Buffer | undefined {
    const fragments = this.fragments
    let open = false
    let openStart = 0
    let openEnd = 0
    for (;;) {
      const type = this.readPhysical()
      switch (type) {
        case RecordType.Full:
          if (open) this.report(openStart, openEnd - openStart, 'partial record without end')
          this.lastEnd = this.payloadEnd
          return this.data.subarray(this.payloadStart, this.payloadEnd)

        case RecordType.First:
          if (open) this.report(openStart, openEnd - openStart, 'partial record without end')
          open = true
          openStart = this.recordStart
          openEnd = this.payloadEnd
          fragments.length = 0
          fragments.push(this.payloadStart, this.payloadEnd)
          break

        case RecordType.Middle:
        case RecordType.Last:
          if (!open) {
            this.report(this.recordStart, this.payloadEnd - this.recordStart, 'missing start of fragmented record')
            break
          }
          fragments.push(this.payloadStart, this.payloadEnd)
          openEnd = this.payloadEnd
          if (type === RecordType.Last) {
            this.lastEnd = this.payloadEnd
            return this.assemble()
          }
          break

        case END:
          // An open record here was cut off by a crash mid-append: not damage.
          return undefined

        case BAD:
          if (open) this.report(openStart, openEnd - openStart, 'partial record without end')
          open = false
          this.reportPending()
          break

        default:
          if (open) this.report(openStart, openEnd - openStart, 'partial record without end')
          open = false
          this.report(this.recordStart, this.payloadEnd - this.recordStart, `unknown record type ${type}`)
      }
    }
  }

  private assemble (): Buffer {
    const fragments = this.fragments
    if (this.assembleInPlace) {
      // Each fragment moves down to follow the one before: to lower offsets only, over
      // headers and padding whose checksums were checked already.
      const data = this.data
      const start = fragments[0]
      let at = fragments[1]
      for (let i = 2; i < fragments.length; i += 2) {
        data.copyWithin(at, fragments[i], fragments[i + 1])
        at += fragments[i + 1] - fragments[i]
      }
      fragments.length = 0
      this.zeroScanFrom = this.zeroScanTo = -1
      return data.subarray(start, at)
    }
    let total = 0
    for (let i = 0; i < fragments.length; i += 2) total += fragments[i + 1] - fragments[i]
    const record = Buffer.allocUnsafe(total)
    let at = 0
    for (let i = 0; i < fragments.length; i += 2) {
      at += this.data.copy(record, at, fragments[i], fragments[i + 1])
    }
    fragments.length = 0
    return record
  }

  /**
   * Reads the next physical record and returns its type (recordStart/payloadStart/payloadEnd
   * describe it), END at the end of the log, or BAD after setting `pending`.
   */
  private readPhysical (): number {
    const data = this.data
    const size = data.length
    for (;;) {
      const at = this.position
      const blockEnd = at - (at % BLOCK_SIZE) + BLOCK_SIZE
      if (blockEnd - at < HEADER_SIZE) {
        // Block trailer padding.
        this.position = blockEnd
        continue
      }
      if (size - at < HEADER_SIZE) {
        // Nothing left, or a header torn by a crash.
        this.position = size
        return END
      }
      const length = data[at + 4] | (data[at + 5] << 8)
      const type = data[at + 6]
      const end = at + HEADER_SIZE + length
      if (end > blockEnd) {
        // No writer produces this, even one cut short: the header is damaged.
        return this.bad(at, blockEnd, 'bad record length')
      }
      if (end > size) {
        // A payload torn by a crash.
        this.position = size
        return END
      }
      if (type === RecordType.Zero && length === 0) {
        const nonZero = this.firstNonZero(at)
        if (nonZero === size) {
          this.position = size
          return END
        }
        // Resume at a block boundary at or after the surviving data, never before this block's end.
        const aligned = nonZero % BLOCK_SIZE === 0 ? nonZero : nonZero - (nonZero % BLOCK_SIZE) + BLOCK_SIZE
        return this.bad(at, aligned > blockEnd ? aligned : blockEnd, 'zeroed space before more data')
      }
      const expected = unmaskCrc(getFixed32(data, at))
      if (crc32cExtend(TYPE_CRC[type], data, at + HEADER_SIZE, end) !== expected) {
        return this.bad(at, blockEnd, 'checksum mismatch')
      }
      this.recordStart = at
      this.payloadStart = at + HEADER_SIZE
      this.payloadEnd = end
      this.position = end
      return type
    }
  }

  /** Drops data[at, resume) (clamped to the file) and resumes reading at `resume`. */
  private bad (at: number, resume: number, reason: string): number {
    const stop = resume < this.data.length ? resume : this.data.length
    this.pending = { offset: at, bytes: stop - at, reason }
    this.position = stop
    return BAD
  }

  private firstNonZero (from: number): number {
    if (from >= this.zeroScanFrom && from <= this.zeroScanTo) return this.zeroScanTo
    const data = this.data
    let i = from
    while (i < data.length && data[i] === 0) i++
    this.zeroScanFrom = from
    this.zeroScanTo = i
    return i
  }

  private reportPending (): void {
    const pending = this.pending
    this.pending = undefined
    if (pending !== undefined) this.onCorruption(pending)
  }

  private report (offset: number, bytes: number, reason: string): void {
    this.onCorruption({ offset, bytes, reason })
  }
}
