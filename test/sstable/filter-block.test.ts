import test = require('tape')
import { FilterBlockBuilder, FilterBlockReader } from '../../lib/sstable/filter-block'
import { BloomFilterPolicy } from '../../lib/bloom/bloom-filter'
import { bloomHash } from '../../lib/bloom/bloom-hash'

const keys = (...names: string[]): Buffer[] => names.map((n) => Buffer.from(n))

/** A filter block with one filter, for a data block at 0 holding the key "a". */
function filterOfA (): Buffer {
  const builder = new FilterBlockBuilder()
  builder.startBlock(0)
  builder.addKey(Buffer.from('a'))
  return builder.finish()
}

test('filter block: empty builder', (t) => {
  const block = new FilterBlockBuilder().finish()
  t.equal(block.toString('hex'), '00000000' + '0b', 'no filters: array_start 0, base_lg 11')
  const reader = new FilterBlockReader(block)
  t.ok(reader.keyMayMatch(0, Buffer.from('foo')), 'no filter for the slot: may match')
  t.ok(reader.keyMayMatch(100000, Buffer.from('foo')))
  t.end()
})

test('filter block: pinned layout with skipped 2 KiB slots', (t) => {
  const policy = new BloomFilterPolicy()
  const builder = new FilterBlockBuilder(policy)
  builder.startBlock(0)
  for (const k of keys('foo', 'bar')) builder.addKey(k)
  builder.startBlock(1000) // same slot 0
  builder.addKey(Buffer.from('box'))
  builder.startBlock(3100) // slot 1
  builder.addKey(Buffer.from('box'))
  builder.startBlock(9000) // slot 4: slots 2 and 3 stay empty
  for (const k of keys('hello', 'world')) builder.addKey(k)
  const block = builder.finish()

  const filter0 = policy.createFilter(keys('foo', 'bar', 'box'))
  const filter1 = policy.createFilter(keys('box'))
  const filter4 = policy.createFilter(keys('hello', 'world'))
  t.equal(filter0.length, 9)
  const offsets = Buffer.alloc(20)
  ;[0, 9, 18, 18, 18].forEach((o, i) => offsets.writeUInt32LE(o, i * 4))
  const expected = Buffer.concat([filter0, filter1, filter4, offsets, Buffer.from([27, 0, 0, 0, 11])])
  t.equal(block.toString('hex'), expected.toString('hex'))
  t.equal(block.length, 52)
  t.equal(block.subarray(18, 27).toString('hex'), '114000414410401006', 'hello/world filter, pinned in the bloom test')

  const reader = new FilterBlockReader(block)
  t.ok(reader.keyMayMatch(0, Buffer.from('foo')))
  t.ok(reader.keyMayMatch(1000, Buffer.from('bar')), 'same filter for every block starting in the slot')
  t.ok(reader.keyMayMatch(3100, Buffer.from('box')))
  t.notOk(reader.keyMayMatch(3100, Buffer.from('foo')))
  t.notOk(reader.keyMayMatch(4100, Buffer.from('foo')), 'empty filter matches nothing')
  t.notOk(reader.keyMayMatch(6200, Buffer.from('box')), 'empty filter matches nothing')
  t.ok(reader.keyMayMatch(9000, Buffer.from('hello')))
  t.ok(reader.keyMayMatch(9000, Buffer.from('world')))
  t.notOk(reader.keyMayMatch(9000, Buffer.from('foo')))
  t.ok(reader.keyMayMatch(20000, Buffer.from('foo')), 'beyond the last filter: may match')
  t.end()
})

test('filter block: damaged layouts degrade to may-match', (t) => {
  const block = filterOfA()
  const badStart = Buffer.from(block)
  badStart.writeUInt32LE(1000, badStart.length - 5) // array_start past the block
  t.ok(new FilterBlockReader(badStart).keyMayMatch(0, Buffer.from('zzz')))
  const badOffset = Buffer.from(block)
  badOffset.writeUInt32LE(50, 9) // filter 0 starts after its limit
  t.ok(new FilterBlockReader(badOffset).keyMayMatch(0, Buffer.from('zzz')))
  t.ok(new FilterBlockReader(Buffer.from([1, 2])).keyMayMatch(0, Buffer.from('zzz')))
  t.end()
})

test('filter block: a hash computed once answers as the key does, in every slot', (t) => {
  const builder = new FilterBlockBuilder()
  const present: Buffer[] = []
  for (let block = 0; block < 40; block++) {
    builder.startBlock(block * 3000) // some 2 KiB slots get no block: empty filters
    for (let i = 0; i < 20; i++) {
      const key = Buffer.from(`key-${block}-${i}`)
      present.push(key)
      builder.addKey(key)
    }
  }
  const reader = new FilterBlockReader(builder.finish())
  let disagreements = 0
  let matched = 0
  for (let block = 0; block < 40; block++) {
    for (const key of [...present.slice(block * 20, block * 20 + 20), Buffer.from(`absent-${block}`)]) {
      const byKey = reader.keyMayMatch(block * 3000, key)
      if (byKey !== reader.hashMayMatch(block * 3000, bloomHash(key))) disagreements++
      if (byKey) matched++
    }
  }
  t.equal(disagreements, 0)
  t.ok(matched >= 800, 'every present key matches its block')
  t.end()
})

test('filter block: a base_lg of 31 or more and offsets past 2 GiB find the right slot', (t) => {
  // One filter, holding "a", with base_lg 32: every offset below 4 GiB is slot 0.
  const block = filterOfA()
  block[block.length - 1] = 32
  const reader = new FilterBlockReader(block)
  t.ok(reader.keyMayMatch(2 ** 31 + 5, Buffer.from('a')), 'slot 0, not a shift by 0')
  t.notOk(reader.keyMayMatch(5000, Buffer.from('zzz')), 'slot 0 below 2 GiB too')
  t.notOk(reader.keyMayMatch(3 * 2 ** 30, Buffer.from('zzz')))
  t.ok(reader.keyMayMatch(2 ** 32, Buffer.from('zzz')), 'slot 1: beyond the last filter')
  // base_lg 11, an offset past 2 GiB: slot 2^20, beyond the filters.
  t.ok(new FilterBlockReader(filterOfA()).keyMayMatch(2 ** 31, Buffer.from('zzz')))
  t.end()
})

test('filter block: damaged offsets that are equal match nothing, unequal ones may match', (t) => {
  const builder = new FilterBlockBuilder()
  builder.startBlock(0)
  builder.addKey(Buffer.from('a'))
  builder.startBlock(3000)
  builder.addKey(Buffer.from('b'))
  const block = builder.finish()
  const arrayStart = block.readUInt32LE(block.length - 5)
  // Both offsets point past array_start: slot 0 is [x, x), slot 1 runs from x back to array_start.
  block.writeUInt32LE(arrayStart + 4, arrayStart)
  block.writeUInt32LE(arrayStart + 4, arrayStart + 4)
  const reader = new FilterBlockReader(block)
  t.notOk(reader.keyMayMatch(0, Buffer.from('a')), 'equal offsets: an empty filter')
  t.ok(reader.keyMayMatch(3000, Buffer.from('zzz')), 'start past limit: may match')
  t.end()
})

test('filter block: offsets must not go backwards', (t) => {
  const builder = new FilterBlockBuilder()
  builder.startBlock(5000)
  t.throws(() => builder.startBlock(100))
  t.end()
})
