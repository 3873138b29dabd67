import test = require('tape')
import { crc32c, crc32cExtend, maskCrc, unmaskCrc } from '../../lib/format/crc32c'

test('crc32c: LevelDB test vectors', (t) => {
  const zeros = new Uint8Array(32)
  const ones = new Uint8Array(32).fill(0xff)
  const ascending = Uint8Array.from({ length: 32 }, (_, i) => i)
  t.equal(crc32c(zeros), 0x8a9136aa, '32 x 0x00')
  t.equal(crc32c(ones), 0x62a8ab43, '32 x 0xff')
  t.equal(crc32c(ascending), 0x46dd794e, 'bytes 0..31')
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283, '"123456789"')
  t.equal(crc32c(new Uint8Array(0)), 0, 'empty input')
  t.end()
})

test('crc32c: start/end select a range', (t) => {
  const data = Buffer.from('xx123456789yy')
  t.equal(crc32c(data, 2, 11), 0xe3069283)
  t.end()
})

test('crc32c: extend over pieces equals the crc of the whole', (t) => {
  const data = Buffer.from('hello world, this is a longer test string to cross 8-byte steps!')
  const whole = crc32c(data)
  for (let split = 0; split <= data.length; split++) {
    const extended = crc32cExtend(crc32c(data.subarray(0, split)), data.subarray(split))
    if (extended !== whole) {
      t.fail(`split at ${split}`)
      return t.end()
    }
    if (crc32cExtend(crc32c(data, 0, split), data, split, data.length) !== whole) {
      t.fail(`range split at ${split}`)
      return t.end()
    }
  }
  t.pass('every split point')
  t.equal(crc32cExtend(crc32c(Buffer.from('hello ')), Buffer.from('world')), crc32c(Buffer.from('hello world')))
  t.end()
})

test('crc32c: mask and unmask', (t) => {
  const crc = crc32c(Buffer.from('foo'))
  t.notEqual(maskCrc(crc), crc, 'mask differs from the raw crc')
  t.notEqual(maskCrc(maskCrc(crc)), maskCrc(crc), 'masking twice differs again')
  t.equal(unmaskCrc(maskCrc(crc)), crc, 'round trip')
  t.equal(unmaskCrc(unmaskCrc(maskCrc(maskCrc(crc)))), crc, 'double round trip')
  for (const value of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xa282ead8]) {
    t.equal(unmaskCrc(maskCrc(value)), value, `round trip 0x${value.toString(16)}`)
    t.ok(maskCrc(value) >= 0 && maskCrc(value) <= 0xffffffff, 'masked is an unsigned 32-bit value')
  }
  // rotate right 15 then add 0xa282ead8: 0 rotates to 0
  t.equal(maskCrc(0), 0xa282ead8, 'mask(0) is the delta')
  t.end()
})

// One bit at a time, straight from the definition: the reference the table-driven code must match.
function bitwiseCrc32c (bytes: Uint8Array): number {
  let c = ~0
  for (const byte of bytes) {
    c ^= byte
    for (let bit = 0; bit < 8; bit++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  }
  return ~c >>> 0
}

test('crc32c: views at any byte offset, of buffers taken in turn, match the bitwise definition', (t) => {
  // Two backing buffers used alternately: a checksum must never read through the view it
  // kept for the other one. Every length up to 80 crosses zero to five 16-byte steps.
  const first = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff))
  const second = new Uint8Array(new SharedArrayBuffer(200)).map((_, i) => (i * 101 + 3) & 0xff)
  let mismatches = 0
  for (let offset = 0; offset < 17; offset++) {
    for (let length = 0; length <= 80; length++) {
      for (const source of [first, second]) {
        const view = source.subarray(offset, offset + length)
        if (crc32c(view) !== bitwiseCrc32c(view)) mismatches++
        if (crc32c(source, offset, offset + length) !== bitwiseCrc32c(view)) mismatches++
      }
    }
  }
  t.equal(mismatches, 0, '17 offsets x 81 lengths x 2 buffers, as views and as ranges')
  t.end()
})
