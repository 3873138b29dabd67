import test = require('tape')
import { BlockCache } from '../../lib/cache/block-cache'
import { Block } from '../../lib/sstable/block'
import { BlockBuilder } from '../../lib/sstable/block-builder'

// Values are their own charge in these tests.
const byValue = (value: number): number => value

test('block cache: keyed by table id and block number, ids recycled', (t) => {
  const builder = new BlockBuilder(16)
  builder.add(Buffer.from('k'), Buffer.alloc(100))
  const block = new Block('x', Buffer.from(builder.finish()))
  const cache = new BlockCache<Block>(10 * block.size)
  const a = cache.newId()
  const b = cache.newId()
  t.notEqual(a, b)
  cache.set(a, 0, block)
  t.equal(cache.get(a, 0), block)
  t.equal(cache.get(b, 0), undefined, 'same block number, other table')
  t.equal(cache.get(a, 1), undefined, 'other block number, same table')
  t.equal(cache.totalCharge, block.size, 'charged by block size by default')
  t.equal(cache.hits, 1)
  t.equal(cache.misses, 2)
  cache.releaseId(a)
  t.equal(cache.size, 0, 'releasing an id drops the blocks it still had')
  t.equal(cache.newId(), a, 'released id is reused')
  t.equal(cache.get(a, 0), undefined, 'a reused id starts empty')
  t.end()
})

test('block cache: a far block number as a table\'s first', (t) => {
  const cache = new BlockCache<number>(100, byValue)
  const id = cache.newId()
  cache.set(id, 20000, 7)
  t.equal(cache.get(id, 20000), 7)
  t.equal(cache.get(id, 19999), undefined)
  t.equal(cache.get(id, 20001), undefined, 'past the end of what the table has')
  t.end()
})

test('block cache: replace, delete, dropTable, clear, oversized entries', (t) => {
  const cache = new BlockCache<number>(10, byValue)
  const id = cache.newId()
  cache.set(id, 1, 3)
  cache.set(id, 1, 5)
  t.equal(cache.get(id, 1), 5, 'replaced')
  t.equal(cache.totalCharge, 5, 'old charge released')
  t.equal(cache.size, 1)
  cache.set(id, 2, 11)
  t.equal(cache.has(id, 2), false, 'larger than the whole capacity: not kept')
  t.equal(cache.get(id, 1), 5, 'and it did not flush the others')
  cache.delete(id, 1)
  cache.delete(id, 1)
  t.equal(cache.size, 0, 'deleted (twice is harmless)')
  t.equal(cache.totalCharge, 0)
  const other = cache.newId()
  cache.set(id, 3, 1)
  cache.set(id, 4, 1)
  cache.set(other, 3, 1)
  cache.dropTable(id)
  t.equal(cache.size, 1, 'dropTable takes only that table\'s blocks')
  t.equal(cache.get(other, 3), 1)
  t.equal(cache.totalCharge, 1)
  cache.clear()
  t.equal(cache.size, 0)
  t.equal(cache.totalCharge, 0)
  cache.set(id, 5, 1)
  t.equal(cache.get(id, 5), 1, 'usable after clear')
  t.end()
})

test('block cache: a block read again survives the eviction of one read once', (t) => {
  const cache = new BlockCache<number>(30, byValue)
  const id = cache.newId()
  cache.set(id, 0, 10)
  cache.set(id, 1, 10)
  cache.set(id, 2, 10)
  cache.get(id, 0) // referenced: gets a second chance
  cache.set(id, 3, 10) // 40 > 30: one has to go
  t.equal(cache.has(id, 0), true, 'the block read again stays')
  t.equal(cache.has(id, 1), false, 'the oldest block not read again goes')
  t.equal(cache.has(id, 2), true)
  t.equal(cache.has(id, 3), true)
  // Every block referenced: the hand clears them all and still finds a victim.
  for (const block of [0, 2, 3]) cache.get(id, block)
  cache.set(id, 4, 10)
  t.equal(cache.size, 3, 'one evicted even when all were referenced')
  t.equal(cache.has(id, 4), true)
  t.equal(cache.totalCharge, 30)
  t.end()
})

test('block cache: random operations keep the charge, the capacity and every value right', (t) => {
  const capacity = 1000
  const cache = new BlockCache<number>(capacity, byValue)
  const ids = [cache.newId(), cache.newId(), cache.newId()]
  // What was last stored per key; the cache may have evicted any of it, but never returns
  // anything else.
  const stored = new Map<string, number>()
  let seed = 12345
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  let wrong = 0
  let overCapacity = 0
  let hits = 0
  for (let i = 0; i < 20000; i++) {
    const id = ids[Math.floor(rand() * ids.length)]
    const block = Math.floor(rand() * 40)
    const key = `${id}/${block}`
    const op = rand()
    if (op < 0.5) {
      const value = cache.get(id, block)
      if (value !== undefined) {
        hits++
        if (value !== stored.get(key)) wrong++
      }
    } else if (op < 0.9) {
      const value = 1 + Math.floor(rand() * 100)
      cache.set(id, block, value)
      stored.set(key, value)
    } else if (op < 0.99) {
      cache.delete(id, block)
      stored.delete(key)
      if (cache.has(id, block)) wrong++
    } else {
      cache.dropTable(id)
      for (let b = 0; b < 40; b++) stored.delete(`${id}/${b}`)
    }
    if (cache.totalCharge > capacity) overCapacity++
    let charge = 0
    for (const i of ids) for (let b = 0; b < 40; b++) if (cache.has(i, b)) charge += stored.get(`${i}/${b}`) ?? NaN
    if (charge !== cache.totalCharge) wrong++
  }
  t.ok(hits > 1000, `the cache was hit (${hits} times)`)
  t.equal(wrong, 0, 'no wrong value, no stale entry, charge always the sum of what is held')
  t.equal(overCapacity, 0, 'never over capacity')
  t.end()
})

test('block cache: setIfRoom fills spare room and never evicts or replaces', (t) => {
  const cache = new BlockCache<number>(10, byValue)
  const id = cache.newId()
  cache.set(id, 0, 4)
  cache.setIfRoom(id, 1, 4)
  t.equal(cache.get(id, 1), 4, 'fits beside what is there: cached')
  cache.setIfRoom(id, 2, 4)
  t.equal(cache.get(id, 2), undefined, 'would need an eviction: not cached')
  t.equal(cache.get(id, 0), 4, 'nothing was evicted for it')
  t.equal(cache.get(id, 1), 4)
  cache.setIfRoom(id, 0, 1)
  t.equal(cache.get(id, 0), 4, 'an existing entry is not replaced')
  t.equal(cache.totalCharge, 8)
  cache.setIfRoom(id, 3, 2)
  t.equal(cache.totalCharge, 10, 'exactly full is allowed')
  cache.set(id, 4, 4)
  t.equal(cache.totalCharge <= 10, true, 'set still evicts to fit')
  t.equal(cache.get(id, 4), 4)
  t.end()
})

test('block cache: admits a point read\'s block while there is room, then only on its third miss', (t) => {
  const cache = new BlockCache<number>(100, byValue)
  const id = cache.newId()
  t.ok(cache.admits(id, 0, 60, true), 'room: admitted')
  cache.set(id, 0, 60)
  t.ok(cache.admits(id, 1, 40, false), 'room for exactly 40 more, even without fillCache')
  t.notOk(cache.admits(id, 1, 41, false), 'no room and no fillCache: never')
  t.notOk(cache.admits(id, 1, 41, false), 'not even on a second miss')
  t.notOk(cache.admits(id, 1, 41, false), 'nor a third')
  t.notOk(cache.admits(id, 2, 50, true), 'full: a first miss stays out')
  t.notOk(cache.admits(id, 2, 50, true), 'and a second')
  t.ok(cache.admits(id, 2, 50, true), 'the third miss of the same block gets in')
  t.notOk(cache.admits(id, 3, 50, true), 'another block starts over')
  t.equal(cache.size, 1, 'admits() only answers: it caches nothing')
  t.end()
})
