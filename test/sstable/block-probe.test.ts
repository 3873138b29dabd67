// The probe a point read uses on a block the cache does not take (block-probe.ts): it must
// answer as a seek in the whole decoded block does, or give up and leave it to that seek.

import test = require('tape')
import { BlockBuilder } from '../../lib/sstable/block-builder'
import { Block } from '../../lib/sstable/block'
import { BlockProbe } from '../../lib/sstable/block-probe'
import { snappyCompressBytes } from '../../lib/sstable/snappy-compress'
import { KIND_FOR_SEEK, MAX_SEQUENCE, makeInternalKey } from '../../lib/format/internal-key'
import { type Entry, random, randomBytes, randomEntries, thrown } from './table-fixture'

function compressedBlock (entries: Entry[], restartInterval = 16): { raw: Buffer, stored: Buffer } {
  const builder = new BlockBuilder(restartInterval)
  for (const e of entries) builder.add(makeInternalKey(e.userKey, e.sequence, e.kind), e.value)
  const raw = Buffer.from(builder.finish())
  return { raw, stored: snappyCompressBytes(raw) }
}

/** Probes every target against a seek in the whole block; returns [mismatches, targets past the last entry]. */
function probeAgainstSeek (entries: Entry[], targets: Buffer[], restartInterval?: number): [number, number, number] {
  const { raw, stored } = compressedBlock(entries, restartInterval)
  const cursor = new Block('whole', raw).iterator()
  const probe = new BlockProbe()
  let wrong = 0
  let pastEnd = 0
  let gaveUp = 0
  for (const target of targets) {
    cursor.seekInternalKey(target, target.length)
    const found = probe.seek('probed', stored, stored.length, target, target.length)
    if (!cursor.valid()) {
      pastEnd++
      if (found) wrong++
      else gaveUp++
      continue
    }
    if (!found) {
      wrong++
      continue
    }
    const key = probe.foundKey.subarray(0, probe.foundKeyLength)
    if (!key.equals(cursor.internalKey().subarray(0, cursor.internalKeyLength())) || !probe.value().equals(cursor.value()) || probe.kind() !== cursor.kind()) wrong++
  }
  return [wrong, pastEnd, gaveUp]
}

function targetsFor (entries: Entry[], rand: () => number): Buffer[] {
  const targets: Buffer[] = []
  for (const e of entries) {
    targets.push(makeInternalKey(e.userKey, e.sequence, e.kind))
    targets.push(makeInternalKey(e.userKey, MAX_SEQUENCE, KIND_FOR_SEEK))
    targets.push(makeInternalKey(e.userKey, Math.max(0, e.sequence - 1), KIND_FOR_SEEK))
  }
  for (let i = 0; i < 200; i++) targets.push(makeInternalKey(randomBytes(rand, Math.floor(rand() * 8), [0x00, 0x61, 0x62, 0xff]), Math.floor(rand() * 1100), KIND_FOR_SEEK))
  // Past every key: the probe meets the restart array and must give up rather than read it.
  targets.push(makeInternalKey(Buffer.alloc(20, 0xff), 0, KIND_FOR_SEEK))
  return targets
}

test('block probe: answers as a whole-block seek for every target, and gives up only past the last entry', (t) => {
  const rand = random(21)
  for (const restartInterval of [1, 2, 16]) {
    for (let round = 0; round < 20; round++) {
      const entries = randomEntries(rand, 5 + Math.floor(rand() * 60), { alphabet: [0x00, 0x61, 0x62, 0xff], maxKeyLength: 8, maxValueLength: 30 })
      const [wrong, pastEnd, gaveUp] = probeAgainstSeek(entries, targetsFor(entries, rand), restartInterval)
      if (wrong !== 0 || gaveUp !== pastEnd || pastEnd === 0) {
        t.fail(`interval ${restartInterval}, round ${round}: ${wrong} wrong, gave up ${gaveUp} times for ${pastEnd} targets past the end`)
        return t.end()
      }
    }
    t.pass(`restart interval ${restartInterval}: 20 random blocks, every target agrees; each gave up past its last entry`)
  }
  t.end()
})

test('block probe: keys longer than its key buffer, and values whose lengths take two-byte varints', (t) => {
  const rand = random(22)
  const entries = randomEntries(rand, 30, { maxKeyLength: 300, maxValueLength: 400 })
  t.ok(entries.some((e) => e.userKey.length > 64) && entries.some((e) => e.value.length >= 128), 'the block has long keys and long values')
  const [wrong, pastEnd, gaveUp] = probeAgainstSeek(entries, targetsFor(entries, rand))
  t.equal(wrong, 0, 'every target agrees with the whole-block seek')
  t.equal(gaveUp, pastEnd, 'it gave up exactly for the targets past the last entry')
  t.end()
})

test('block probe: reuses its buffer from one block to the next, and the next value overwrites the last', (t) => {
  const a = compressedBlock([{ userKey: Buffer.from('a'), sequence: 1, kind: 1, value: Buffer.from('first value') }]).stored
  const b = compressedBlock([{ userKey: Buffer.from('b'), sequence: 1, kind: 1, value: Buffer.from('other value') }]).stored
  const probe = new BlockProbe()
  const target = (key: string): Buffer => makeInternalKey(Buffer.from(key), MAX_SEQUENCE, KIND_FOR_SEEK)
  t.ok(probe.seek('a', a, a.length, target('a'), 9) && probe.userKeyEquals(Buffer.from('a')))
  const view = probe.value()
  t.equal(view.toString(), 'first value')
  t.ok(probe.seek('b', b, b.length, target('b'), 9) && probe.userKeyEquals(Buffer.from('b')))
  t.equal(probe.value().toString(), 'other value')
  t.equal(view.toString(), 'other value', 'a value is a view: it lasts until the next probe (callers copy it first)')
  t.notOk(probe.userKeyEquals(Buffer.from('a')))
  t.end()
})

test('block probe: snappy damage before the entry sought is corruption naming the file', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 40; i++) entries.push({ userKey: Buffer.from(`key${String(i).padStart(4, '0')}`), sequence: 1, kind: 1, value: Buffer.alloc(60, 0x61 + (i % 3)) })
  const { stored } = compressedBlock(entries)
  // A copy whose offset reaches before the output's start: the first copy element in the stream.
  const damaged = Buffer.from(stored)
  let p = 0
  while ((damaged[p] & 0x80) !== 0) p++
  p++
  let patched = false
  while (p < damaged.length && !patched) {
    const tag = damaged[p]
    const type = tag & 3
    if (type === 0) {
      let len = (tag >>> 2) + 1
      let extra = 0
      if (len > 60) { extra = len - 60; len = 0; for (let i = extra - 1; i >= 0; i--) len = len * 256 + damaged[p + 1 + i]; len += 1 }
      p += 1 + extra + len
    } else if (type === 2) {
      damaged[p + 1] = 0xff
      damaged[p + 2] = 0x7f
      patched = true
    } else {
      p += type === 1 ? 2 : 5
    }
  }
  t.ok(patched, 'a two-byte-offset copy was found and pointed far back')
  const last = makeInternalKey(Buffer.from('key0039'), MAX_SEQUENCE, KIND_FOR_SEEK)
  const err = thrown(() => new BlockProbe().seek('000123.ldb', damaged, damaged.length, last, last.length))
  t.equal(err?.code, 'LEVEL_CORRUPTION')
  t.match(String(err?.message), /000123\.ldb/)
  t.end()
})
