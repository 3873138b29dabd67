import test = require('tape')
import { MAX_SEQUENCE, KIND_FOR_SEEK, putTrailer, TRAILER_SIZE, makeInternalKey } from '../../lib/format/internal-key'
import { Block } from '../../lib/sstable/block'
import { BlockBuilder } from '../../lib/sstable/block-builder'
import { BlockLookup } from '../../lib/sstable/block-lookup'
import { Table } from '../../lib/sstable/table'
import { BlockCache } from '../../lib/cache/block-cache'
import { Entry, random, randomBytes, randomEntries, modelGet, describe, buildTable, memoryFile } from './table-fixture'

function seekTarget (userKey: Uint8Array, sequence: number): Buffer {
  const target = Buffer.alloc(userKey.length + TRAILER_SIZE)
  target.set(userKey, 0)
  putTrailer(target, userKey.length, sequence, KIND_FOR_SEEK)
  return target
}

function blockOf (entries: Entry[], restartInterval: number): Block {
  const builder = new BlockBuilder(restartInterval)
  for (const e of entries) builder.add(makeInternalKey(e.userKey, e.sequence, e.kind), e.value)
  return new Block('test.ldb', Buffer.from(builder.finish()))
}

test('block lookup: lands where the block iterator\'s seek does, for keys in, between and around the entries', (t) => {
  let seed = 11
  let mismatches = 0
  let checked = 0
  // Key shapes: short keys over a tiny alphabet (many shared prefixes, several versions and
  // tombstones per key), db_bench-like decimal keys, and long keys past the six-byte numbers.
  const shapes = [
    { alphabet: [0x00, 0x61, 0x62, 0xff], maxKeyLength: 6 },
    { alphabet: [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39], maxKeyLength: 16 },
    { maxKeyLength: 60 }
  ]
  for (const shape of shapes) {
    for (const restartInterval of [1, 3, 16]) {
      for (const count of [1, 2, 17, 300]) {
        const rand = random(seed++)
        const entries = randomEntries(rand, count, { ...shape, maxValueLength: 30 })
        const block = blockOf(entries, restartInterval)
        const lookup = BlockLookup.build(block, block.iterator())
        const it = block.iterator()
        t.equal(lookup.count, entries.length, `${entries.length} entries decoded`)
        for (let i = 0; i < 400; i++) {
          const userKey = i % 2 === 0 ? entries[Math.floor(rand() * entries.length)].userKey : randomBytes(rand, Math.floor(rand() * 8), shape.alphabet)
          const sequence = rand() < 0.3 ? MAX_SEQUENCE : Math.floor(rand() * 1100)
          const target = seekTarget(userKey, sequence)
          it.seekInternalKey(target, target.length)
          const j = lookup.find(target, target.length)
          checked++
          const expected = it.valid() ? `${it.userKey().toString('hex')}@${it.sequence()}/${it.kind()}=${it.value().toString('hex')}` : 'end'
          const actual = j < lookup.count
            ? `${Buffer.from(entries[j].userKey).toString('hex')}@${lookup.sequence(j)}/${lookup.kind(j)}=${block.data.subarray(lookup.valueStart(j), lookup.valueEnd(j)).toString('hex')}`
            : 'end'
          if (actual !== expected && mismatches++ < 5) t.fail(`seek ${Buffer.from(userKey).toString('hex')}@${sequence}: ${actual} vs ${expected}`)
          if (j < lookup.count && lookup.userKeyEquals(j, userKey) !== (it.valid() && it.userKeyEquals(userKey))) {
            if (mismatches++ < 5) t.fail(`userKeyEquals ${Buffer.from(userKey).toString('hex')}`)
          }
        }
      }
    }
  }
  t.equal(mismatches, 0, `${checked} seeks agree`)
  t.end()
})

test('block lookup: a damaged entry fails the build as a scan would', (t) => {
  const entries = randomEntries(random(5), 40, { maxKeyLength: 8, maxValueLength: 20 })
  const block = blockOf(entries, 16)
  const bytes = Buffer.from(block.data)
  // The second restart point's entry gets a value kind that does not exist.
  const second = bytes.readUInt32LE(block.restartOffset + 4)
  t.equal(bytes[second], 0, 'a restart entry shares nothing')
  bytes[second + 3 + bytes[second + 1] - TRAILER_SIZE] = 0x7f
  const damaged = new Block('test.ldb', bytes)
  t.throws(() => BlockLookup.build(damaged, damaged.iterator()), /LEVEL_CORRUPTION|test\.ldb/)
  t.end()
})

function openTable (entries: Entry[], cache: BlockCache<Block>): Table {
  const file = memoryFile(buildTable(entries, { blockSize: 1024, blockRestartInterval: 16, compression: true }))
  return Table.open(file, file.size, cache.newId(), cache)
}

test('block lookup: gets through lookups agree with the model, and the cache is charged for them', (t) => {
  const rand = random(21)
  const entries = randomEntries(rand, 3000, { alphabet: [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39], maxKeyLength: 12, maxValueLength: 40 })
  const cache = new BlockCache<Block>(8 * 1024 * 1024)
  const table = openTable(entries, cache)
  let bad = 0
  const check = (userKey: Buffer, sequence: number): void => {
    const expected = modelGet(entries, userKey, sequence)
    const found = table.get(userKey, sequence, true)
    const actual = found === undefined ? undefined : { userKey, ...found }
    if (describe(actual) !== describe(expected) && bad++ < 5) t.fail(`get ${Buffer.from(userKey).toString('hex')}@${sequence}: ${describe(actual)} vs ${describe(expected)}`)
  }
  // Every block is read at least LOOKUP_AFTER_READS times over the passes.
  for (let pass = 0; pass < 6; pass++) {
    for (const e of entries) check(e.userKey, pass % 2 === 0 ? MAX_SEQUENCE : Math.floor(rand() * 1100))
  }
  t.ok(table.lookupsBuilt >= table.blockCount, `a lookup for every block (${table.lookupsBuilt} built, ${table.blockCount} blocks)`)
  for (let i = 0; i < 3000; i++) check(randomBytes(rand, Math.floor(rand() * 13), [0x2f, 0x30, 0x35, 0x39, 0x3a]), rand() < 0.5 ? MAX_SEQUENCE : Math.floor(rand() * 1100))
  t.equal(bad, 0, 'every get agrees with the model, lookups built or not')

  // The cache's charge is every block's bytes plus its lookup's.
  let blockBytes = 0
  let lookupBytes = 0
  for (let i = 0; i < table.blockCount; i++) {
    const block = table.readDataBlock(i, true)
    blockBytes += block.data.length
    lookupBytes += block.lookup?.bytes ?? 0
  }
  t.equal(cache.totalCharge, blockBytes + lookupBytes, 'charged for blocks and lookups')
  t.ok(lookupBytes > 0.1 * blockBytes, `lookups take ${lookupBytes} bytes beside ${blockBytes}`)
  table.close()
  t.end()
})

test('block lookup: built only in the block cache\'s spare room, never evicting a block for it', (t) => {
  const entries = randomEntries(random(33), 3000, { maxKeyLength: 10, maxValueLength: 40 })
  const bytes = buildTable(entries, { blockSize: 1024, blockRestartInterval: 16, compression: true })
  const uncached = Table.open(memoryFile(bytes), bytes.length, 0, undefined)
  const held = 6
  let full = 0
  for (let i = 0; i < held; i++) full += uncached.readDataBlock(i, true).data.length
  uncached.close()

  // A cache exactly full of the first six blocks: no room for any lookup.
  const cache = new BlockCache<Block>(full)
  const table = Table.open(memoryFile(bytes), bytes.length, cache.newId(), cache)
  for (let i = 0; i < held; i++) table.readDataBlock(i, true)
  t.equal(cache.room, 0, 'the cache is full')
  for (let round = 0; round < 10; round++) table.get(entries[0].userKey, MAX_SEQUENCE, true)
  t.equal(table.lookupsBuilt, 0, 'no lookup for a block read ten times')
  let kept = 0
  for (let i = 0; i < held; i++) if (cache.has(table.cacheId, i)) kept++
  t.equal(kept, held, 'every block is still cached')
  table.close()

  // With room, the same reads build it.
  const roomy = new BlockCache<Block>(4 * full)
  const second = Table.open(memoryFile(bytes), bytes.length, roomy.newId(), roomy)
  for (let round = 0; round < 10; round++) second.get(entries[0].userKey, MAX_SEQUENCE, true)
  t.equal(second.lookupsBuilt, 1, 'with room the block gets its lookup')
  t.ok(roomy.totalCharge > second.readDataBlock(0, true).data.length, 'and is charged for it')
  second.close()
  t.end()
})

test('block lookup: a get without a cache never builds one', (t) => {
  const entries = randomEntries(random(8), 500, { maxKeyLength: 10, maxValueLength: 40 })
  const file = memoryFile(buildTable(entries, { blockSize: 1024, blockRestartInterval: 16, compression: false }))
  const table = Table.open(file, file.size, 0, undefined)
  let bad = 0
  for (let pass = 0; pass < 6; pass++) {
    for (const e of entries) {
      const found = table.get(e.userKey, MAX_SEQUENCE, true)
      if (describe(found === undefined ? undefined : { userKey: e.userKey, ...found }) !== describe(modelGet(entries, e.userKey, MAX_SEQUENCE))) bad++
    }
  }
  t.equal(bad, 0, 'every get agrees with the model')
  t.equal(table.lookupsBuilt, 0)
  table.close()
  t.end()
})
