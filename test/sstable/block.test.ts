import test = require('tape')
import { BlockBuilder } from '../../lib/sstable/block-builder'
import { Block, blockEntries } from '../../lib/sstable/block'
import { makeInternalKey, ValueKind, MAX_SEQUENCE } from '../../lib/format/internal-key'
import { putFixed32 } from '../../lib/format/coding'
import {
  Entry, random, randomEntries, modelSeek, collect, copyEntry, describe, sameEntries, thrown
} from './table-fixture'

function buildBlock (entries: Entry[], restartInterval: number): Buffer {
  const builder = new BlockBuilder(restartInterval)
  for (const e of entries) builder.add(makeInternalKey(e.userKey, e.sequence, e.kind), e.value)
  return Buffer.from(builder.finish())
}

test('block builder: pinned bytes with restart interval 2', (t) => {
  const builder = new BlockBuilder(2)
  t.ok(builder.empty)
  builder.add(Buffer.from('a'), Buffer.from('1'))
  builder.add(Buffer.from('ab'), Buffer.from('2'))
  builder.add(Buffer.from('abc'), Buffer.from('3'))
  t.notOk(builder.empty)
  t.equal(builder.estimatedSize(), 29)
  const bytes = builder.finish()
  t.equal(bytes.toString('hex'), [
    '00 01 01 61 31', //           a=1, restart 0
    '01 01 01 62 32', //           shares "a"
    '00 03 01 616263 33', //       abc=3, restart at 10 (interval reached)
    '00000000 0a000000 02000000'
  ].join('').replace(/ /g, ''))
  t.equal(bytes.length, builder.estimatedSize())
  const entries = blockEntries(new Block('pinned', Buffer.from(bytes)))
  t.same(entries.map((e) => e.key.toString() + '=' + e.value.toString()), ['a=1', 'ab=2', 'abc=3'])

  builder.reset()
  t.ok(builder.empty)
  t.equal(builder.finish().toString('hex'), '0000000001000000', 'an empty block is one restart at 0')
  t.end()
})

test('block builder: long keys and values use multi-byte varints', (t) => {
  const builder = new BlockBuilder(16)
  const key = Buffer.alloc(200, 0x61)
  const value = Buffer.alloc(300, 0x62)
  builder.add(key, value)
  const bytes = builder.finish()
  t.equal(bytes.subarray(0, 5).toString('hex'), '00c801ac02', 'shared 0, non_shared 200, value 300')
  const [entry] = blockEntries(new Block('x', Buffer.from(bytes)))
  t.ok(entry.key.equals(key))
  t.ok(entry.value.equals(value))
  t.end()
})

test('block iterator: empty block is never valid', (t) => {
  const block = new Block('empty', Buffer.from(new BlockBuilder(16).finish()))
  const it = block.iterator()
  it.seekToFirst()
  t.notOk(it.valid())
  it.seekToLast()
  t.notOk(it.valid())
  it.seek(Buffer.from('a'), 5)
  t.notOk(it.valid())
  t.end()
})

test('block iterator: forward, reverse and seeks match a sorted model', (t) => {
  for (const restartInterval of [1, 2, 3, 16]) {
    for (const seed of [1, 2, 3]) {
      const rand = random(seed * 100 + restartInterval)
      const entries = randomEntries(rand, 1 + Math.floor(rand() * 150), { alphabet: [0x00, 0x61, 0x62, 0xff], maxKeyLength: 6 })
      const block = new Block('test.ldb', buildBlock(entries, restartInterval))
      const it = block.iterator()
      const label = `interval ${restartInterval} seed ${seed}`
      t.ok(sameEntries(collect(it), entries), `${label}: forward`)
      t.ok(sameEntries(collect(it, true), entries.slice().reverse()), `${label}: reverse`)

      let bad = 0
      for (let i = 0; i < 300; i++) {
        const probe = i % 2 === 0
          ? entries[Math.floor(rand() * entries.length)].userKey
          : Buffer.from([0x00, 0x61, 0x62, 0xff].slice(0, Math.floor(rand() * 5)).map((b) => rand() < 0.5 ? b : 0x61))
        const sequence = rand() < 0.1 ? MAX_SEQUENCE : Math.floor(rand() * 1100)
        it.seek(probe, sequence)
        const at = modelSeek(entries, probe, sequence)
        const expected = entries[at]
        const actual = it.valid() ? copyEntry(it) : undefined
        if (describe(actual) !== describe(expected)) {
          if (bad++ < 3) t.fail(`${label}: seek ${probe.toString('hex')}@${sequence}: ${describe(actual)} vs ${describe(expected)}`)
          continue
        }
        // Wander a few steps either way from the seek position.
        let j = at
        for (let step = 0; step < 6 && it.valid(); step++) {
          if (rand() < 0.5) { it.next(); j++ } else { it.prev(); j-- }
          const want = j >= 0 && j < entries.length ? entries[j] : undefined
          const got = it.valid() ? copyEntry(it) : undefined
          if (describe(got) !== describe(want)) {
            if (bad++ < 3) t.fail(`${label}: step after seek: ${describe(got)} vs ${describe(want)}`)
            break
          }
        }
      }
      t.equal(bad, 0, `${label}: 300 seeks with next/prev wandering`)
    }
  }
  t.end()
})

// LevelDB's builder always shares the longest common prefix, but the format only says an
// entry's first `shared` bytes are its predecessor's: a writer may share fewer. Seeks skip
// the bytes an entry shares with a predecessor that matched the target, so they must not
// assume more than `shared` says.
function blockSharingLess (entries: Entry[], rand: () => number, restartInterval: number): Buffer {
  const parts: Buffer[] = []
  const restarts: number[] = []
  let size = 0
  let previous: Buffer = Buffer.alloc(0)
  const varint = (value: number): number[] => {
    const out: number[] = []
    while (value >= 0x80) { out.push((value & 0x7f) | 0x80); value >>>= 7 }
    out.push(value)
    return out
  }
  entries.forEach((e, i) => {
    const key = makeInternalKey(e.userKey, e.sequence, e.kind)
    let common = 0
    if (i % restartInterval === 0) restarts.push(size)
    else while (common < previous.length && common < key.length && previous[common] === key[common]) common++
    const shared = Math.floor(rand() * (common + 1))
    const entry = Buffer.concat([Buffer.from([...varint(shared), ...varint(key.length - shared), ...varint(e.value.length)]), key.subarray(shared), e.value])
    parts.push(entry)
    size += entry.length
    previous = key
  })
  const trailer = Buffer.alloc(4 * restarts.length + 4)
  restarts.forEach((offset, i) => putFixed32(trailer, 4 * i, offset))
  putFixed32(trailer, 4 * restarts.length, restarts.length)
  return Buffer.concat([...parts, trailer])
}

test('block iterator: seeks are right when entries share less than their common prefix', (t) => {
  for (const restartInterval of [1, 4, 16]) {
    const rand = random(700 + restartInterval)
    const entries = randomEntries(rand, 120, { alphabet: [0x00, 0x61, 0x62, 0xff], maxKeyLength: 8, maxVersions: 3 })
    const block = new Block('test.ldb', blockSharingLess(entries, rand, restartInterval))
    const it = block.iterator()
    t.ok(sameEntries(collect(it), entries), `interval ${restartInterval}: forward`)
    let bad = 0
    for (let i = 0; i < 500; i++) {
      const probe = i % 2 === 0
        ? entries[Math.floor(rand() * entries.length)].userKey
        : Buffer.from(Array.from({ length: Math.floor(rand() * 9) }, () => [0x00, 0x61, 0x62, 0xff][Math.floor(rand() * 4)]))
      const sequence = rand() < 0.1 ? MAX_SEQUENCE : Math.floor(rand() * 1100)
      it.seek(probe, sequence)
      const expected = entries[modelSeek(entries, probe, sequence)]
      const actual = it.valid() ? copyEntry(it) : undefined
      if (describe(actual) !== describe(expected) && bad++ < 3) {
        t.fail(`interval ${restartInterval}: seek ${probe.toString('hex')}@${sequence}: ${describe(actual)} vs ${describe(expected)}`)
      }
    }
    t.equal(bad, 0, `interval ${restartInterval}: 500 seeks agree with the model`)
  }
  t.end()
})

test('block iterator: seek lands on the newest version visible at a sequence', (t) => {
  const entries: Entry[] = [
    { userKey: Buffer.from('k'), sequence: 9, kind: ValueKind.Value, value: Buffer.from('v9') },
    { userKey: Buffer.from('k'), sequence: 5, kind: ValueKind.Deletion, value: Buffer.alloc(0) },
    { userKey: Buffer.from('k'), sequence: 2, kind: ValueKind.Value, value: Buffer.from('v2') }
  ]
  const it = new Block('b', buildBlock(entries, 2)).iterator()
  const at = (seq: number): string => {
    it.seek(Buffer.from('k'), seq)
    return it.valid() ? `${it.sequence()}/${it.kind()}` : 'end'
  }
  t.equal(at(100), '9/1')
  t.equal(at(9), '9/1')
  t.equal(at(8), '5/0')
  t.equal(at(5), '5/0')
  t.equal(at(4), '2/1')
  t.equal(at(1), 'end')
  t.end()
})

test('block: bad restart count is corruption naming the file', (t) => {
  const rand = random(7)
  const bytes = buildBlock(randomEntries(rand, 40), 4)
  const damaged = Buffer.from(bytes)
  putFixed32(damaged, damaged.length - 4, 0x10000)
  const err = thrown(() => new Block('000123.ldb', damaged))
  t.equal(err?.code, 'LEVEL_CORRUPTION')
  t.ok(err?.message.includes('000123.ldb'), err?.message)

  const tooShort = thrown(() => new Block('000123.ldb', Buffer.from([1, 0])))
  t.equal(tooShort?.code, 'LEVEL_CORRUPTION')

  const count = bytes.readUInt32LE(bytes.length - 4)
  const unordered = Buffer.from(bytes)
  const restartAt = bytes.length - 4 - count * 4
  putFixed32(unordered, restartAt + 4, bytes.length) // second restart past the entries
  t.equal(thrown(() => new Block('000123.ldb', unordered))?.code, 'LEVEL_CORRUPTION', 'restart offset out of range')
  t.end()
})

test('block: an entry overrunning the block is corruption naming the file', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 10; i++) {
    entries.push({ userKey: Buffer.from(`key${i}`), sequence: 1, kind: ValueKind.Value, value: Buffer.from(`value${i}`) })
  }
  const bytes = buildBlock(entries, 16)
  // The first entry: 00 0c 06 <12-byte key> <6-byte value>; claim a huge value length.
  const damaged = Buffer.from(bytes)
  damaged[2] = 0x7f
  const block = new Block('000077.ldb', damaged)
  const err = thrown(() => collect(block.iterator()))
  t.equal(err?.code, 'LEVEL_CORRUPTION')
  t.ok(err?.message.includes('000077.ldb'), err?.message)

  // A shared length larger than the previous key.
  const second = Buffer.from(bytes)
  second[12 + 6 + 3] = 40
  t.equal(thrown(() => collect(new Block('000077.ldb', second).iterator()))?.code, 'LEVEL_CORRUPTION')

  // A restart key that claims to share bytes is caught while seeking.
  const shared = Buffer.from(bytes)
  shared[0] = 1
  t.equal(thrown(() => new Block('000077.ldb', shared).iterator().seek(Buffer.from('key5'), 9))?.code, 'LEVEL_CORRUPTION')

  // A key shorter than a trailer cannot be an internal key.
  const builder = new BlockBuilder(16)
  builder.add(Buffer.from('short'), Buffer.from('v'))
  t.equal(thrown(() => collect(new Block('000077.ldb', Buffer.from(builder.finish())).iterator()))?.code, 'LEVEL_CORRUPTION')
  t.end()
})
