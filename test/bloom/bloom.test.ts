import test = require('tape')
import { bloomHash } from '../../lib/bloom/bloom-hash'
import { BloomFilterPolicy, bloomMayMatch } from '../../lib/bloom/bloom-filter'

// Expected values were computed by hand (with arbitrary-precision integers, outside this
// codebase) from the algorithm in leveldb-format.md §6.7.
test('bloom hash: pinned values with seed 0xbc9f1d34', (t) => {
  const cases: Array<[number[] | string, number]> = [
    [[], 0xbc9f1d34],
    [[0x62], 0xef1345c4],
    [[0xc3, 0x97], 0x5b663814],
    [[0xe2, 0x99, 0xa5], 0x323c078f], // tail bytes >= 0x80 are added unsigned
    [[0xe1, 0x80, 0xb9, 0x32], 0xed21633a],
    ['hello', 0xf795964e],
    [[0xff, 0xff, 0xff, 0xff, 0xff], 0x7f83495b],
    [Array.from({ length: 32 }, (_, i) => i), 0x3ce673ae]
  ]
  for (const [input, expected] of cases) {
    const bytes = typeof input === 'string' ? Buffer.from(input) : Buffer.from(input)
    t.equal(bloomHash(bytes), expected, `${bytes.toString('hex') || '(empty)'} -> ${expected.toString(16)}`)
  }
  t.end()
})

test('bloom hash: hashes a range in place', (t) => {
  const outer = Buffer.from('xxhelloyy')
  t.equal(bloomHash(outer, 2, 7), bloomHash(Buffer.from('hello')))
  t.equal(bloomHash(new Uint8Array([0x62]), 0, 1, 0xbc9f1d34), 0xef1345c4, 'plain Uint8Array')
  t.end()
})

test('bloom filter: pinned bytes, k = 6 stored last', (t) => {
  const policy = new BloomFilterPolicy(10)
  t.equal(policy.k, 6)
  t.equal(policy.name, 'leveldb.BuiltinBloomFilter2')
  t.equal(policy.createFilter([Buffer.from('hello'), Buffer.from('world')]).toString('hex'), '114000414410401006')
  const ten = Array.from({ length: 10 }, (_, i) => Buffer.from(String(i)))
  t.equal(policy.createFilter(ten).toString('hex'), '439f4550102131d500cbf82b0d06', '100 bits round up to 13 bytes')
  t.end()
})

test('bloom filter: empty and tiny filters', (t) => {
  const policy = new BloomFilterPolicy()
  const empty = policy.createFilter([])
  t.equal(empty.length, 9, '64 bits minimum plus k')
  t.notOk(bloomMayMatch(Buffer.from('hello'), empty))
  t.notOk(bloomMayMatch(Buffer.from('hello'), Buffer.alloc(0)), 'zero bytes never match')
  t.notOk(bloomMayMatch(Buffer.from('hello'), Buffer.from([6])), 'one byte never matches')
  const reserved = Buffer.alloc(9)
  reserved[8] = 31
  t.ok(bloomMayMatch(Buffer.from('anything'), reserved), 'k > 30 is reserved: may match')
  t.end()
})

test('bloom filter: no false negatives and about 1% false positives', (t) => {
  const policy = new BloomFilterPolicy()
  for (const n of [1, 10, 100, 1000, 10000]) {
    const keys = Array.from({ length: n }, (_, i) => Buffer.from(`key-${i}`))
    const filter = policy.createFilter(keys)
    t.equal(filter.length, Math.ceil(Math.max(64, n * 10) / 8) + 1, `${n} keys: length`)
    let missing = 0
    for (const key of keys) if (!policy.mayMatch(key, filter)) missing++
    t.equal(missing, 0, `${n} keys: no false negatives`)
    if (n >= 1000) {
      let falsePositives = 0
      const probes = 20000
      for (let i = 0; i < probes; i++) if (policy.mayMatch(Buffer.from(`absent-${i}`), filter)) falsePositives++
      const rate = falsePositives / probes
      t.ok(rate < 0.02, `${n} keys: false positive rate ${(rate * 100).toFixed(2)}%`)
    }
  }
  t.end()
})

test('bloom filter: filter embedded in a larger buffer', (t) => {
  const policy = new BloomFilterPolicy()
  const keys = [Buffer.from('a'), Buffer.from('b')]
  const filter = policy.createFilter(keys)
  const outer = Buffer.concat([Buffer.from([1, 2, 3]), filter, Buffer.from([9])])
  t.ok(policy.mayMatch(Buffer.from('a'), outer, 3, 3 + filter.length))
  t.ok(policy.mayMatch(Buffer.from('b'), outer, 3, 3 + filter.length))
  t.end()
})

// The filter reduces each probe without `%` (slow in V8 for a uint32 past 2^31): every bit it
// sets must be the one the plain remainder picks, for hashes near 0, 2^31 and 2^32 and for
// filter sizes that are not powers of two.
test('bloom filter: probe positions of hashes past 2^31 equal the plain remainder', (t) => {
  const policy = new BloomFilterPolicy(10)
  const edges = [0, 1, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff]
  let seed = 12345
  const random = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed }
  let mismatches = 0
  let probed = 0
  for (const count of [1, 3, 7, 29, 100, 1001]) {
    const hashes = new Uint32Array(count)
    for (let i = 0; i < count; i++) hashes[i] = i < edges.length ? edges[i] : random()
    const filter = policy.createFilterFromHashes(hashes, count)
    const expected = Buffer.alloc(filter.length)
    const bits = (filter.length - 1) * 8
    for (let i = 0; i < count; i++) {
      let h = hashes[i]
      const delta = ((h >>> 17) | (h << 15)) >>> 0
      for (let j = 0; j < policy.k; j++) {
        const bit = h % bits
        expected[bit >>> 3] |= 1 << (bit & 7)
        h = (h + delta) >>> 0
        if (h >= 0x80000000) probed++
      }
    }
    expected[filter.length - 1] = policy.k
    if (!filter.equals(expected)) mismatches++
  }
  t.ok(probed > 1000, `${probed} probes used a hash past 2^31`)
  t.equal(mismatches, 0, 'every filter is bit-identical to the plain remainder')
  t.end()
})
