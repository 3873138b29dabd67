import test = require('tape')
import {
  ByteWriter, decoded, getFixed32, getFixed64, getVarint, getVarint32, putFixed32, putFixed64,
  putVarint, varintLength
} from '../../lib/format/coding'

const BOUNDARIES = [
  0, 1, 127, 128, 255, 256, 2 ** 14 - 1, 2 ** 14, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28,
  2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35, 2 ** 42, 2 ** 49, 2 ** 53 - 1
]

test('varint: boundaries round trip with the expected length', (t) => {
  const buf = Buffer.alloc(16)
  for (const value of BOUNDARIES) {
    const end = putVarint(buf, 3, value)
    const expectedLength = Math.max(1, Math.ceil(value.toString(2).length / 7))
    t.equal(end - 3, expectedLength, `${value} takes ${expectedLength} bytes`)
    t.equal(varintLength(value), expectedLength, `varintLength(${value})`)
    t.ok(getVarint(buf, 3, end), `${value} decodes`)
    t.equal(decoded.value, value, `${value} value`)
    t.equal(decoded.offset, end, `${value} offset`)
  }
  t.end()
})

test('varint: known encodings', (t) => {
  const cases: Array<[number, string]> = [
    [0, '00'], [127, '7f'], [128, '8001'], [300, 'ac02'], [2 ** 14, '808001'],
    [2 ** 32 - 1, 'ffffffff0f'], [2 ** 32, '8080808010'], [2 ** 53 - 1, 'ffffffffffffff0f']
  ]
  for (const [value, hex] of cases) {
    const buf = Buffer.alloc(10)
    const end = putVarint(buf, 0, value)
    t.equal(buf.subarray(0, end).toString('hex'), hex, `${value}`)
  }
  t.end()
})

test('varint: truncated input is rejected', (t) => {
  for (const value of BOUNDARIES) {
    const buf = Buffer.alloc(16)
    const end = putVarint(buf, 0, value)
    for (let cut = 0; cut < end; cut++) {
      if (getVarint(buf, 0, cut)) t.fail(`${value} cut to ${cut} bytes decoded`)
    }
  }
  t.notOk(getVarint(Buffer.from([0x80]), 0, 1), 'a lone continuation byte')
  t.notOk(getVarint(Buffer.alloc(0), 0, 0), 'no bytes')
  t.notOk(getVarint(Buffer.from([0x81, 0x82]), 0, 2), 'ends on a continuation byte')
  t.end()
})

test('varint: over-long and oversized encodings are rejected', (t) => {
  // 11 bytes: longer than any varint64
  const eleven = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
  t.notOk(getVarint(eleven, 0, eleven.length), '11-byte varint')
  // 2^53 does not fit a JS number exactly
  const big = Buffer.alloc(10)
  t.notOk(getVarint(big, 0, putVarint(big, 0, 2 ** 53)), '2^53 rejected')
  const max64 = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
  t.notOk(getVarint(max64, 0, max64.length), '2^64 - 1 rejected')

  // varint32: at most 5 bytes and at most 2^32 - 1
  const buf = Buffer.alloc(10)
  t.ok(getVarint32(buf, 0, putVarint(buf, 0, 2 ** 32 - 1)), 'varint32 2^32 - 1')
  t.equal(decoded.value, 2 ** 32 - 1)
  t.notOk(getVarint32(buf, 0, putVarint(buf, 0, 2 ** 32)), 'varint32 2^32 rejected')
  const six = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
  t.notOk(getVarint32(six, 0, six.length), '6-byte varint32 rejected')
  t.ok(getVarint(six, 0, six.length), 'but fine as a varint64')
  t.equal(decoded.value, 0)
  t.end()
})

test('fixed32 / fixed64: round trips and byte order', (t) => {
  const buf = Buffer.alloc(16)
  for (const value of [0, 1, 0xff, 0x100, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff]) {
    t.equal(putFixed32(buf, 1, value), 5)
    t.equal(getFixed32(buf, 1), value, `fixed32 ${value}`)
    t.equal(buf.readUInt32LE(1), value, `fixed32 ${value} is little-endian`)
  }
  for (const value of [0, 1, 0xffffffff, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345, 2 ** 53 - 1]) {
    t.equal(putFixed64(buf, 2, value), 10)
    t.equal(getFixed64(buf, 2), value, `fixed64 ${value}`)
    t.equal(buf.readBigUInt64LE(2), BigInt(value), `fixed64 ${value} is little-endian`)
  }
  t.end()
})

test('ByteWriter: grows and encodes', (t) => {
  const w = new ByteWriter(2)
  w.byte(7)
  w.varint(300)
  w.fixed32(0xdeadbeef)
  w.fixed64(2 ** 40)
  w.lengthPrefixed(Buffer.from('abc'))
  t.equal(w.view().toString('hex'), '07' + 'ac02' + 'efbeadde' + '0000000000010000' + '03616263')
  w.reset()
  t.equal(w.view().length, 0)
  t.end()
})

test('ByteWriter: a zero initial capacity still grows', (t) => {
  const w = new ByteWriter(0)
  w.bytes(Buffer.from('hello'))
  t.equal(w.view().toString(), 'hello')
  t.end()
})
