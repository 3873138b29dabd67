// The memtable orders entries by user key bytes, then newest sequence first, and finds the
// newest version visible at a sequence, tombstones included.

import test = require('tape')
import { MemTable } from '../../lib/memtable/memtable'
import { ValueKind } from '../../lib/format/internal-key'

function add (mem: MemTable, key: string | Buffer, sequence: number, kind: ValueKind, value = ''): void {
  const k = typeof key === 'string' ? Buffer.from(key) : key
  const v = Buffer.from(value)
  mem.add(sequence, kind, k, 0, k.length, v, 0, v.length)
}

function entries (mem: MemTable): string[] {
  const out: string[] = []
  const it = mem.iterator()
  for (it.seekToFirst(); it.valid(); it.next()) {
    out.push(`${it.userKey().toString('hex')}@${it.sequence()}${it.kind() === ValueKind.Deletion ? 'D' : '=' + it.value().toString()}`)
  }
  return out
}

test('entries sort by user key bytes, then sequence descending', (t) => {
  const mem = new MemTable()
  add(mem, 'b', 1, ValueKind.Value, 'b1')
  add(mem, 'a', 2, ValueKind.Value, 'a2')
  add(mem, 'b', 3, ValueKind.Deletion)
  add(mem, 'a', 4, ValueKind.Value, 'a4')
  add(mem, '', 5, ValueKind.Value, 'empty')
  add(mem, 'ab', 6, ValueKind.Value, 'ab6')
  t.same(entries(mem), ['@5=empty', '61@4=a4', '61@2=a2', '6162@6=ab6', '62@3D', '62@1=b1'])
  t.is(mem.count, 6)
  t.is(mem.lastSequence, 6)
  t.end()
})

test('keys compare as unsigned bytes: U+FFFF sorts before U+10000, 0xff after 0x00', (t) => {
  const mem = new MemTable()
  add(mem, '\u{10000}', 1, ValueKind.Value)
  add(mem, '\uffff', 2, ValueKind.Value)
  add(mem, Buffer.from([0xff]), 3, ValueKind.Value)
  add(mem, Buffer.from([0x00]), 4, ValueKind.Value)
  t.same(entries(mem).map((e) => e.split('@')[0]), ['00', 'efbfbf', 'f0908080', 'ff'])
  t.end()
})

test('find returns the newest version at or below the read sequence', (t) => {
  const mem = new MemTable()
  add(mem, 'k', 10, ValueKind.Value, 'v10')
  add(mem, 'k', 20, ValueKind.Deletion)
  add(mem, 'k', 30, ValueKind.Value, 'v30')
  const key = Buffer.from('k')
  const at = (sequence: number): string => {
    const node = mem.find(key, 0, key.length, sequence)
    if (node === 0) return 'absent'
    return mem.kindOf(node) === ValueKind.Deletion ? 'deleted' : mem.valueOf(node).toString()
  }
  t.is(at(9), 'absent', 'before the first write')
  t.is(at(10), 'v10')
  t.is(at(19), 'v10')
  t.is(at(20), 'deleted', 'a tombstone hides older versions')
  t.is(at(29), 'deleted')
  t.is(at(30), 'v30')
  t.is(at(1e15), 'v30')
  t.is(mem.find(Buffer.from('j'), 0, 1, 1e15), 0, 'another key')
  t.is(mem.find(Buffer.from('kk'), 0, 2, 1e15), 0, 'a longer key')
  t.end()
})

test('iterators see entries added after they were created and survive arena growth', (t) => {
  const mem = new MemTable(64)
  add(mem, 'm', 1, ValueKind.Value, 'x')
  const it = mem.iterator()
  it.seekToFirst()
  for (let i = 0; i < 1000; i++) add(mem, 'z' + String(i).padStart(4, '0'), i + 2, ValueKind.Value, 'v'.repeat(50))
  t.is(it.userKey().toString(), 'm')
  it.next()
  t.is(it.userKey().toString(), 'z0000')
  let n = 1
  while (it.valid()) { it.next(); n++ }
  t.is(n, 1001)
  it.seekToLast()
  t.is(it.userKey().toString(), 'z0999')
  it.prev()
  t.is(it.userKey().toString(), 'z0998')
  it.seek(Buffer.from('n'), 1e15)
  t.is(it.userKey().toString(), 'z0000')
  t.end()
})

test('a memtable shared through its image reads the same entries', (t) => {
  const mem = new MemTable()
  for (let i = 0; i < 500; i++) add(mem, 'k' + (i * 37 % 500), i + 1, i % 7 === 0 ? ValueKind.Deletion : ValueKind.Value, 'v' + i)
  const copy = MemTable.fromImage(structuredClone(mem.image()))
  t.same(entries(copy), entries(mem))
  t.end()
})

test('runs of keys in order, in reverse, at random and repeated: the order is always the model\'s', (t) => {
  const mem = new MemTable()
  const model: Array<[string, number]> = []
  let sequence = 0
  let x = 7
  const rand = (n: number): number => { x = (x * 1103515245 + 12345) >>> 0; return x % n }
  const put = (key: string): void => {
    sequence++
    add(mem, key, sequence, ValueKind.Value, String(sequence))
    model.push([key, sequence])
  }
  for (let round = 0; round < 30; round++) {
    const base = rand(1000)
    const pattern = round % 4
    for (let i = 0; i < 40; i++) {
      if (pattern === 0) put(`k${String(base + i).padStart(5, '0')}`) // ascending: inserted right after the last
      else if (pattern === 1) put(`k${String(base + 40 - i).padStart(5, '0')}`) // descending
      else if (pattern === 2) put(`k${String(rand(1200)).padStart(5, '0')}`) // random
      else put(`k${String(base + (i >> 2)).padStart(5, '0')}`) // each key four times, newer sequences first
    }
  }
  model.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : b[1] - a[1])
  t.same(entries(mem), model.map(([key, seq]) => `${Buffer.from(key).toString('hex')}@${seq}=${seq}`))
  t.end()
})

test('prev walks back in runs: reverse scans, mixed moves and inserts during a walk agree with the model', (t) => {
  const label = (it: ReturnType<MemTable['iterator']>): string => `${it.userKey().toString()}@${it.sequence()}`
  for (const size of [0, 1, 2, 17, 300, 20000]) {
    const mem = new MemTable(4 * 1024 * 1024)
    let seed = size + 1
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 2147483648 * n) }
    for (let i = 0; i < size; i++) add(mem, `k${String(rand(size * 2)).padStart(6, '0')}`, i + 1, ValueKind.Value, 'v')
    const forward: string[] = []
    const it = mem.iterator()
    for (it.seekToFirst(); it.valid(); it.next()) forward.push(label(it))
    const backward: string[] = []
    for (it.seekToLast(); it.valid(); it.prev()) backward.push(label(it))
    t.same(backward, forward.slice().reverse(), `${size} entries: a reverse scan is the forward one reversed`)

    // Random moves against the sorted list: a position and the label there.
    let at = -1
    let agree = true
    for (let step = 0; step < 2000 && size > 0; step++) {
      const move = rand(10)
      if (move < 5) {
        if (at >= 0) { it.prev(); at-- }
      } else if (move < 8) {
        if (at >= 0) { it.next(); at = at + 1 < forward.length ? at + 1 : -1 }
      } else if (move < 9) {
        it.seekToLast(); at = forward.length - 1
      } else {
        const target = `k${String(rand(size * 2)).padStart(6, '0')}`
        it.seek(Buffer.from(target), Number.MAX_SAFE_INTEGER)
        at = forward.findIndex((entry) => entry.split('@')[0] >= target)
      }
      const expected = at >= 0 ? forward[at] : undefined
      const actual = it.valid() ? label(it) : undefined
      if (actual !== expected) { agree = false; t.fail(`${size} entries, step ${step}: ${actual} where the model has ${expected}`); break }
      if (!it.valid()) at = -1
    }
    if (size > 0) t.ok(agree, `${size} entries: 2000 random next/prev/seek moves agree with the model`)
  }

  // Writes during a reverse walk get higher sequences: a walk over the entries it started
  // with still sees each of those exactly once, in order.
  const mem = new MemTable(4 * 1024 * 1024)
  for (let i = 0; i < 5000; i++) add(mem, `k${String(i * 2).padStart(6, '0')}`, i + 1, ValueKind.Value, 'v')
  const it = mem.iterator()
  const seen: string[] = []
  let sequence = 5000
  for (it.seekToLast(); it.valid(); it.prev()) {
    if (it.sequence() <= 5000) seen.push(it.userKey().toString())
    if (seen.length % 7 === 0) add(mem, `k${String(Math.max(0, 10000 - seen.length * 2 - 1)).padStart(6, '0')}`, ++sequence, ValueKind.Value, 'new')
  }
  const expected = Array.from({ length: 5000 }, (_, i) => `k${String((4999 - i) * 2).padStart(6, '0')}`)
  t.same(seen, expected, `inserts during the walk (${sequence - 5000}) leave the older entries seen once each, in order`)
  t.end()
})

test('find agrees with a model at every sequence: many versions, tombstones, out-of-order sequences, index growth', (t) => {
  // Small arena, so the key index starts small and doubles several times; short keys over a
  // small alphabet, so that many keys share their home slot and probe past each other.
  const mem = new MemTable(1024)
  const model: Array<{ key: string, sequence: number, kind: ValueKind, value: string }> = []
  let seed = 99
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 2147483648 * n) }
  const keyOf = (i: number): string => i.toString(36)
  // Sequences mostly rise, as writes do, but sometimes an older one lands later (as the key
  // index must handle: the newest version is the highest sequence, not the last insert).
  const sequences = Array.from({ length: 6000 }, (_, i) => i + 1)
  const keys = sequences.map(() => keyOf(rand(3000)))
  for (let i = 0; i + 1 < sequences.length; i += 1 + rand(50)) {
    [sequences[i], sequences[i + 1]] = [sequences[i + 1], sequences[i]]
    if (rand(2) === 0) keys[i + 1] = keys[i] // the same key, its older version second
  }
  for (let w = 0; w < sequences.length; w++) {
    const sequence = sequences[w]
    const key = keys[w]
    const kind = rand(8) === 0 ? ValueKind.Deletion : ValueKind.Value
    const value = `v${sequence}`
    add(mem, key, sequence, kind, kind === ValueKind.Value ? value : '')
    model.push({ key, sequence, kind, value })
  }
  const view = MemTable.fromImage(structuredClone(mem.image())) // no key index: searches the skiplist
  const describe = (table: MemTable, key: Buffer, sequence: number): string => {
    const node = table.find(key, 0, key.length, sequence)
    if (node === 0) return 'absent'
    return table.kindOf(node) === ValueKind.Deletion ? 'deleted' : table.valueOf(node).toString()
  }
  let wrong = 0
  let checked = 0
  for (let i = 0; i < 4000; i++) {
    const key = keyOf(rand(3100)) // some keys were never written
    const sequence = rand(10) === 0 ? 1e15 : rand(6100)
    let best: (typeof model)[number] | undefined
    for (const e of model) if (e.key === key && e.sequence <= sequence && (best === undefined || e.sequence > best.sequence)) best = e
    const expected = best === undefined ? 'absent' : best.kind === ValueKind.Deletion ? 'deleted' : best.value
    const k = Buffer.from(key)
    checked++
    if (describe(mem, k, sequence) !== expected || describe(view, k, sequence) !== expected) {
      if (wrong++ < 3) t.fail(`${key}@${sequence}: ${describe(mem, k, sequence)} / ${describe(view, k, sequence)}, expected ${expected}`)
    }
  }
  t.equal(wrong, 0, `${checked} lookups agree with the model, with and without the key index`)
  t.equal(mem.find(Buffer.from(''), 0, 0, 1e15), 0, 'the empty key, never written')
  mem.reset()
  t.equal(mem.find(Buffer.from(keyOf(1)), 0, 1, 1e15), 0, 'a reset memtable finds nothing')
  t.end()
})

test('shared-prefix words: keys that shrink the prefix late, tie on eight bytes, or end inside it; seeks outside it', (t) => {
  // The skiplist compares two words of key bytes past the prefix every key shares before any
  // bytes (memtable.ts). Keys here share "tenant/0001/" for a long while, then one key shares
  // less (every node's words are recomputed), then one shares nothing; many keys tie on the
  // eight bytes after the prefix and differ later, or end within them.
  const mem = new MemTable(1024)
  const model: Array<[Buffer, number]> = []
  let sequence = 0
  let x = 3
  const rand = (n: number): number => { x = (x * 1103515245 + 12345) >>> 0; return x % n }
  const alphabet = 'ab\u0000\u00ff'
  const randomTail = (length: number): string => Array.from({ length }, () => alphabet[rand(alphabet.length)]).join('')
  const put = (key: Buffer): void => {
    sequence++
    mem.add(sequence, ValueKind.Value, key, 0, key.length, Buffer.alloc(0), 0, 0)
    model.push([key, sequence])
  }
  const keyWith = (prefix: string): Buffer => Buffer.from(prefix + randomTail(rand(3) === 0 ? 12 : rand(9)), 'latin1')
  const check = (label: string): void => {
    const sorted = model.slice().sort((a, b) => Buffer.compare(a[0], b[0]) || b[1] - a[1])
    t.same(entries(mem), sorted.map(([key, seq]) => `${key.toString('hex')}@${seq}=`), `${label}: ${model.length} entries in the model's order`)
    // Seeks: present keys, and keys before, inside and past each prefix, at several sequences.
    const probes = [
      ...model.map(([key]) => key),
      ...['', '\u0000', 'a', 'a\u0000', 'b', 'tenan', 'tenant', 'tenant/', 'tenant/0000\u00ff', 'tenant/0001', 'tenant/0001/',
        'tenant/0001/\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff', 'tenant/0002/a', 'tenant/0004', 'tenanu', 'z'].map((s) => Buffer.from(s, 'latin1'))
    ]
    const it = mem.iterator()
    let wrong = 0
    for (const key of probes) {
      const seekSequence = rand(4) === 0 ? 1e15 : rand(sequence + 2)
      const at = sorted.findIndex(([k, seq]) => Buffer.compare(k, key) > 0 || (Buffer.compare(k, key) === 0 && seq <= seekSequence))
      it.seek(key, seekSequence)
      const expected = at < 0 ? 'end' : `${sorted[at][0].toString('hex')}@${sorted[at][1]}`
      const actual = it.valid() ? `${it.userKey().toString('hex')}@${it.sequence()}` : 'end'
      if (actual !== expected && wrong++ < 3) t.fail(`${label}: seek ${key.toString('hex')}@${seekSequence}: ${actual}, expected ${expected}`)
      if (at > 0 && it.valid()) {
        it.prev()
        const before = `${sorted[at - 1][0].toString('hex')}@${sorted[at - 1][1]}`
        if ((it.valid() ? `${it.userKey().toString('hex')}@${it.sequence()}` : 'start') !== before && wrong++ < 3) t.fail(`${label}: prev after seek ${key.toString('hex')}`)
      }
    }
    t.is(wrong, 0, `${label}: ${probes.length} seeks (and a step back from each) agree with the model`)
  }
  for (let i = 0; i < 600; i++) put(keyWith('tenant/0001/'))
  check('every key shares "tenant/0001/"')
  put(Buffer.from('tenant/0002', 'latin1')) // shares "tenant/000" only
  for (let i = 0; i < 300; i++) put(keyWith(rand(2) === 0 ? 'tenant/0001/' : 'tenant/0002/'))
  check('every key shares "tenant/000"')
  put(Buffer.from('tenant', 'latin1')) // ends inside the prefix
  put(Buffer.from('a', 'latin1')) // shares nothing
  for (let i = 0; i < 300; i++) put(keyWith(['tenant/0001/', 'tenant/0003/', 'b/', ''][rand(4)]))
  check('no shared prefix')
  const it = mem.iterator()
  const view = MemTable.fromImage(structuredClone(mem.image()))
  const viewIt = view.iterator()
  viewIt.seek(Buffer.from('tenant/0002/'), 1e15)
  it.seek(Buffer.from('tenant/0002/'), 1e15)
  t.same(viewIt.valid() && viewIt.userKey(), it.valid() && it.userKey(), 'a worker\'s view of the image seeks as the memtable does')
  t.end()
})

test('keys and values of every size class are stored exactly, from one batch-like buffer and from views, across arena growth', (t) => {
  // Lengths cross the copier's classes (byte loop to 48, words to 384, native above) and
  // the arena starts small, so it grows (and is re-targeted) many times along the way.
  const mem = new MemTable(1024)
  const source = Buffer.alloc(200000)
  for (let i = 0; i < source.length; i++) source[i] = (i * 131 + 7) & 0xff
  const expected = new Map<string, Buffer>()
  let at = 1
  let sequence = 1
  for (let i = 0; i < 400; i++) {
    const keyLength = 1 + (i * 37) % 120
    const valueLength = (i * 97) % 700
    // Some entries come from a view at an offset into the same memory, as pooled Buffers are.
    const from = i % 3 === 0 ? new Uint8Array(source.buffer, source.byteOffset + 5, source.length - 5) : source
    const keyStart = at
    const valueStart = keyStart + keyLength
    if (valueStart + valueLength > from.length) break
    // Tag the key with its index so that every key is distinct.
    const key = Buffer.concat([Buffer.from(`${String(i).padStart(4, '0')}-`), Buffer.from(from.subarray(keyStart, valueStart))])
    const keySource = Buffer.concat([key])
    mem.add(sequence++, ValueKind.Value, keySource, 0, keySource.length, from, valueStart, valueStart + valueLength)
    expected.set(key.toString('hex'), Buffer.from(from.subarray(valueStart, valueStart + valueLength)))
    at = valueStart + valueLength
  }
  let bad = 0
  for (const [hex, value] of expected) {
    const key = Buffer.from(hex, 'hex')
    const node = mem.find(key, 0, key.length, sequence)
    if (node === 0 || !mem.valueOf(node).equals(value)) bad++
  }
  t.ok(expected.size > 300, `${expected.size} entries`)
  t.equal(bad, 0, 'every value reads back as written')
  t.ok(mem.arenaCapacity >= 64 * 1024, 'the arena grew along the way')
  t.end()
})
