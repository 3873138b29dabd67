import test = require('tape')
import { StoredBlockRing } from '../../lib/cache/stored-block-ring'

function bytesOf (seed: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) bytes[i] = (seed * 31 + i * 7) & 0xff
  return bytes
}

test('stored-block ring: gives back what was put, per table and block, until the table is dropped', (t) => {
  const ring = new StoredBlockRing(4096)
  t.equal(ring.bytesHeld, 0, 'nothing allocated before the first block')
  ring.put(1, 0, bytesOf(1, 100), 100)
  ring.put(1, 7, bytesOf(2, 50), 50)
  ring.put(2, 0, bytesOf(3, 60), 60)
  t.equal(ring.bytesHeld, 4096, 'one segment')
  t.ok(ring.get(1, 0, 100)?.equals(bytesOf(1, 100)), 'table 1 block 0')
  t.ok(ring.get(1, 7, 50)?.equals(bytesOf(2, 50)), 'table 1 block 7')
  t.ok(ring.get(2, 0, 60)?.equals(bytesOf(3, 60)), 'table 2 block 0 is its own')
  t.equal(ring.get(1, 3, 10), undefined, 'a block never put')
  t.equal(ring.get(3, 0, 10), undefined, 'a table never seen')
  ring.dropTable(1)
  t.equal(ring.get(1, 0, 100), undefined, 'dropped with its table')
  t.ok(ring.get(2, 0, 60)?.equals(bytesOf(3, 60)), 'other tables stay')
  ring.put(1, 0, bytesOf(9, 10), 11)
  t.equal(ring.get(1, 0, 10)?.[0], bytesOf(9, 10)[0], 'the id can name a new table')
  t.end()
})

test('stored-block ring: never gives back overwritten bytes, over one segment and over several', (t) => {
  for (const [capacity, maxLength] of [[1000, 300], [3 * (1 << 20), 150_000]]) {
    const ring = new StoredBlockRing(capacity)
    const model = new Map<number, Buffer>()
    let wrong = 0
    let newestMissing = 0
    let found = 0
    let seed = 5
    const next = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 8 }
    for (let i = 0; i < 400; i++) {
      const block = next() % 40
      const bytes = bytesOf(i, 1 + (next() % maxLength))
      ring.put(1, block, bytes, bytes.length)
      model.set(block, bytes)
      if (ring.get(1, block, bytes.length)?.equals(bytes) !== true) newestMissing++
      for (const [b, expected] of model) {
        const got = ring.get(1, b, expected.length)
        if (got === undefined) continue
        found++
        if (!got.equals(expected)) wrong++
      }
    }
    t.equal(wrong, 0, `capacity ${capacity}: no block came back with other bytes (${found} found)`)
    t.equal(newestMissing, 0, 'the block just put is always there')
    t.ok(ring.bytesHeld <= capacity, `${ring.bytesHeld} bytes held, within ${capacity}`)
  }
  t.end()
})

test('stored-block ring: a block larger than a segment, or a ring of no capacity, keeps nothing', (t) => {
  const ring = new StoredBlockRing(2 * (1 << 20))
  ring.put(1, 0, Buffer.alloc((1 << 20) + 1), (1 << 20) + 1)
  t.equal(ring.get(1, 0, 10), undefined, 'past a segment: not kept')
  t.equal(ring.bytesHeld, 0)
  const none = new StoredBlockRing(0)
  none.put(1, 0, bytesOf(1, 10), 10)
  t.equal(none.get(1, 0, 10), undefined, 'capacity 0 keeps nothing')
  t.equal(none.bytesHeld, 0)
  t.end()
})
