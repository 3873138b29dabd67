// The logical records of a log file (WAL or MANIFEST) with the file offset each starts at,
// for reports that name where something is. Framing and damage handling are LogReader's;
// this only works out offsets, which LogReader does not keep:
//   - a record stored whole (FULL) starts 7 bytes before its payload, which lies just before
//     lastRecordEnd; checked against its header, so it is exact even after skipped damage
//   - a fragmented record starts at the first header position after the previous record
//     (past a block tail too short for a header), exact unless damage was skipped in between,
//     and then the damage itself is reported with its own offset

import { BLOCK_SIZE, HEADER_SIZE, RecordType } from '../wal/log-format'
import { type LogCorruption, LogReader } from '../wal/log-reader'

export interface LogRecord {
  offset: number
  data: Buffer
}

function firstHeaderAt (position: number): number {
  const left = BLOCK_SIZE - (position % BLOCK_SIZE)
  return left < HEADER_SIZE ? position + left : position
}

function isFullRecordAt (file: Buffer, offset: number, length: number): boolean {
  if (offset < 0 || offset + HEADER_SIZE > file.length) return false
  return file[offset + 6] === RecordType.Full && (file[offset + 4] | (file[offset + 5] << 8)) === length
}

/** Every record of `file`, oldest first; damage goes to onDamage as LogReader reports it. */
export function * logRecords (file: Buffer, onDamage: (damage: LogCorruption) => void): Generator<LogRecord> {
  const reader = new LogReader(file, onDamage)
  let previousEnd = 0
  for (let data = reader.next(); data !== undefined; data = reader.next()) {
    const end = reader.lastRecordEnd
    const whole = end - data.length - HEADER_SIZE
    const offset = isFullRecordAt(file, whole, data.length) ? whole : firstHeaderAt(previousEnd)
    previousEnd = end
    yield { offset, data }
  }
}
