import test = require('tape')
import { nodeEnv } from '../../lib/env/node-env'
import fs = require('fs')
import path = require('path')
import { ValueKind, MAX_SEQUENCE, makeInternalKey, compareInternalKeys } from '../../lib/format/internal-key'
import { Table } from '../../lib/sstable/table'
import type { RandomAccessFile } from '../../lib/env/env'
import { TableBuilder, internalKeySeparator, internalKeySuccessor } from '../../lib/sstable/table-builder'
import { decodeFooter, readBlock } from '../../lib/sstable/format'
import { Block } from '../../lib/sstable/block'
import { BlockCache } from '../../lib/cache/block-cache'
import {
  Entry, random, randomBytes, randomEntries, modelGet, modelSeek, collect, copyEntry, describe, sameEntries,
  tempDir, writeTableFile, buildTable, memoryFile, thrown
} from './table-fixture'

const dir = tempDir('table')
test.onFinish(() => fs.rmSync(dir, { recursive: true, force: true }))

function openTable (file: RandomAccessFile, cache?: BlockCache<Block>): Table {
  return Table.open(file, file.size, cache !== undefined ? cache.newId() : 0, cache)
}

/** `bytes` as a file that counts its reads in counter.reads. */
function countingFile (bytes: Buffer): { file: RandomAccessFile, counter: { reads: number } } {
  const inner = memoryFile(bytes)
  const counter = { reads: 0 }
  const file: RandomAccessFile = { path: inner.path, size: inner.size, read: (o, l) => { counter.reads++; return inner.read(o, l) }, readInto: (o, l, into) => { counter.reads++; inner.readInto(o, l, into) }, close: () => {} }
  return { file, counter }
}

/** Compares gets, full scans and seeks against the model; returns the number of mismatches. */
function checkAgainstModel (t: test.Test, table: Table, entries: Entry[], rand: () => number, label: string): void {
  t.ok(sameEntries(collect(table.iterator(false)), entries), `${label}: forward scan`)
  t.ok(sameEntries(collect(table.iterator(true), true), entries.slice().reverse()), `${label}: reverse scan`)

  let bad = 0
  const report = (what: string): void => { if (bad++ < 5) t.fail(`${label}: ${what}`) }
  for (let i = 0; i < 600; i++) {
    const userKey = i % 3 === 0 ? randomBytes(rand, Math.floor(rand() * 6), [0x00, 0x61, 0x62, 0x63, 0xff]) : entries[Math.floor(rand() * entries.length)].userKey
    const sequence = rand() < 0.2 ? MAX_SEQUENCE : Math.floor(rand() * 1100)
    const expected = modelGet(entries, userKey, sequence)
    const found = table.get(userKey, sequence, rand() < 0.5)
    const actual = found === undefined ? undefined : { userKey, ...found }
    if (describe(actual) !== describe(expected)) report(`get ${userKey.toString('hex')}@${sequence}: ${describe(actual)} vs ${describe(expected)}`)
  }
  const it = table.iterator(true)
  for (let i = 0; i < 300; i++) {
    const userKey = i % 2 === 0 ? randomBytes(rand, Math.floor(rand() * 6), [0x00, 0x61, 0x62, 0x63, 0xff]) : entries[Math.floor(rand() * entries.length)].userKey
    const sequence = rand() < 0.2 ? MAX_SEQUENCE : Math.floor(rand() * 1100)
    it.seek(userKey, sequence)
    let j = modelSeek(entries, userKey, sequence)
    for (let step = 0; step < 40; step++) {
      const want = j >= 0 && j < entries.length ? entries[j] : undefined
      const got = it.valid() ? copyEntry(it) : undefined
      if (describe(got) !== describe(want)) {
        report(`seek ${userKey.toString('hex')}@${sequence} step ${step}: ${describe(got)} vs ${describe(want)}`)
        break
      }
      if (!it.valid()) break
      if (rand() < 0.6) { it.next(); j++ } else { it.prev(); j-- }
    }
  }
  it.close()
  t.equal(bad, 0, `${label}: 600 gets and 300 seeks with wandering`)
}

test('table: random entries against a sorted model', (t) => {
  let seed = 1
  for (const compression of [false, true]) {
    for (const blockSize of [256, 4096]) {
      for (const restartInterval of [1, 16]) {
        const rand = random(seed++)
        const entries = randomEntries(rand, 2000, { alphabet: [0x00, 0x61, 0x62, 0x63, 0xff], maxKeyLength: 10, maxValueLength: 60 })
        const file = path.join(dir, `model-${seed}.ldb`)
        const result = writeTableFile(file, entries, { blockSize, blockRestartInterval: restartInterval, compression })
        t.equal(result.fileSize, fs.statSync(file).size, 'finish reports the bytes written')
        t.ok(result.smallest.equals(makeInternalKey(entries[0].userKey, entries[0].sequence, entries[0].kind)), 'smallest')
        const last = entries[entries.length - 1]
        t.ok(result.largest.equals(makeInternalKey(last.userKey, last.sequence, last.kind)), 'largest')
        const cache = new BlockCache<Block>(64 * 1024)
        const table = openTable(nodeEnv.openRandomAccess(file), cache)
        checkAgainstModel(t, table, entries, rand, `compression ${compression}, block ${blockSize}, interval ${restartInterval}`)
        table.close()
        t.equal(cache.size, 0, 'close drops the table\'s cached blocks')
      }
    }
  }
  t.end()
})

test('table: compression on writes snappy data blocks, off writes none', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 3000; i++) {
    entries.push({ userKey: Buffer.from(`key${String(i).padStart(6, '0')}`), sequence: 1, kind: ValueKind.Value, value: Buffer.from(`value ${i} `.repeat(4)) })
  }
  const types = (bytes: Buffer): Set<number> => {
    const seen = new Set<number>()
    const file = memoryFile(bytes)
    const table = openTable(file)
    for (let i = 0; i < table.blockCount; i++) {
      seen.add(bytes[table.index.offsets[i] + table.index.sizes[i]])
    }
    return seen
  }
  const plain = buildTable(entries, { blockSize: 4096, blockRestartInterval: 16, compression: false })
  const snappy = buildTable(entries, { blockSize: 4096, blockRestartInterval: 16, compression: true })
  t.same([...types(plain)], [0])
  t.same([...types(snappy)], [1])
  t.ok(snappy.length < plain.length / 2, `${snappy.length} < ${plain.length} / 2`)
  t.ok(sameEntries(collect(openTable(memoryFile(snappy)).iterator(false)), entries))
  // Random values do not compress: the block stays raw even with compression on.
  const noise = entries.map((e, i) => ({ ...e, value: randomBytes(random(i + 1), 100) }))
  t.same([...types(buildTable(noise, { blockSize: 4096, blockRestartInterval: 16, compression: true }))], [0])
  t.end()
})

test('table: empty, huge and odd values; keys with 0x00 and 0xff bytes', (t) => {
  const big = randomBytes(random(9), 100 * 1024)
  const huge = Buffer.alloc(2 * 1024 * 1024)
  for (let i = 0; i < huge.length; i += 4096) huge.write(`page ${i}`, i)
  const entries: Entry[] = [
    { userKey: Buffer.alloc(0), sequence: 7, kind: ValueKind.Value, value: Buffer.from('empty key') },
    { userKey: Buffer.from([0x00]), sequence: 5, kind: ValueKind.Value, value: Buffer.alloc(0) },
    { userKey: Buffer.from([0x00, 0x00]), sequence: 5, kind: ValueKind.Deletion, value: Buffer.alloc(0) },
    { userKey: Buffer.from('big'), sequence: 4, kind: ValueKind.Value, value: big },
    { userKey: Buffer.from('huge'), sequence: 3, kind: ValueKind.Value, value: huge },
    { userKey: Buffer.from([0xff]), sequence: 2 ** 40, kind: ValueKind.Value, value: Buffer.from('large sequence') },
    { userKey: Buffer.from([0xff, 0xff, 0x00]), sequence: 1, kind: ValueKind.Value, value: Buffer.from([0]) }
  ]
  for (const compression of [false, true]) {
    const file = path.join(dir, `odd-${compression}.ldb`)
    writeTableFile(file, entries, { blockSize: 4096, blockRestartInterval: 16, compression })
    const table = openTable(nodeEnv.openRandomAccess(file))
    t.ok(sameEntries(collect(table.iterator(false)), entries), `compression ${compression}: scan`)
    t.ok(sameEntries(collect(table.iterator(false), true), entries.slice().reverse()), `compression ${compression}: reverse`)
    for (const e of entries) {
      const found = table.get(e.userKey, MAX_SEQUENCE, true)
      t.ok(found !== undefined && found.sequence === e.sequence && found.kind === e.kind && found.value.equals(e.value),
        `compression ${compression}: get ${e.userKey.toString('hex') || '(empty)'}`)
    }
    t.equal(table.get(Buffer.from([0xff]), 2 ** 40 - 1, true), undefined, 'older than the only version')
    t.equal(table.get(Buffer.from([0x00, 0x01]), MAX_SEQUENCE, true), undefined)
    table.close()
  }
  t.end()
})

test('table: an empty table is valid', (t) => {
  const bytes = buildTable([], { blockSize: 4096, blockRestartInterval: 16, compression: true })
  const table = openTable(memoryFile(bytes))
  t.same(collect(table.iterator(false)), [])
  t.equal(table.get(Buffer.from('a'), MAX_SEQUENCE, true), undefined)
  t.ok(table.approximateOffsetOf(Buffer.from('a')) < bytes.length, 'past every (absent) data block')
  t.end()
})

test('table builder: rejects keys out of internal order', (t) => {
  const builder = new TableBuilder({ blockSize: 4096, blockRestartInterval: 16, compression: false }, () => {})
  builder.add(Buffer.from('b'), 5, ValueKind.Value, Buffer.from('x'))
  t.throws(() => builder.add(Buffer.from('b'), 5, ValueKind.Value, Buffer.from('x')), /order/, 'duplicate')
  t.throws(() => builder.add(Buffer.from('b'), 6, ValueKind.Value, Buffer.from('x')), /order/, 'newer version after older')
  t.throws(() => builder.add(Buffer.from('a'), 9, ValueKind.Value, Buffer.from('x')), /order/, 'smaller user key')
  builder.add(Buffer.from('b'), 5, ValueKind.Deletion, Buffer.alloc(0))
  builder.add(Buffer.from('b'), 4, ValueKind.Value, Buffer.from('y'))
  t.equal(builder.entryCount, 3, 'rejected adds are not counted')
  t.end()
})

test('table builder: fileSize grows with pending data and matches finish', (t) => {
  let written = 0
  const builder = new TableBuilder({ blockSize: 1024, blockRestartInterval: 16, compression: false }, (chunk) => { written += chunk.length })
  t.equal(builder.fileSize(), 0)
  builder.add(Buffer.from('a'), 1, ValueKind.Value, Buffer.alloc(100))
  t.ok(builder.fileSize() > 100 && written === 0, 'pending block counted before anything is written')
  for (let i = 0; i < 50; i++) builder.add(Buffer.from(`b${String(i).padStart(3, '0')}`), 1, ValueKind.Value, Buffer.alloc(100))
  t.ok(written > 0 && builder.fileSize() >= written)
  const { fileSize } = builder.finish()
  t.equal(fileSize, written)
  t.throws(() => builder.add(Buffer.from('z'), 1, ValueKind.Value, Buffer.alloc(1)))
  t.end()
})

test('index separators: any K with last(i) <= K < first(i+1), shortened like LevelDB', (t) => {
  const ik = (s: string | number[] | Buffer, seq: number, kind: number = ValueKind.Value): Buffer =>
    makeInternalKey(typeof s === 'string' ? Buffer.from(s) : Buffer.from(s), seq, kind)
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  t.equal(hex(internalKeySeparator(ik('abcdef', 5), ik('abzz', 9))), hex(ik('abd', MAX_SEQUENCE)), 'bump the first differing byte')
  t.equal(hex(internalKeySeparator(ik('abc', 5), ik('abd', 9))), hex(ik('abc', 5)), 'no room: keep the key')
  t.equal(hex(internalKeySeparator(ik('ab', 5), ik('abc', 9))), hex(ik('ab', 5)), 'prefix: keep the key')
  t.equal(hex(internalKeySeparator(ik('a', 5), ik('z', 9))), hex(ik('a', 5)), 'bumped key not shorter: keep it')
  t.equal(hex(internalKeySeparator(ik('k', 5), ik('k', 3))), hex(ik('k', 5)), 'same user key')
  t.equal(hex(internalKeySuccessor(ik('big', 4))), '63' + '01ffffffffffffff', 'the real example: big -> c')
  t.equal(hex(internalKeySuccessor(ik([0xff, 0xff, 0x10, 0x00], 4))), hex(ik([0xff, 0xff, 0x11], MAX_SEQUENCE)))
  t.equal(hex(internalKeySuccessor(ik([0xff, 0xff], 4))), hex(ik([0xff, 0xff], 4)), 'all 0xff: keep')

  const rand = random(21)
  let bad = 0
  for (let i = 0; i < 20000; i++) {
    const alphabet = [0x00, 0x01, 0x61, 0x62, 0xfe, 0xff]
    const a = ik(randomBytes(rand, Math.floor(rand() * 5), alphabet), Math.floor(rand() * 10), rand() < 0.5 ? 0 : 1)
    const b = ik(randomBytes(rand, Math.floor(rand() * 5), alphabet), Math.floor(rand() * 10), rand() < 0.5 ? 0 : 1)
    const [lo, hi] = compareInternalKeys(a, b) <= 0 ? [a, b] : [b, a]
    if (compareInternalKeys(lo, hi) === 0) continue
    const k = internalKeySeparator(lo, hi)
    if (!(compareInternalKeys(lo, k) <= 0 && compareInternalKeys(k, hi) < 0)) bad++
    const s = internalKeySuccessor(lo)
    if (compareInternalKeys(lo, s) > 0) bad++
  }
  t.equal(bad, 0, '20000 random pairs')
  t.end()
})

test('table: index keys separate their blocks and are shortened', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 200; i++) entries.push({ userKey: Buffer.from(`key-${String(i * 7).padStart(5, '0')}-suffix`), sequence: 9, kind: ValueKind.Value, value: Buffer.alloc(50, 1) })
  const bytes = buildTable(entries, { blockSize: 512, blockRestartInterval: 16, compression: false })
  const table = openTable(memoryFile(bytes))
  const index = table.indexBlock.iterator()
  const separators: Buffer[] = []
  const firsts: Buffer[] = []
  const lasts: Buffer[] = []
  for (index.seekToFirst(); index.valid(); index.next()) {
    separators.push(makeInternalKey(index.userKey(), index.sequence(), index.kind()))
    const data = table.readDataBlock(separators.length - 1, false).iterator()
    data.seekToFirst()
    firsts.push(data.internalKeyCopy())
    data.seekToLast()
    lasts.push(data.internalKeyCopy())
  }
  t.ok(separators.length > 10, `${separators.length} data blocks`)
  let bad = 0
  for (let i = 0; i < separators.length; i++) {
    if (compareInternalKeys(lasts[i], separators[i]) > 0) bad++
    if (i + 1 < separators.length && compareInternalKeys(separators[i], firsts[i + 1]) >= 0) bad++
  }
  t.equal(bad, 0, 'last(i) <= index key(i) < first(i + 1)')
  const short = separators.filter((k) => k.length < 'key-00000-suffix'.length + 8).length
  t.ok(short > 0, `${short} of ${separators.length} index keys shortened`)
  t.equal(separators[separators.length - 1].toString('hex'), Buffer.from('l').toString('hex') + '01ffffffffffffff', 'last block: short successor')
  t.ok(sameEntries(collect(table.iterator(false)), entries))
  t.end()
})

test('table: bloom filter skips data block reads for absent keys', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 2000; i++) entries.push({ userKey: Buffer.from(`k${i}`), sequence: 1, kind: ValueKind.Value, value: Buffer.from(`v${i}`) })
  entries.sort((a, b) => Buffer.compare(a.userKey, b.userKey))
  const bytes = buildTable(entries, { blockSize: 4096, blockRestartInterval: 16, compression: false })
  const { file: counting, counter } = countingFile(bytes)
  const table = openTable(counting)
  counter.reads = 0
  for (let i = 0; i < 1000; i++) table.get(Buffer.from(`absent${i}`), MAX_SEQUENCE, false)
  t.ok(counter.reads < 30, `${counter.reads} block reads for 1000 absent keys`)
  counter.reads = 0
  for (let i = 0; i < 100; i++) t.ok(table.get(Buffer.from(`k${i}`), MAX_SEQUENCE, false) !== undefined || t.fail(`k${i}`))
  t.equal(counter.reads, 100, 'present keys read their block (no cache)')
  t.end()
})

test('table: block cache use, fillCache and drops on close', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 2000; i++) entries.push({ userKey: Buffer.from(`k${String(i).padStart(5, '0')}`), sequence: 1, kind: ValueKind.Value, value: Buffer.from(`v${i}`) })
  const bytes = buildTable(entries, { blockSize: 4096, blockRestartInterval: 16, compression: true })
  const { file: counting, counter } = countingFile(bytes)
  const cache = new BlockCache<Block>(1 << 20)
  const table = openTable(counting, cache)
  counter.reads = 0
  table.get(Buffer.from('k00010'), MAX_SEQUENCE, false)
  table.get(Buffer.from('k00010'), MAX_SEQUENCE, false)
  t.equal(counter.reads, 1, 'fillCache false: the block goes into spare room')
  t.equal(cache.size, 1)
  table.get(Buffer.from('k00010'), MAX_SEQUENCE, true)
  t.equal(cache.size, 1, 'fillCache true: the same block, cached once')
  counter.reads = 0
  t.ok(table.get(Buffer.from('k00011'), MAX_SEQUENCE, false)?.value.equals(Buffer.from('v11')))
  t.equal(counter.reads, 0, 'fillCache false still uses a cached block')
  collect(table.iterator(true))
  const blocks = cache.size
  t.ok(blocks > 5, `a filling scan caches every block (${blocks})`)
  t.ok(cache.totalCharge > blocks * 3000, `charged by uncompressed size (${cache.totalCharge})`)
  const other = openTable(memoryFile(bytes), cache)
  collect(other.iterator(true))
  t.equal(cache.size, blocks * 2, 'tables do not share cache entries')
  table.close()
  t.equal(cache.size, blocks, 'close drops only this table\'s blocks')
  other.close()
  t.equal(cache.size, 0)
  t.end()
})

test('table: fillCache false never evicts a block from a full cache', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 2000; i++) entries.push({ userKey: Buffer.from(`k${String(i).padStart(5, '0')}`), sequence: 1, kind: ValueKind.Value, value: Buffer.from(`v${i}`) })
  const bytes = buildTable(entries, { blockSize: 4096, blockRestartInterval: 16, compression: false })
  const { file: counting, counter } = countingFile(bytes)
  // Room for one block and not two.
  const cache = new BlockCache<Block>(6000)
  const table = openTable(counting, cache)
  table.get(Buffer.from('k00010'), MAX_SEQUENCE, true)
  t.equal(cache.size, 1, 'the first block fills the cache')
  counter.reads = 0
  t.ok(table.get(Buffer.from('k01000'), MAX_SEQUENCE, false)?.value.equals(Buffer.from('v1000')), 'a far key, not filling')
  t.ok(table.get(Buffer.from('k01001'), MAX_SEQUENCE, false)?.value.equals(Buffer.from('v1001')))
  t.equal(counter.reads, 2, 'its block was not cached: no room')
  counter.reads = 0
  table.get(Buffer.from('k00011'), MAX_SEQUENCE, false)
  t.equal(counter.reads, 0, 'the first block was not evicted')
  counter.reads = 0
  table.get(Buffer.from('k01000'), MAX_SEQUENCE, true)
  table.get(Buffer.from('k00010'), MAX_SEQUENCE, false)
  t.equal(counter.reads, 2, 'a filling read does evict')
  t.equal(cache.size, 1)
  t.end()
})

test('table: a full cache probes a point read\'s block and takes it on its third miss', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 2000; i++) {
    const kind = i % 10 === 7 ? ValueKind.Deletion : ValueKind.Value
    entries.push({ userKey: Buffer.from(`k${String(i).padStart(5, '0')}`), sequence: 1, kind, value: kind === ValueKind.Value ? Buffer.from(`v${i}`.repeat(4)) : Buffer.alloc(0) })
  }
  const bytes = buildTable(entries, { blockSize: 4096, blockRestartInterval: 16, compression: true })
  const { file: counting, counter } = countingFile(bytes)
  // Room for one block and not two.
  const cache = new BlockCache<Block>(6000)
  const table = openTable(counting, cache)
  t.ok(table.get(Buffer.from('k00010'), MAX_SEQUENCE, true)?.value.equals(Buffer.from('v10'.repeat(4))), 'the first block, with room')
  t.equal(cache.size, 1, 'fills the cache')
  const charge = cache.totalCharge
  counter.reads = 0
  const probed = table.get(Buffer.from('k01000'), MAX_SEQUENCE, true)
  t.ok(probed?.value.equals(Buffer.from('v1000'.repeat(4))), 'a far key found by the probe')
  t.equal(probed?.sequence, 1)
  t.equal(table.get(Buffer.from('k01507'), MAX_SEQUENCE, true)?.kind, ValueKind.Deletion, 'a tombstone found by the probe, in another block')
  t.equal(counter.reads, 2, 'each read the block')
  t.equal(cache.totalCharge, charge, 'the cache kept what it had')
  counter.reads = 0
  t.ok(table.get(Buffer.from('k01001'), MAX_SEQUENCE, true)?.value.equals(Buffer.from('v1001'.repeat(4))), 'a missed block again')
  t.equal(cache.totalCharge, charge, 'its second miss still probes')
  t.ok(table.get(Buffer.from('k01003'), MAX_SEQUENCE, true)?.value.equals(Buffer.from('v1003'.repeat(4))), 'and a third time')
  t.equal(cache.size, 1)
  t.notEqual(cache.totalCharge, charge, 'its block replaced the first one: it was missed twice before')
  table.get(Buffer.from('k01002'), MAX_SEQUENCE, true)
  t.equal(counter.reads, 2, 'the second and third reads of the block read it; then it serves the next read')
  t.equal(table.get(Buffer.from('k01000x'), MAX_SEQUENCE, true), undefined, 'a key past its block\'s entries is absent')
  t.end()
})

test('table: a block the full cache turns away is kept as stored, and its next get reads no file', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 2000; i++) entries.push({ userKey: Buffer.from(`k${String(i).padStart(5, '0')}`), sequence: 1, kind: ValueKind.Value, value: Buffer.from(`v${i}`.repeat(4)) })
  const bytes = buildTable(entries, { blockSize: 4096, blockRestartInterval: 16, compression: true })
  const { file: counting, counter } = countingFile(bytes)
  // Room for one decoded block, and for several as stored.
  const cache = new BlockCache<Block>(6000, undefined, 64 * 1024)
  const table = openTable(counting, cache)
  table.get(entries[0].userKey, MAX_SEQUENCE, true)
  t.equal(cache.size, 1, 'the first block fills the cache')
  counter.reads = 0
  t.ok(table.get(entries[1000].userKey, MAX_SEQUENCE, true)?.value.equals(entries[1000].value), 'a far key, probed')
  t.ok(table.get(entries[1500].userKey, MAX_SEQUENCE, false)?.value.equals(entries[1500].value), 'another, not filling')
  t.equal(counter.reads, 2, 'both read from the file')
  counter.reads = 0
  t.ok(table.get(entries[1001].userKey, MAX_SEQUENCE, true)?.value.equals(entries[1001].value), 'the far key\'s block again')
  t.equal(counter.reads, 0, 'from the block as stored: no read')
  t.ok(table.get(entries[1501].userKey, MAX_SEQUENCE, true)?.value.equals(entries[1501].value), 'the non-filling read\'s block again')
  t.equal(counter.reads, 1, 'a read that is not to fill the cache kept nothing')
  counter.reads = 0
  const it = table.iterator(false)
  it.seek(entries[1002].userKey, MAX_SEQUENCE)
  t.ok(it.valid() && it.userKey().equals(entries[1002].userKey) && it.value().equals(entries[1002].value), 'an iterator finds the kept block too')
  t.equal(counter.reads, 0, 'without a read')
  const keptBlocks = (): number => {
    let kept = 0
    for (let block = 0; block < table.blockCount; block++) if (cache.storedBlock(table.cacheId, block, 1) !== undefined) kept++
    return kept
  }
  t.equal(keptBlocks(), 2, 'two blocks kept as stored, one per filling get that read the file')
  table.close()
  t.equal(keptBlocks(), 0, 'closing the table drops its blocks as stored')
  t.end()
})

test('table: a block stored raw keeps its own bytes in the cache while later gets read other blocks', (t) => {
  const entries = Array.from({ length: 600 }, (_v, i) => ({ userKey: Buffer.from(`k${String(i).padStart(4, '0')}`), sequence: 2, kind: ValueKind.Value, value: Buffer.from(`raw value ${i} `.repeat(2)) }))
  const bytes = buildTable(entries, { blockSize: 1024, blockRestartInterval: 16, compression: false })
  const { file: counting, counter } = countingFile(bytes)
  const cache = new BlockCache<Block>(1 << 20)
  const table = openTable(counting, cache)
  t.ok(table.blockCount > 10, `${table.blockCount} blocks, stored raw`)
  for (const i of [0, 599, 300, 150]) t.ok(table.get(entries[i].userKey, MAX_SEQUENCE, true)?.value.equals(entries[i].value), `k${i} read from the file`)
  t.equal(cache.size, 4, 'each block was cached')
  counter.reads = 0
  for (const i of [150, 300, 599, 0]) t.ok(table.get(entries[i].userKey, MAX_SEQUENCE, true)?.value.equals(entries[i].value), `k${i} again, from the cache`)
  t.equal(counter.reads, 0, 'no read reached the file: the cached blocks are intact')
  t.end()
})

test('table: a probed block is checked against its index entry and the MANIFEST\'s bounds', (t) => {
  const entries = Array.from({ length: 400 }, (_v, i) => ({ userKey: Buffer.from(`k${String(i).padStart(4, '0')}`), sequence: 3, kind: ValueKind.Value, value: Buffer.alloc(20, 0x61 + (i % 5)) }))
  const bytes = buildTable(entries, { blockSize: 1024, blockRestartInterval: 16, compression: true })
  const bounds = { smallest: makeInternalKey(Buffer.from('k0100'), 3, ValueKind.Value), largest: makeInternalKey(Buffer.from('k0399'), 3, ValueKind.Value) }
  // No cache: every get probes.
  const table = Table.open(memoryFile(bytes, 'other.ldb'), bytes.length, 0, undefined, bounds)
  const err = thrown(() => table.get(Buffer.from('k0001'), MAX_SEQUENCE, true))
  t.equal(err?.code, 'LEVEL_CORRUPTION', err?.message)
  t.match(String(err?.message), /other\.ldb.*before the smallest key the MANIFEST gives the file|before the smallest key the MANIFEST gives the file.*other\.ldb/)
  const narrower = { smallest: makeInternalKey(Buffer.from('k0000'), 3, ValueKind.Value), largest: makeInternalKey(Buffer.from('k0200'), 3, ValueKind.Value) }
  const high = Table.open(memoryFile(bytes, 'high.ldb'), bytes.length, 0, undefined, narrower)
  const past = thrown(() => high.get(Buffer.from('k0390'), MAX_SEQUENCE, true))
  t.equal(past?.code, 'LEVEL_CORRUPTION', past?.message)
  t.match(String(past?.message), /past the largest key the MANIFEST gives the file/)
  t.ok(high.get(Buffer.from('k0150'), MAX_SEQUENCE, true)?.value.equals(Buffer.alloc(20, 0x61)), 'blocks within the bounds still read')
  t.end()
})

test('table: a scan past the cache\'s room reuses one buffer for its blocks, and blocks it caches are their own', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 3000; i++) entries.push({ userKey: Buffer.from(`k${String(i).padStart(5, '0')}`), sequence: 1, kind: ValueKind.Value, value: Buffer.from(`value ${i} `.repeat(3)) })
  const bytes = buildTable(entries, { blockSize: 4096, blockRestartInterval: 16, compression: true })
  // Room for two blocks: the scan's first two go into spare room, the rest are decoded in place.
  const cache = new BlockCache<Block>(9000)
  const table = openTable(memoryFile(bytes), cache)
  t.ok(table.blockCount > 10, `${table.blockCount} blocks`)
  t.ok(sameEntries(collect(table.iterator(false)), entries), 'the scan reads every entry right')
  t.equal(cache.size, 2, 'two blocks were cached, from the room there was')
  const buffers = new Set<ArrayBufferLike>()
  const it = table.iterator(false)
  for (it.seekToFirst(); it.valid(); it.next()) buffers.add(it.value().buffer)
  t.ok(buffers.size <= 4, `the blocks not cached shared their buffer (${buffers.size} buffers for ${table.blockCount} blocks)`)
  t.ok(sameEntries(collect(table.iterator(false), true), entries.slice().reverse()), 'a reverse scan too')
  t.ok(table.get(Buffer.from('k00001'), MAX_SEQUENCE, false)?.value.equals(entries[1].value), 'a cached block still holds its own bytes after the scans')
  t.end()
})

test('table: approximateOffsetOf increases through the file', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 1000; i++) entries.push({ userKey: Buffer.from(`k${String(i).padStart(5, '0')}`), sequence: 1, kind: ValueKind.Value, value: Buffer.alloc(100, i) })
  const bytes = buildTable(entries, { blockSize: 4096, blockRestartInterval: 16, compression: false })
  const table = openTable(memoryFile(bytes))
  t.equal(table.approximateOffsetOf(Buffer.from('a')), 0)
  const mid = table.approximateOffsetOf(Buffer.from('k00500'))
  t.ok(mid > bytes.length * 0.4 && mid < bytes.length * 0.6, `middle key near the middle (${mid} of ${bytes.length})`)
  const end = table.approximateOffsetOf(Buffer.from('z'))
  t.ok(end > bytes.length * 0.9 && end < bytes.length, `past the last key: the metaindex offset (${end})`)
  let previous = 0
  let monotonic = true
  for (let i = 0; i < 1000; i += 37) {
    const o = table.approximateOffsetOf(Buffer.from(`k${String(i).padStart(5, '0')}`))
    if (o < previous) monotonic = false
    previous = o
  }
  t.ok(monotonic)
  t.end()
})

test('table: a flipped byte anywhere never yields wrong data', (t) => {
  const rand = random(31)
  const entries = randomEntries(rand, 400, { maxValueLength: 30 })
  for (const compression of [false, true]) {
    const bytes = buildTable(entries, { blockSize: 1024, blockRestartInterval: 4, compression })
    const footer = decodeFooter('x', bytes.subarray(bytes.length - 48))
    // The data section ends where the filter block begins: at the first meta block.
    const dataEnd = Math.min(footer.metaindex.offset, footer.index.offset) - 40
    let dataFlips = 0
    let caughtInData = 0
    let bad = 0
    for (let position = 0; position < bytes.length; position += position < dataEnd ? 7 : 1) {
      const damaged = Buffer.from(bytes)
      damaged[position] ^= 1 << (position % 8)
      const name = `00${position}.ldb`
      let failure: (Error & { code?: string }) | undefined
      let wrong = false
      try {
        const table = openTable(memoryFile(damaged, name))
        const scanned = collect(table.iterator(false))
        if (!sameEntries(scanned, entries)) wrong = true
        for (const e of entries) {
          const found = table.get(e.userKey, MAX_SEQUENCE, false)
          const expected = modelGet(entries, e.userKey, MAX_SEQUENCE)
          if (describe(found && { userKey: e.userKey, ...found }) !== describe(expected)) wrong = true
        }
      } catch (err) {
        failure = err as Error & { code?: string }
      }
      if (position < dataEnd) {
        dataFlips++
        if (failure !== undefined) caughtInData++
      }
      if (wrong || (failure !== undefined && (failure.code !== 'LEVEL_CORRUPTION' || !failure.message.includes(name)))) {
        if (bad++ < 5) t.fail(`compression ${compression}, flip at ${position}: ${wrong ? 'wrong data' : failure?.message}`)
      }
    }
    t.equal(bad, 0, `compression ${compression}: every flip is corruption naming the file, or harmless`)
    t.equal(caughtInData, dataFlips, `compression ${compression}: all ${dataFlips} flips inside data blocks throw`)
  }
  t.end()
})

test('table: a flipped data byte makes get throw for keys of that block', (t) => {
  const entries: Entry[] = []
  for (let i = 0; i < 500; i++) entries.push({ userKey: Buffer.from(`k${String(i).padStart(4, '0')}`), sequence: 1, kind: ValueKind.Value, value: Buffer.from(`v${i}`) })
  const bytes = buildTable(entries, { blockSize: 1024, blockRestartInterval: 16, compression: false })
  const damaged = Buffer.from(bytes)
  damaged[10] ^= 0xff // inside the first data block
  const table = openTable(memoryFile(damaged, '000314.ldb'))
  const err = thrown(() => table.get(Buffer.from('k0000'), MAX_SEQUENCE, true))
  t.equal(err?.code, 'LEVEL_CORRUPTION')
  t.ok(err?.message.includes('000314.ldb'), err?.message)
  t.ok(table.get(Buffer.from('k0499'), MAX_SEQUENCE, true)?.value.equals(Buffer.from('v499')), 'other blocks still read')
  const it = table.iterator(false)
  t.equal(thrown(() => it.seekToFirst())?.code, 'LEVEL_CORRUPTION')
  t.end()
})

test('table: truncated or short files are corruption naming the file', (t) => {
  const entries = randomEntries(random(41), 300)
  const file = path.join(dir, '000777.ldb')
  const { fileSize } = writeTableFile(file, entries, { blockSize: 1024, blockRestartInterval: 16, compression: true })
  fs.truncateSync(file, fileSize - 100)
  const f = nodeEnv.openRandomAccess(file)
  const err = thrown(() => Table.open(f, fileSize, 0, undefined))
  t.equal(err?.code, 'LEVEL_CORRUPTION', 'MANIFEST size larger than the file')
  t.ok(err?.message.includes(file), err?.message)
  const err2 = thrown(() => Table.open(f, f.size, 0, undefined))
  t.equal(err2?.code, 'LEVEL_CORRUPTION', 'footer read at the wrong place')
  t.ok(err2?.message.includes(file), err2?.message)
  t.equal(thrown(() => Table.open(f, 20, 0, undefined))?.code, 'LEVEL_CORRUPTION', 'shorter than a footer')
  f.close()
  fs.writeFileSync(file, Buffer.alloc(0))
  const empty = nodeEnv.openRandomAccess(file)
  t.equal(thrown(() => Table.open(empty, 0, 0, undefined))?.code, 'LEVEL_CORRUPTION', 'empty file')
  empty.close()
  t.equal(thrown(() => nodeEnv.openRandomAccess(path.join(dir, 'nope.ldb')))?.code, 'LEVEL_IO_ERROR', 'missing file')
  t.end()
})

test('table: MANIFEST size is authoritative over trailing bytes', (t) => {
  const entries = randomEntries(random(43), 100)
  const bytes = buildTable(entries, { blockSize: 1024, blockRestartInterval: 16, compression: true })
  const padded = Buffer.concat([bytes, Buffer.alloc(500, 0xaa)])
  const table = Table.open(memoryFile(padded), bytes.length, 0, undefined)
  t.ok(sameEntries(collect(table.iterator(false)), entries))
  t.end()
})

test('table: the index block read directly equals the table\'s', (t) => {
  const entries = randomEntries(random(45), 500)
  const bytes = buildTable(entries, { blockSize: 1024, blockRestartInterval: 16, compression: true })
  const footer = decodeFooter('x', bytes.subarray(bytes.length - 48))
  const index = new Block('x', readBlock(memoryFile(bytes), footer.index))
  const table = openTable(memoryFile(bytes))
  t.ok(index.data.equals(table.indexBlock.data))
  t.end()
})
