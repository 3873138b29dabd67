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
