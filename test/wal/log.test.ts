import test = require('tape')
import { ByteWriter } from '../../lib/format/coding'
import { crc32c, maskCrc } from '../../lib/format/crc32c'
import { BLOCK_SIZE, HEADER_SIZE, MAX_FRAGMENT, RecordType } from '../../lib/wal/log-format'
import { type LogCorruption, LogReader } from '../../lib/wal/log-reader'
import { LogWriter } from '../../lib/wal/log-writer'
import { WriteBatchBuilder } from '../../lib/wal/write-batch'

/** A record of `size` bytes whose content depends on `seed`, so mix-ups show. */
function record (size: number, seed = size): Buffer {
  const b = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) b[i] = (seed * 31 + i * 7) & 0xff
  return b
}

function writeAll (records: Uint8Array[], writer = new LogWriter()): Buffer {
  const out = new ByteWriter()
  for (const r of records) writer.append(r, out)
  return Buffer.from(out.view())
}

function readAll (data: Uint8Array): { records: Buffer[], reports: LogCorruption[], lastRecordEnd: number } {
  const reports: LogCorruption[] = []
  const reader = new LogReader(data, (c) => reports.push(c))
  const records: Buffer[] = []
  for (let r = reader.next(); r !== undefined; r = reader.next()) records.push(Buffer.from(r))
  return { records, reports, lastRecordEnd: reader.lastRecordEnd }
}

/** One hand-made physical record with a correct checksum. */
function physical (type: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(HEADER_SIZE + payload.length)
  const crc = crc32c(Buffer.concat([Buffer.of(type), payload]))
  b.writeUInt32LE(maskCrc(crc), 0)
  b.writeUInt16LE(payload.length, 4)
  b[6] = type
  b.set(payload, HEADER_SIZE)
  return b
}

/** (offset, type, length) of every physical record, walking headers as the writer lays them out. */
function fragments (data: Buffer): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = []
  let at = 0
  while (at < data.length) {
    if (BLOCK_SIZE - (at % BLOCK_SIZE) < HEADER_SIZE) {
      at += BLOCK_SIZE - (at % BLOCK_SIZE)
      continue
    }
    const length = data.readUInt16LE(at + 4)
    out.push([at, data[at + 6], length])
    at += HEADER_SIZE + length
  }
  return out
}

function sameRecords (t: test.Test, actual: Buffer[], expected: Uint8Array[], label: string): void {
  t.equal(actual.length, expected.length, `${label}: ${expected.length} records`)
  t.ok(actual.every((r, i) => Buffer.compare(r, expected[i]) === 0), `${label}: same bytes`)
}

test('log: the real bytes of classic-level\'s put a=1, del b', (t) => {
  const batch = new WriteBatchBuilder()
  const writer = new LogWriter()
  const out = new ByteWriter()
  batch.setSequence(1)
  batch.put('a', '1')
  writer.append(batch.bytes(), out)
  batch.reset()
  batch.setSequence(2)
  batch.del(Buffer.from('b'))
  writer.append(batch.bytes(), out)
  t.equal(out.view().toString('hex'),
    'e99f7819' + '1100' + '01' + '0100000000000000' + '01000000' + '01' + '0161' + '0131' +
    '52f3fb16' + '0f00' + '01' + '0200000000000000' + '01000000' + '00' + '0162')
  const { records, reports } = readAll(out.view())
  t.equal(records.length, 2)
  t.same(reports, [])
  t.end()
})

test('log: fragments of a 70 028-byte record after a 17-byte one (as classic-level wrote them)', (t) => {
  const data = writeAll([record(17), record(70028)])
  t.same(fragments(data), [
    [0, RecordType.Full, 17],
    [24, RecordType.First, 32737],
    [32768, RecordType.Middle, 32761],
    [65536, RecordType.Last, 4530]
  ])
  sameRecords(t, readAll(data).records, [record(17), record(70028)], 'spanning three blocks')
  t.end()
})

test('log: a record that exactly fills a block', (t) => {
  const data = writeAll([record(MAX_FRAGMENT), record(5)])
  t.same(fragments(data), [[0, RecordType.Full, MAX_FRAGMENT], [BLOCK_SIZE, RecordType.Full, 5]])
  const { records, reports, lastRecordEnd } = readAll(data)
  sameRecords(t, records, [record(MAX_FRAGMENT), record(5)], 'exact fill')
  t.same(reports, [])
  t.equal(lastRecordEnd, BLOCK_SIZE + HEADER_SIZE + 5)
  t.end()
})

test('log: 6 bytes left in a block are zero padding', (t) => {
  const first = record(BLOCK_SIZE - HEADER_SIZE - 6)
  const data = writeAll([first, record(3)])
  t.equal(data.length, BLOCK_SIZE + HEADER_SIZE + 3)
  t.ok(data.subarray(BLOCK_SIZE - 6, BLOCK_SIZE).equals(Buffer.alloc(6)), 'six zero bytes')
  t.same(fragments(data), [[0, RecordType.Full, first.length], [BLOCK_SIZE, RecordType.Full, 3]])
  sameRecords(t, readAll(data).records, [first, record(3)], '6 left')
  t.end()
})

test('log: 7 bytes left in a block hold a header-only FIRST', (t) => {
  const first = record(BLOCK_SIZE - HEADER_SIZE - 7)
  const data = writeAll([first, record(3)])
  t.same(fragments(data), [
    [0, RecordType.Full, first.length],
    [BLOCK_SIZE - 7, RecordType.First, 0],
    [BLOCK_SIZE, RecordType.Last, 3]
  ])
  sameRecords(t, readAll(data).records, [first, record(3)], '7 left')

  // An empty record in those 7 bytes is a FULL of length 0 instead.
  const withEmpty = writeAll([first, new Uint8Array(0), record(3)])
  t.same(fragments(withEmpty), [
    [0, RecordType.Full, first.length],
    [BLOCK_SIZE - 7, RecordType.Full, 0],
    [BLOCK_SIZE, RecordType.Full, 3]
  ])
  sameRecords(t, readAll(withEmpty).records, [first, new Uint8Array(0), record(3)], 'empty in 7 left')
  t.end()
})

test('log: an empty record is one FULL of length 0', (t) => {
  const data = writeAll([new Uint8Array(0)])
  t.equal(data.length, HEADER_SIZE)
  t.same(fragments(data), [[0, RecordType.Full, 0]])
  const { records, reports } = readAll(data)
  t.equal(records.length, 1)
  t.equal(records[0].length, 0)
  t.same(reports, [])
  t.end()
})

test('log: the checksum covers the type byte and the payload (masked)', (t) => {
  const data = writeAll([Buffer.from('hello')])
  t.ok(data.equals(physical(RecordType.Full, Buffer.from('hello'))))
  t.end()
})

test('log: frame() equals append() and keeps the block position', (t) => {
  const sizes = [10, 40000, 0, 32761, 6, 100000]
  const framer = new LogWriter()
  const framed = Buffer.concat(sizes.map((s) => framer.frame(record(s))))
  t.ok(framed.equals(writeAll(sizes.map((s) => record(s)))))
  t.end()
})

test('log: appending to an existing file continues its block', (t) => {
  const sizes = [100, 32000, 7, 50000, 3]
  const whole = writeAll(sizes.map((s) => record(s)))
  for (let split = 1; split < sizes.length; split++) {
    const head = writeAll(sizes.slice(0, split).map((s) => record(s)))
    const tail = writeAll(sizes.slice(split).map((s) => record(s)), new LogWriter(head.length))
    t.ok(Buffer.concat([head, tail]).equals(whole), `split after ${split} records`)
  }
  t.end()
})

test('log: many random sizes round trip', (t) => {
  let seed = 12345
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed / 0x100000000
  }
  const records: Buffer[] = []
  for (let i = 0; i < 600; i++) {
    const pick = random()
    const size = pick < 0.6 ? Math.floor(random() * 100)
      : pick < 0.9 ? Math.floor(random() * 5000)
        : pick < 0.97 ? MAX_FRAGMENT - 10 + Math.floor(random() * 20)
          : Math.floor(random() * 120000)
    records.push(record(size, i))
  }
  const data = writeAll(records)
  const result = readAll(data)
  sameRecords(t, result.records, records, 'random')
  t.same(result.reports, [])
  t.equal(result.lastRecordEnd, data.length)
  t.end()
})

test('log: assembled in place, fragmented records come out whole and earlier ones stay intact', (t) => {
  // Fragmented records of two to five fragments between short ones, and two in a row.
  const records = [record(17, 1), record(70028, 2), record(5, 3), record(3 * BLOCK_SIZE + 100, 4), record(BLOCK_SIZE, 5), record(40000, 6), record(0, 7)]
  const data = writeAll(records)
  const expected = readAll(data).records
  const owned = Buffer.from(data)
  const reports: LogCorruption[] = []
  const reader = new LogReader(owned, (c) => reports.push(c), 0, true)
  const views: Buffer[] = []
  for (let r = reader.next(); r !== undefined; r = reader.next()) views.push(r)
  t.ok(views.every((view) => view.buffer === owned.buffer), 'every record is a view into the data')
  // Compared only now: a later assembly must not have moved bytes of an earlier record.
  sameRecords(t, views, expected, 'in place')
  t.same(reports, [])
  t.equal(reader.lastRecordEnd, data.length, 'it read to the end')
  t.notOk(owned.equals(data), 'the data was rearranged (headers between fragments overwritten)')
  t.end()
})

test('log: assembled in place, damage inside or after a fragmented record reads as with a copy', (t) => {
  const records = [record(70028, 1), record(30, 2), record(90000, 3), record(30, 4)]
  const data = writeAll(records)
  const frags = fragments(data)
  // The middle fragment of the first record, and the short record after the second.
  for (const fragment of [1, frags.length - 1]) {
    const damaged = Buffer.from(data)
    damaged[frags[fragment][0] + HEADER_SIZE] ^= 0xff
    const copied = { records: [] as Buffer[], reports: [] as LogCorruption[] }
    const inPlace = { records: [] as Buffer[], reports: [] as LogCorruption[] }
    for (const [into, own] of [[copied, false], [inPlace, true]] as const) {
      const reader = new LogReader(Buffer.from(damaged), (c) => into.reports.push(c), 0, own)
      for (let r = reader.next(); r !== undefined; r = reader.next()) into.records.push(Buffer.from(r))
    }
    t.ok(copied.reports.length > 0, `fragment ${fragment}: the copying reader reports damage: ${JSON.stringify(copied.reports)}`)
    t.same(inPlace.reports, copied.reports, `fragment ${fragment}: the in-place reader reports the same`)
    sameRecords(t, inPlace.records, copied.records, `fragment ${fragment}: the same records`)
  }
  t.end()
})

test('log: a torn header at EOF is a clean end', (t) => {
  const data = writeAll([record(10), record(20)])
  for (let cut = 1; cut < HEADER_SIZE; cut++) {
    const { records, reports, lastRecordEnd } = readAll(data.subarray(0, 17 + cut))
    sameRecords(t, records, [record(10)], `header cut to ${cut} bytes`)
    t.same(reports, [], 'no report')
    t.equal(lastRecordEnd, 17)
  }
  t.end()
})

test('log: a torn payload at EOF is a clean end', (t) => {
  const data = writeAll([record(10), record(20)])
  const { records, reports, lastRecordEnd } = readAll(data.subarray(0, data.length - 1))
  sameRecords(t, records, [record(10)], 'payload short by one')
  t.same(reports, [])
  t.equal(lastRecordEnd, 17)
  t.end()
})

test('log: a fragmented record cut off at EOF is dropped silently', (t) => {
  const data = writeAll([record(10), record(80000)])
  for (const cut of [BLOCK_SIZE, BLOCK_SIZE + 100, 2 * BLOCK_SIZE, 2 * BLOCK_SIZE + HEADER_SIZE]) {
    const { records, reports, lastRecordEnd } = readAll(data.subarray(0, cut))
    sameRecords(t, records, [record(10)], `cut at ${cut}`)
    t.same(reports, [], 'no report')
    t.equal(lastRecordEnd, 17)
  }
  t.end()
})

test('log: a bad checksum drops the rest of its block; later blocks are still read', (t) => {
  const records = [record(100), record(200), record(300), record(BLOCK_SIZE - 621 - HEADER_SIZE), record(50), record(60)]
  const data = writeAll(records)
  const frags = fragments(data)
  t.equal(frags[4][0], BLOCK_SIZE, 'record 4 starts block 1')
  data[frags[1][0] + HEADER_SIZE + 5] ^= 0x01
  const { records: read, reports } = readAll(data)
  sameRecords(t, read, [records[0], records[4], records[5]], 'bad crc')
  t.same(reports, [{ offset: frags[1][0], bytes: BLOCK_SIZE - frags[1][0], reason: 'checksum mismatch' }])
  t.end()
})

test('log: a bad checksum in the last, partial block drops to EOF', (t) => {
  const data = writeAll([record(100), record(200)])
  data[data.length - 1] ^= 0x80
  const { records, reports, lastRecordEnd } = readAll(data)
  sameRecords(t, records, [record(100)], 'bad crc at tail')
  t.same(reports, [{ offset: 107, bytes: 207, reason: 'checksum mismatch' }])
  t.equal(lastRecordEnd, 107)
  t.end()
})

test('log: a length that overruns the block is reported, even in the last block', (t) => {
  const records = [record(100), record(200), record(2 * BLOCK_SIZE), record(30)]
  const data = writeAll(records)
  const frags = fragments(data)
  t.same(frags.map((f) => [f[0], f[1]]), [
    [0, RecordType.Full], [107, RecordType.Full], [314, RecordType.First],
    [BLOCK_SIZE, RecordType.Middle], [2 * BLOCK_SIZE, RecordType.Last], [frags[5][0], RecordType.Full]
  ])
  data.writeUInt16LE(0xffff, 107 + 4)
  const { records: read, reports } = readAll(data)
  // Block 0 is dropped from record 1 on, which takes the FIRST of record 2 with it.
  t.same(reports, [
    { offset: 107, bytes: BLOCK_SIZE - 107, reason: 'bad record length' },
    { offset: BLOCK_SIZE, bytes: BLOCK_SIZE, reason: 'missing start of fragmented record' },
    { offset: 2 * BLOCK_SIZE, bytes: frags[5][0] - 2 * BLOCK_SIZE, reason: 'missing start of fragmented record' }
  ])
  sameRecords(t, read, [records[0], records[3]], 'bad length')

  const short = writeAll([record(100), record(200)])
  short.writeUInt16LE(BLOCK_SIZE - 107, 107 + 4)
  const tail = readAll(short)
  sameRecords(t, tail.records, [record(100)], 'bad length in the last block')
  t.same(tail.reports, [{ offset: 107, bytes: 207, reason: 'bad record length' }])
  t.end()
})

test('log: a shorter length that stays in the block fails the checksum', (t) => {
  const data = writeAll([record(100), record(200), record(300)])
  data.writeUInt16LE(150, 107 + 4)
  const { records, reports } = readAll(data)
  sameRecords(t, records, [record(100)], 'bad length')
  t.same(reports, [{ offset: 107, bytes: data.length - 107, reason: 'checksum mismatch' }])
  t.end()
})

test('log: an unknown record type is reported and skipped', (t) => {
  const data = Buffer.concat([writeAll([record(10)]), physical(9, record(20)), physical(RecordType.Full, record(30))])
  const { records, reports } = readAll(data)
  sameRecords(t, records, [record(10), record(30)], 'unknown type')
  t.same(reports, [{ offset: 17, bytes: 27, reason: 'unknown record type 9' }])
  t.end()
})

test('log: type ZERO with a payload is an unknown type', (t) => {
  const data = Buffer.concat([physical(RecordType.Zero, record(4)), physical(RecordType.Full, record(5))])
  const { records, reports } = readAll(data)
  sameRecords(t, records, [record(5)], 'zero with payload')
  t.same(reports, [{ offset: 0, bytes: 11, reason: 'unknown record type 0' }])
  t.end()
})

test('log: a lone MIDDLE or LAST is reported', (t) => {
  const data = Buffer.concat([
    physical(RecordType.Middle, record(10)),
    physical(RecordType.Full, record(11)),
    physical(RecordType.Last, record(12)),
    physical(RecordType.Full, record(13))
  ])
  const { records, reports } = readAll(data)
  sameRecords(t, records, [record(11), record(13)], 'lone fragments')
  t.same(reports, [
    { offset: 0, bytes: 17, reason: 'missing start of fragmented record' },
    { offset: 35, bytes: 19, reason: 'missing start of fragmented record' }
  ])
  t.end()
})

test('log: FULL or FIRST while a record is open abandons the partial record', (t) => {
  const data = Buffer.concat([
    physical(RecordType.First, record(10)),
    physical(RecordType.Middle, record(11)),
    physical(RecordType.Full, record(12)),
    physical(RecordType.First, record(13)),
    physical(RecordType.First, record(14)),
    physical(RecordType.Last, record(15))
  ])
  const { records, reports } = readAll(data)
  sameRecords(t, records, [record(12), Buffer.concat([record(14), record(15)])], 'restarts')
  t.same(reports, [
    { offset: 0, bytes: 35, reason: 'partial record without end' },
    { offset: 54, bytes: 20, reason: 'partial record without end' }
  ])
  t.end()
})

test('log: damage inside a fragmented record reports the partial record first', (t) => {
  const records = [record(100), record(80000), record(20)]
  const data = writeAll(records)
  const frags = fragments(data)
  t.same(frags.map((f) => f[1]), [RecordType.Full, RecordType.First, RecordType.Middle, RecordType.Last, RecordType.Full])
  data[frags[2][0] + HEADER_SIZE] ^= 0xff // the MIDDLE, in block 1
  const { records: read, reports, lastRecordEnd } = readAll(data)
  sameRecords(t, read, [records[0], records[2]], 'damaged middle')
  t.same(reports, [
    { offset: 107, bytes: BLOCK_SIZE - 107, reason: 'partial record without end' },
    { offset: BLOCK_SIZE, bytes: BLOCK_SIZE, reason: 'checksum mismatch' },
    { offset: 2 * BLOCK_SIZE, bytes: frags[3][2] + HEADER_SIZE, reason: 'missing start of fragmented record' }
  ])
  t.equal(lastRecordEnd, data.length)
  t.end()
})

test('log: zeroed space at the end is a clean end, before more data it is reported', (t) => {
  const data = writeAll([record(10), record(20)])
  const preallocated = Buffer.concat([data, Buffer.alloc(3 * BLOCK_SIZE)])
  const tail = readAll(preallocated)
  sameRecords(t, tail.records, [record(10), record(20)], 'zeros to EOF')
  t.same(tail.reports, [])
  t.equal(tail.lastRecordEnd, data.length)

  // A fragmented record cut short by preallocated zeros is a torn tail too.
  const torn = writeAll([record(10), record(40000)]).subarray(0, BLOCK_SIZE)
  const tornRead = readAll(Buffer.concat([torn, Buffer.alloc(BLOCK_SIZE + 100)]))
  sameRecords(t, tornRead.records, [record(10)], 'torn record then zeros')
  t.same(tornRead.reports, [])

  // Zeros then a record in a later block: records were lost in between.
  const gap = Buffer.concat([data, Buffer.alloc(2 * BLOCK_SIZE - data.length), writeAll([record(30)])])
  const gapRead = readAll(gap)
  sameRecords(t, gapRead.records, [record(10), record(20), record(30)], 'zeros then more')
  t.same(gapRead.reports, [{ offset: data.length, bytes: 2 * BLOCK_SIZE - data.length, reason: 'zeroed space before more data' }])
  t.end()
})

test('log: block trailers shorter than a header are skipped whatever they hold', (t) => {
  const first = record(BLOCK_SIZE - HEADER_SIZE - 4)
  const data = writeAll([first, record(9)])
  data.fill(0xee, BLOCK_SIZE - 4, BLOCK_SIZE)
  const { records, reports } = readAll(data)
  sameRecords(t, records, [first, record(9)], 'dirty trailer')
  t.same(reports, [])
  t.end()
})

test('log: next() keeps returning undefined after the end', (t) => {
  const reader = new LogReader(writeAll([record(3)]), () => t.fail('no report'))
  t.ok(reader.next())
  t.equal(reader.next(), undefined)
  t.equal(reader.next(), undefined)
  const empty = new LogReader(new Uint8Array(0), () => t.fail('no report'))
  t.equal(empty.next(), undefined)
  t.equal(empty.lastRecordEnd, 0)
  t.end()
})
