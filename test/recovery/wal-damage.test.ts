// WAL recovery edge cases: write a database with a big write buffer (so everything stays in
// the log), close it, damage the newest NNNNNN.log by hand, reopen.
//   - a torn tail (a crash mid-append) loses only the torn record, silently
//   - garbage after the last record loses nothing acknowledged
//   - a checksum error in the middle stops replay there: exactly the records before the
//     damage survive (never a hole), and the LOG file says how many bytes were dropped

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'
import { prng } from '../support/crash-plan'
import { LogWriter } from '../../lib/wal/log-writer'
import { WriteBatchBuilder } from '../../lib/wal/write-batch'
import { crc32cExtend, maskCrc } from '../../lib/format/crc32c'

const BLOCK = 32768
const HEADER = 7
const BIG_BUFFER = 64 * 1024 * 1024

function keyOf (i: number): string {
  return `key-${String(i).padStart(6, '0')}`
}

function valueOf (i: number, size = 100): string {
  return `value-${i}-`.padEnd(size, String.fromCharCode(97 + (i % 26)))
}

/** Creates a database holding keys 0..n-1, one WAL record each (awaited puts). */
async function createDb (n: number, size: (i: number) => number = () => 100): Promise<string> {
  const location = tempLocation('wal')
  const db = new LsmLevel<string, string>(location, { writeBufferSize: BIG_BUFFER })
  await db.open()
  for (let i = 0; i < n; i++) await db.put(keyOf(i), valueOf(i, size(i)))
  await db.close()
  return location
}

function logFiles (location: string): string[] {
  return fs.readdirSync(location).filter((n) => /^\d{6,}\.log$/.test(n)).sort()
}

/** The newest log that holds data (an engine may have created the next, empty one ahead). */
function newestLog (location: string): string {
  const logs = logFiles(location).filter((name) => fs.statSync(path.join(location, name)).size > 0)
  return path.join(location, logs[logs.length - 1])
}

interface Physical { offset: number, length: number, type: number }

/** The physical records of a log file (its framing only; no checksums). */
function physicalRecords (data: Buffer): Physical[] {
  const out: Physical[] = []
  let at = 0
  while (at < data.length) {
    const left = BLOCK - (at % BLOCK)
    if (left < HEADER) { at += left; continue }
    if (data.length - at < HEADER) break
    const length = data[at + 4] | (data[at + 5] << 8)
    const type = data[at + 6]
    if (type === 0 && length === 0) break
    out.push({ offset: at, length, type })
    at += HEADER + length
  }
  return out
}

/** File offsets where logical record i starts (its FULL or FIRST physical record). */
function logicalStarts (data: Buffer): number[] {
  return physicalRecords(data).filter((r) => r.type === 1 || r.type === 2).map((r) => r.offset)
}

async function readAll (location: string): Promise<Map<string, string>> {
  const db = new LsmLevel<string, string>(location, { writeBufferSize: BIG_BUFFER })
  await db.open()
  const out = new Map<string, string>()
  try {
    for await (const [key, value] of db.iterator()) out.set(key, value)
  } finally {
    await db.close()
  }
  return out
}

/** Whether `actual` is exactly keys 0..count-1 with their values. */
function exactlyFirst (actual: Map<string, string>, count: number, size: (i: number) => number = () => 100): string[] {
  const problems: string[] = []
  for (let i = 0; i < count; i++) {
    if (actual.get(keyOf(i)) !== valueOf(i, size(i))) problems.push(`${keyOf(i)} missing or wrong`)
  }
  for (const key of actual.keys()) {
    const i = Number(key.slice(4))
    if (!(i >= 0 && i < count)) problems.push(`${key} unexpected`)
  }
  return problems.slice(0, 10)
}

function infoLog (location: string): string {
  return fs.readFileSync(path.join(location, 'LOG'), 'utf8')
}

/** Writes more, reopens, and checks the state is stable and the new write survived. */
async function stillSound (t: test.Test, location: string, expected: Map<string, string>, label: string): Promise<void> {
  const db = new LsmLevel<string, string>(location, { writeBufferSize: BIG_BUFFER })
  await db.open()
  await db.put('zz-after', 'written after recovery')
  await db.close()
  const after = await readAll(location)
  const want = new Map(expected)
  want.set('zz-after', 'written after recovery')
  t.deepEqual([...after.entries()], [...want.entries()].sort((a, b) => a[0] < b[0] ? -1 : 1), `${label}: writable, and the next reopen shows the same state plus the new write`)
}

test('torn tail: truncating the last record loses only that record, silently', async (t) => {
  const n = 300
  const cuts: Array<[string, (lastStart: number, length: number) => number, number]> = [
    ['1 byte off the payload', (_s, length) => length - 1, n - 1],
    ['5 bytes off the payload', (_s, length) => length - 5, n - 1],
    ['the whole payload', (s) => s + HEADER, n - 1],
    ['in the middle of the header', (s) => s + 3, n - 1],
    ['right after the previous record', (s) => s, n - 1],
    ['nothing (control)', (_s, length) => length, n]
  ]
  for (const [what, cut, survivors] of cuts) {
    const location = await createDb(n)
    const log = newestLog(location)
    const data = fs.readFileSync(log)
    const starts = logicalStarts(data)
    t.equal(starts.length, n, `${what}: the log holds ${n} records`)
    fs.writeFileSync(log, data.subarray(0, cut(starts[n - 1], data.length)))
    const actual = await readAll(location)
    t.deepEqual(exactlyFirst(actual, survivors), [], `cut ${what}: exactly the first ${survivors} records`)
    t.doesNotMatch(infoLog(location), /dropped|checksum|corrupt/i, `cut ${what}: nothing reported in LOG`)
    if (what.startsWith('in the middle')) await stillSound(t, location, actual, `cut ${what}`)
  }
})

test('torn tail inside a fragmented record (spanning blocks) drops it silently', async (t) => {
  const n = 50
  const size = (i: number): number => i === n - 1 ? 100 * 1024 : 300
  const location = await createDb(n, size)
  const log = newestLog(location)
  const data = fs.readFileSync(log)
  const starts = logicalStarts(data)
  const types = physicalRecords(data).filter((r) => r.offset >= starts[n - 1]).map((r) => r.type)
  t.deepEqual(types, [2, 3, 3, 4], 'the last record is FIRST, MIDDLE, MIDDLE, LAST')
  // Cut in the third block: FIRST and a MIDDLE are whole, the rest is gone.
  fs.writeFileSync(log, data.subarray(0, 2 * BLOCK + 1000))
  const actual = await readAll(location)
  t.deepEqual(exactlyFirst(actual, n - 1, size), [], `exactly the first ${n - 1} records`)
  t.doesNotMatch(infoLog(location), /dropped|checksum|corrupt/i, 'nothing reported in LOG')
  await stillSound(t, location, actual, 'after a torn fragmented record')
})

test('garbage appended after the last record loses nothing', async (t) => {
  const n = 200
  const rand = prng(99)
  const garbage: Array<[string, Buffer]> = [
    ['7 random bytes', Buffer.from(Array.from({ length: 7 }, () => Math.floor(rand() * 256)))],
    ['3000 random bytes', Buffer.from(Array.from({ length: 3000 }, () => Math.floor(rand() * 256)))],
    ['100 KiB of random bytes', Buffer.from(Array.from({ length: 100 * 1024 }, () => Math.floor(rand() * 256)))],
    ['zeros (preallocated space)', Buffer.alloc(40000)],
    ['a header claiming a long FULL record', Buffer.from([1, 2, 3, 4, 0xff, 0x7f, 1, 9, 9, 9])],
    ['a valid-looking header with a bad checksum', Buffer.concat([Buffer.from([0, 0, 0, 0, 20, 0, 1]), Buffer.alloc(20, 0x61)])]
  ]
  for (const [what, bytes] of garbage) {
    const location = await createDb(n)
    fs.appendFileSync(newestLog(location), bytes)
    const actual = await readAll(location)
    t.deepEqual(exactlyFirst(actual, n), [], `${what}: all ${n} records survive`)
    if (what.startsWith('zeros')) await stillSound(t, location, actual, what)
  }
})

test('a checksum error in the middle stops replay there: no hole, and LOG tells', async (t) => {
  const n = 3000
  const location0 = await createDb(n)
  const pristine = fs.readFileSync(newestLog(location0))
  const starts = logicalStarts(pristine)
  t.equal(starts.length, n, `${n} records`)
  t.ok(pristine.length > 8 * BLOCK, `the log spans ${Math.ceil(pristine.length / BLOCK)} blocks`)

  // Damaged record index, and which byte of it to flip (relative to the record start).
  // Each case damages the log and names the first damaged record.
  const flip = (index: number, delta: number) => (data: Buffer): number => {
    data[starts[index] + delta] ^= 0x5a
    return index
  }
  const zero = (from: number, length: number) => (data: Buffer): number => {
    data.fill(0, from, from + length)
    return starts.findIndex((start, i) => (i + 1 < starts.length ? starts[i + 1] : data.length) > from)
  }
  const cases: Array<[string, (data: Buffer) => number]> = [
    ['payload byte of record 5 (first block)', flip(5, HEADER + 40)],
    ['payload byte of record 1000 (a later block)', flip(1000, HEADER + 60)],
    ['the checksum of record 7', flip(7, 1)],
    ['the length field of record 9', flip(9, 4)],
    ['the type byte of record 12', flip(12, 6)],
    ['4 KiB of zeros from the start of record 700 (a lost page)', zero(starts[700], 4096)],
    ['4 KiB of zeros from the middle of record 1500', zero(starts[1500] + 50, 4096)]
  ]
  for (const [what, damage] of cases) {
    const location = await createDb(n)
    const log = newestLog(location)
    const data = fs.readFileSync(log)
    t.ok(data.equals(pristine), `${what}: the same log as the reference`)
    const index = damage(data)
    fs.writeFileSync(log, data)

    const actual = await readAll(location)
    t.deepEqual(exactlyFirst(actual, index), [], `${what}: exactly records 0..${index - 1}, nothing after (even in later intact blocks)`)
    const text = infoLog(location)
    const dropped = /dropped the remaining (\d+) bytes/.exec(text)
    t.ok(dropped !== null, `${what}: LOG mentions the dropped bytes${dropped === null ? ':\n' + text : ''}`)
    if (dropped !== null) {
      t.equal(Number(dropped[1]), data.length - starts[index], `${what}: LOG counts the bytes from the damaged record to the end of the log`)
    }
    await stillSound(t, location, actual, what)
  }
})

test('a well-framed record holding a malformed batch also stops replay there', async (t) => {
  const n = 500
  const index = 20
  const location = await createDb(n)
  const log = newestLog(location)
  const data = fs.readFileSync(log)
  const starts = logicalStarts(data)
  // Claim 5 ops in a batch that holds 1 (count: bytes 8..11 of the payload), then fix the
  // checksum so that only the batch decoder can tell.
  const at = starts[index]
  const length = data[at + 4] | (data[at + 5] << 8)
  t.equal(data[at + 6], 1, 'the record is FULL')
  data.writeUInt32LE(5, at + HEADER + 8)
  const crc = crc32cExtend(crc32cExtend(0, Uint8Array.of(data[at + 6])), data, at + HEADER, at + HEADER + length)
  data.writeUInt32LE(maskCrc(crc), at)
  fs.writeFileSync(log, data)

  const actual = await readAll(location)
  t.deepEqual(exactlyFirst(actual, index), [], `exactly records 0..${index - 1}`)
  const text = infoLog(location)
  const dropped = /dropped the remaining (\d+) bytes/.exec(text)
  t.ok(dropped !== null, `LOG mentions the dropped bytes${dropped === null ? ':\n' + text : ''}`)
  if (dropped !== null) t.equal(Number(dropped[1]), data.length - at, 'LOG counts the bytes from the malformed record to the end of the log')
  await stillSound(t, location, actual, 'after a malformed batch')
})

test('damage in an older log: a newer intact log is not replayed (never a hole)', async (t) => {
  const n = 100
  const location = await createDb(n)
  const older = newestLog(location)
  const data = fs.readFileSync(older)
  const starts = logicalStarts(data)
  data[starts[60] + HEADER + 30] ^= 0x01
  fs.writeFileSync(older, data)

  // A newer log, as a memtable switch leaves it before the flush is recorded, holding the
  // next sequence numbers (one per put: 1..n so far).
  const numbers = fs.readdirSync(location).map((name) => /^(\d+)\./.exec(name)).filter((m) => m !== null).map((m) => Number(m![1]))
  const newer = path.join(location, `${String(Math.max(...numbers) + 1).padStart(6, '0')}.log`)
  const batch = new WriteBatchBuilder()
  batch.put('newer-log-key', 'from the newer log')
  batch.setSequence(n + 1)
  fs.writeFileSync(newer, new LogWriter(0).frame(batch.bytes()))

  const actual = await readAll(location)
  t.deepEqual(exactlyFirst(actual, 60), [], 'exactly the records before the damage; the newer log is skipped')
  t.match(infoLog(location), /Skipping log #\d+/, 'LOG says the newer log was skipped')
  t.notOk(fs.existsSync(newer), 'the skipped log is gone after recovery (it cannot resurface later)')
  await stillSound(t, location, actual, 'after skipping a log')
})

test('control: the same newer log is replayed when the older one is intact', async (t) => {
  const n = 100
  const location = await createDb(n)
  const numbers = fs.readdirSync(location).map((name) => /^(\d+)\./.exec(name)).filter((m) => m !== null).map((m) => Number(m![1]))
  const newer = path.join(location, `${String(Math.max(...numbers) + 1).padStart(6, '0')}.log`)
  const batch = new WriteBatchBuilder()
  batch.put('newer-log-key', 'from the newer log')
  batch.setSequence(n + 1)
  fs.writeFileSync(newer, new LogWriter(0).frame(batch.bytes()))
  const actual = await readAll(location)
  t.deepEqual(exactlyFirst(new Map([...actual].filter(([k]) => k !== 'newer-log-key')), n), [], 'all records of the older log')
  t.equal(actual.get('newer-log-key'), 'from the newer log', 'and the newer log')
})
