import test = require('tape')
import { LruCache, BlockCache } from '../../lib/cache/lru-cache'
import { Block } from '../../lib/sstable/block'
import { BlockBuilder } from '../../lib/sstable/block-builder'

test('lru: charges, capacity and eviction order', (t) => {
  const lru = new LruCache<string, number>(100)
  lru.set('a', 1, 40)
  lru.set('b', 2, 40)
  t.equal(lru.totalCharge, 80)
  t.same(lru.keys(), ['a', 'b'])
  t.equal(lru.get('a'), 1, 'hit makes a the most recent')
  t.same(lru.keys(), ['b', 'a'])
  lru.set('c', 3, 40) // 120 > 100: b, the least recent, goes
  t.same(lru.keys(), ['a', 'c'])
  t.equal(lru.get('b'), undefined)
  t.equal(lru.totalCharge, 80)
  lru.set('d', 4, 90) // evicts both a and c
  t.same(lru.keys(), ['d'])
  t.equal(lru.totalCharge, 90)
  t.end()
})

test('lru: replace, delete, clear, oversized entries', (t) => {
  const lru = new LruCache<number, string>(10)
  lru.set(1, 'x', 3)
  lru.set(1, 'y', 5)
  t.equal(lru.get(1), 'y', 'replaced')
  t.equal(lru.totalCharge, 5, 'old charge released')
  t.equal(lru.size, 1)
  lru.set(2, 'big', 11)
  t.equal(lru.has(2), false, 'larger than the whole capacity: not kept')
  t.equal(lru.get(1), 'y', 'and it did not flush the others')
  t.ok(lru.delete(1))
  t.notOk(lru.delete(1))
  t.equal(lru.totalCharge, 0)
  lru.set(3, 'a', 1)
  lru.set(4, 'b', 1)
  lru.clear()
  t.equal(lru.size, 0)
  t.equal(lru.totalCharge, 0)
  t.same(lru.keys(), [])
  lru.set(5, 'c', 1)
  t.same(lru.keys(), [5], 'usable after clear')
  t.end()
})

test('lru: random operations agree with a simple model', (t) => {
  const lru = new LruCache<number, number>(1000)
  let model: Array<{ key: number, charge: number }> = [] // least recent first
  let seed = 12345
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  let bad = 0
  for (let i = 0; i < 20000; i++) {
    const key = Math.floor(rand() * 60)
    const op = rand()
    if (op < 0.5) {
      const hit = lru.get(key) !== undefined
      const at = model.findIndex((e) => e.key === key)
      if (hit !== (at >= 0)) bad++
      if (at >= 0) model.push(...model.splice(at, 1))
    } else if (op < 0.9) {
      const charge = 1 + Math.floor(rand() * 100)
      lru.set(key, key, charge)
      model = model.filter((e) => e.key !== key)
      model.push({ key, charge })
      let total = model.reduce((s, e) => s + e.charge, 0)
      while (total > 1000) total -= (model.shift() as { charge: number }).charge
    } else {
      lru.delete(key)
      model = model.filter((e) => e.key !== key)
    }
    if (lru.totalCharge !== model.reduce((s, e) => s + e.charge, 0)) bad++
  }
  t.same(lru.keys(), model.map((e) => e.key), 'same recency order')
  t.equal(bad, 0, '20000 operations')
  t.end()
})

test('block cache: numeric keys per table id, ids recycled', (t) => {
  const builder = new BlockBuilder(16)
  builder.add(Buffer.from('k'), Buffer.alloc(100))
  const block = new Block('x', Buffer.from(builder.finish()))
  const cache = new BlockCache<Block>(10 * block.size)
  const a = cache.newId()
  const b = cache.newId()
  t.notEqual(a, b)
  cache.set(a, 0, block)
  t.equal(cache.get(a, 0), block)
  t.equal(cache.get(b, 0), undefined, 'same offset, other table')
  t.equal(cache.totalCharge, block.size, 'charged by block size')
  cache.set(a, 2 ** 32 + 5, block)
  t.equal(cache.get(a, 2 ** 32 + 5), undefined, 'offsets past 4 GiB are not cached')
  cache.delete(a, 0)
  cache.releaseId(a)
  t.equal(cache.newId(), a, 'released id is reused')
  t.equal(cache.get(a, 0), undefined)
  t.end()
})
