import test = require('tape')
import {
  BlockType, decodeBlockHandle, decodeFooter, encodeBlockHandle, encodeFooter, putBlockTrailer, readBlock
} from '../../lib/sstable/format'
import { snappyCompress, snappyUncompress, worthCompressing, maybeCompress } from '../../lib/sstable/compression'
import { decoded, getVarint32 } from '../../lib/format/coding'
import { memoryFile, random, randomBytes, thrown } from './table-fixture'

// snappyjs has no types; the reference decoder is only used to cross-check ours.
const snappyjs: { uncompress (b: Buffer): Buffer } = require('snappyjs')

test('block handle: round trip and varint64 encoding', (t) => {
  for (const handle of [{ offset: 0, size: 0 }, { offset: 3352, size: 48 }, { offset: 2 ** 40 + 7, size: 2 ** 31 }, { offset: 2 ** 53 - 1, size: 1 }]) {
    const bytes = encodeBlockHandle(handle)
    t.same(decodeBlockHandle('f', bytes), handle, JSON.stringify(handle))
  }
  t.equal(encodeBlockHandle({ offset: 3352, size: 48 }).toString('hex'), '981a30')
  t.equal(thrown(() => decodeBlockHandle('000009.ldb', Buffer.from([0x98])))?.code, 'LEVEL_CORRUPTION')
  t.end()
})

test('footer: pinned bytes from a real LevelDB table', (t) => {
  const footer = encodeFooter({ metaindex: { offset: 3352, size: 48 }, index: { offset: 3405, size: 23 } })
  t.equal(footer.length, 48)
  t.equal(footer.toString('hex'), '981a30' + 'cd1a17' + '00'.repeat(34) + '57fb808b247547db')
  t.same(decodeFooter('x', footer), { metaindex: { offset: 3352, size: 48 }, index: { offset: 3405, size: 23 } })
  const badMagic = Buffer.from(footer)
  badMagic[47] ^= 1
  const err = thrown(() => decodeFooter('000005.ldb', badMagic))
  t.equal(err?.code, 'LEVEL_CORRUPTION')
  t.ok(err?.message.includes('000005.ldb'))
  const badHandle = Buffer.from(footer)
  badHandle.fill(0xff, 0, 40)
  t.equal(thrown(() => decodeFooter('000005.ldb', badHandle))?.code, 'LEVEL_CORRUPTION')
  t.end()
})

function storedBlock (contents: Buffer, type: number): Buffer {
  const out = Buffer.alloc(contents.length + 5)
  contents.copy(out)
  putBlockTrailer(out, contents.length, contents, type)
  return out
}

test('readBlock: raw and snappy blocks, checksums, unknown types', (t) => {
  const contents = Buffer.from('hello hello hello hello hello hello')
  const raw = storedBlock(contents, BlockType.Raw)
  t.ok(readBlock(memoryFile(raw), { offset: 0, size: contents.length }).equals(contents))

  const compressed = snappyCompress(contents)
  const snappy = storedBlock(compressed, BlockType.Snappy)
  t.ok(readBlock(memoryFile(snappy), { offset: 0, size: compressed.length }).equals(contents))

  for (let i = 0; i < raw.length; i++) {
    const damaged = Buffer.from(raw)
    damaged[i] ^= 0x20
    const err = thrown(() => readBlock(memoryFile(damaged, '000042.ldb'), { offset: 0, size: contents.length }))
    if (err?.code !== 'LEVEL_CORRUPTION' || !err.message.includes('000042.ldb')) {
      t.fail(`flip at ${i}: ${err?.message}`)
    }
  }
  t.pass('every flipped byte is caught')

  const zstd = storedBlock(contents, 2)
  const err = thrown(() => readBlock(memoryFile(zstd, '000043.ldb'), { offset: 0, size: contents.length }))
  t.equal(err?.code, 'LEVEL_CORRUPTION', 'type 2 (zstd) is rejected')
  t.ok(err?.message.includes('000043.ldb') && err.message.includes('type 2'), err?.message)
  t.equal(thrown(() => readBlock(memoryFile(zstd), { offset: 0, size: contents.length }, false))?.code,
    'LEVEL_CORRUPTION', 'type 2 is rejected without checksum verification too')
  const unverified = Buffer.from(raw)
  unverified[raw.length - 1] ^= 1
  t.ok(readBlock(memoryFile(unverified), { offset: 0, size: contents.length }, false).equals(contents), 'verifyChecksum = false skips the CRC')
  t.equal(thrown(() => readBlock(memoryFile(raw, 'short.ldb'), { offset: 10, size: contents.length }))?.code,
    'LEVEL_CORRUPTION', 'a handle past the end of the file')
  t.end()
})

test('compression: the 12.5% rule', (t) => {
  t.ok(worthCompressing(800, 699))
  t.notOk(worthCompressing(800, 700), 'exactly 7/8 is not enough')
  t.ok(worthCompressing(801, 700), 'floor(801 / 8) = 100')
  t.notOk(worthCompressing(7, 7))
  t.equal(maybeCompress(randomBytes(random(3), 4096)), undefined, 'random bytes stay raw')
  const text = Buffer.from('abcdefgh'.repeat(512))
  const compressed = maybeCompress(text)
  t.ok(compressed !== undefined && compressed.length < text.length / 8)
  t.end()
})

test('compression: our decoder agrees with snappyjs', (t) => {
  const rand = random(11)
  let bad = 0
  for (let i = 0; i < 300; i++) {
    const length = Math.floor(rand() * (i < 250 ? 5000 : 200000))
    // Mix runs, repeated phrases and noise so every element kind appears.
    const input = Buffer.alloc(length)
    let p = 0
    while (p < length) {
      const r = rand()
      const run = Math.min(length - p, 1 + Math.floor(rand() * 300))
      if (r < 0.3) input.fill(Math.floor(rand() * 256), p, p + run)
      else if (r < 0.6 && p > 70000) input.copy(input, p, p - 70000 + Math.floor(rand() * 100), p - 70000 + Math.floor(rand() * 100) + run)
      else if (r < 0.8 && p > 10) input.copy(input, p, p - 1 - Math.floor(rand() * Math.min(p, 3000)), p)
      else randomBytes(rand, run, [0x61, 0x62, 0x63, 0x64]).copy(input, p)
      p += run
    }
    const compressed = snappyCompress(input)
    const ours = snappyUncompress('x', compressed)
    if (!ours.equals(input) || !ours.equals(snappyjs.uncompress(compressed))) bad++
  }
  t.equal(bad, 0, '300 inputs up to 200 KB round trip')
  t.equal(snappyUncompress('x', snappyCompress(Buffer.alloc(0))).length, 0, 'empty input')
  t.end()
})

test('compression: garbage throws corruption, never returns wrong-length bytes', (t) => {
  const input = Buffer.from('the quick brown fox jumps over the lazy dog, '.repeat(40))
  const compressed = snappyCompress(input)
  const expect = (bytes: Buffer, label: string): void => {
    const err = thrown(() => snappyUncompress('000099.ldb', bytes))
    t.equal(err?.code, 'LEVEL_CORRUPTION', label)
    t.ok(err?.message.includes('000099.ldb'), label + ': names the file')
  }
  expect(compressed.subarray(0, compressed.length - 3), 'truncated stream')
  const longer = Buffer.from(compressed)
  longer[0] += 1 // declared length one more than the elements produce
  expect(longer, 'declared length too long')
  const shorter = Buffer.from(compressed)
  shorter[0] -= 1
  expect(shorter, 'declared length too short')
  expect(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]), 'implausible length')
  expect(Buffer.from([0x04, 0x01, 0x00]), 'copy before any output')
  expect(Buffer.from([0x80]), 'unterminated varint')

  const rand = random(5)
  let unexpected = 0
  let wrongLength = 0
  for (let i = 0; i < 3000; i++) {
    const damaged = Buffer.from(compressed)
    damaged[Math.floor(rand() * damaged.length)] ^= 1 << Math.floor(rand() * 8)
    try {
      const out = snappyUncompress('x', damaged)
      // Damaged literal bytes decode to other bytes; only the CRC can catch that.
      // The length, though, must always be what the stream declares.
      if (!getVarint32(damaged, 0, damaged.length) || decoded.value !== out.length) wrongLength++
    } catch (err) {
      if ((err as { code?: string }).code !== 'LEVEL_CORRUPTION') unexpected++
    }
  }
  t.equal(unexpected, 0, '3000 bit flips: only corruption errors')
  t.equal(wrongLength, 0, 'outputs always have the declared length')
  t.end()
})
