// Our Snappy compressor: what it writes must decode, with our strict decoder and with an
// independent one (snappyjs), to exactly the input, across the format's edges.

import test = require('tape')
import { snappyCompressBytes } from '../../lib/sstable/snappy-compress'
import { snappyUncompress } from '../../lib/sstable/compression'
import { prng } from '../support/prng'

const snappyjs: { uncompress (b: Buffer): Uint8Array, compress (b: Buffer): Buffer } = require('snappyjs')

function roundTrips (input: Buffer): string | undefined {
  const compressed = snappyCompressBytes(input)
  if (!snappyUncompress('test', compressed).equals(input)) return 'our decoder disagrees'
  if (!Buffer.from(snappyjs.uncompress(compressed)).equals(input)) return 'snappyjs disagrees'
  return undefined
}

test('snappy: empty, shorter than the input margin, and one byte', (t) => {
  for (const input of [Buffer.alloc(0), Buffer.from('a'), Buffer.from('abcdefghijklmn'), Buffer.from('aaaaaaaaaaaaaaaa')]) {
    t.equal(roundTrips(input), undefined, `${input.length} bytes`)
  }
  t.end()
})

test('snappy: long runs make copies longer than 64 (split), near and far offsets', (t) => {
  t.equal(roundTrips(Buffer.alloc(100000, 0x61)), undefined, '100000 equal bytes')
  const far = Buffer.concat([Buffer.from('the quick brown fox jumps'), Buffer.alloc(5000, 1), Buffer.from('the quick brown fox jumps')])
  t.equal(roundTrips(far), undefined, 'a repeat 5000 bytes back (three-byte copy)')
  const compressed = snappyCompressBytes(Buffer.alloc(100000, 0x61))
  t.ok(compressed.length < 5000, `100000 equal bytes compress to ${compressed.length}`)
  t.end()
})

test('snappy: inputs across 64 KiB fragments, and literals of every length class', (t) => {
  const rand = prng(9)
  for (const size of [65535, 65536, 65537, 200000, 300 * 1000]) {
    const input = Buffer.alloc(size)
    for (let i = 0; i < size; i++) input[i] = rand() < 0.5 && i > 100 ? input[i - 1 - Math.floor(rand() * 90)] : Math.floor(rand() * 256)
    t.equal(roundTrips(input), undefined, `${size} bytes, half of them repeats`)
  }
  const random = Buffer.alloc(70000)
  for (let i = 0; i < random.length; i++) random[i] = Math.floor(rand() * 256)
  t.equal(roundTrips(random), undefined, 'incompressible: one literal over 65536 bytes')
  t.end()
})

test('snappy: a thousand random inputs of random shapes round-trip', (t) => {
  const rand = prng(17)
  let failures = 0
  for (let n = 0; n < 1000; n++) {
    const size = Math.floor(rand() * 5000)
    const alphabet = 1 + Math.floor(rand() * 255)
    const repeat = rand()
    const input = Buffer.alloc(size)
    for (let i = 0; i < size; i++) input[i] = rand() < repeat && i > 0 ? input[i - 1 - Math.floor(rand() * Math.min(i, 3000))] : Math.floor(rand() * alphabet)
    if (roundTrips(input) !== undefined) failures++
  }
  t.equal(failures, 0, 'every one decodes to its input')
  t.end()
})

test('snappy: compresses about as well as the reference on block-like data', (t) => {
  const rand = prng(23)
  const parts: Buffer[] = []
  for (let e = 0; e < 200; e++) {
    const half = Buffer.from(Array.from({ length: 50 }, () => 0x20 + Math.floor(rand() * 95)))
    parts.push(Buffer.from(`key${String(e * 17).padStart(13, '0')}`), half, half)
  }
  const input = Buffer.concat(parts)
  const ours = snappyCompressBytes(input).length
  const theirs = snappyjs.compress(input).length
  t.ok(ours <= theirs * 1.02, `${ours} bytes against snappyjs's ${theirs}`)
  t.end()
})
