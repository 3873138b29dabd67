// Our Snappy compressor: what it writes must decode, with our strict decoder and with an
// independent one (snappyjs), to exactly the input, across the format's edges.

import test = require('tape')
import { snappyCompressBytes } from '../../lib/sstable/snappy-compress'
import { SnappyStream, snappyUncompress } from '../../lib/sstable/compression'
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

test('snappy stream: decoding in steps of any size gives the whole output', (t) => {
  const rand = prng(29)
  let wrong = 0
  const stream = new SnappyStream()
  for (let n = 0; n < 200; n++) {
    const size = Math.floor(rand() * 6000)
    const input = Buffer.alloc(size)
    for (let i = 0; i < size; i++) input[i] = rand() < 0.6 && i > 0 ? input[i - 1 - Math.floor(rand() * Math.min(i, 500))] : Math.floor(rand() * 40)
    // A stream inside a larger buffer, as a block read with its trailer is.
    const compressed = Buffer.concat([snappyCompressBytes(input), Buffer.from([1, 2, 3, 4, 5])])
    stream.start('test', compressed, 0, compressed.length - 5)
    if (stream.length !== size) wrong++
    let at = 0
    while (at < size) {
      at = Math.min(size, at + 1 + Math.floor(rand() * 700))
      const produced = stream.decodeUntil(at)
      // At least what was asked for (often more: it decodes ahead), and right so far.
      if (produced < at || !stream.out.subarray(0, produced).equals(input.subarray(0, produced))) wrong++
    }
    if (!stream.out.subarray(0, size).equals(input)) wrong++
  }
  t.equal(wrong, 0, '200 inputs, decoded in random steps, equal their originals')
  t.end()
})

test('snappy stream: input that stops short of the declared length, or goes on past it, is corruption', (t) => {
  const input = Buffer.alloc(3000)
  for (let i = 0; i < input.length; i++) input[i] = (i * 7) % 13
  const compressed = snappyCompressBytes(input)
  const stream = new SnappyStream()
  stream.start('short.ldb', compressed, 0, compressed.length - 3)
  let err: (Error & { code?: string }) | undefined
  try { stream.decodeUntil(input.length) } catch (e) { err = e as Error & { code?: string } }
  t.equal(err?.code, 'LEVEL_CORRUPTION', 'a truncated stream')
  t.match(String(err?.message), /short\.ldb/)
  const longer = Buffer.concat([compressed, Buffer.from([0x00, 0x61])])
  stream.start('long.ldb', longer, 0, longer.length)
  err = undefined
  try { stream.decodeUntil(input.length) } catch (e) { err = e as Error & { code?: string } }
  t.equal(err?.code, 'LEVEL_CORRUPTION', 'a stream with an element past the declared length')
  t.match(String(err?.message), /past the declared length/)
  err = undefined
  try { snappyUncompress('long.ldb', longer) } catch (e) { err = e as Error & { code?: string } }
  t.match(String(err?.message), /past the declared length/, 'the whole-block decoder says the same')
  t.end()
})
