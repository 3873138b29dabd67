import test = require('tape')
import { ValueKind } from '../../lib/format/internal-key'
import {
  BATCH_HEADER_SIZE, WriteBatchBuilder, batchCount, batchSequence, forEachBatchOp
} from '../../lib/wal/write-batch'

const FILE = 'db/000007.log'

interface Op { kind: ValueKind, key: Buffer, value: Buffer, sequence: number }

function decode (encoded: Uint8Array): Op[] {
  const ops: Op[] = []
  forEachBatchOp(encoded, FILE, (kind, key, value, sequence) => {
    ops.push({ kind, key: Buffer.from(key), value: Buffer.from(value), sequence })
  })
  return ops
}

/** Decoding must throw LEVEL_CORRUPTION naming FILE. */
function rejects (t: test.Test, encoded: Uint8Array, label: string, what: string): void {
  let visited = 0
  try {
    forEachBatchOp(encoded, FILE, () => { visited++ })
    t.fail(`${label}: decoded`)
  } catch (err) {
    const e = err as { code?: string, message: string }
    t.ok(e.code === 'LEVEL_CORRUPTION' && e.message.includes(FILE) && e.message.includes(what), `${label}: ${e.message}`)
    t.equal(visited, 0, `${label}: nothing visited`)
  }
}

function sample (): WriteBatchBuilder {
  const b = new WriteBatchBuilder()
  b.setSequence(100)
  b.put(Buffer.from('k1'), Buffer.from('v1'))
  b.del('k2')
  b.put('k3', 'v3')
  return b
}

test('write batch: header and byte layout', (t) => {
  const b = new WriteBatchBuilder()
  b.setSequence(1)
  b.put('a', '1')
  t.equal(b.bytes().toString('hex'), '0100000000000000' + '01000000' + '01' + '0161' + '0131')
  t.equal(b.count, 1)
  t.equal(b.byteSize, 17)
  b.reset()
  t.equal(b.count, 0)
  t.equal(b.byteSize, BATCH_HEADER_SIZE)
  t.equal(b.bytes().toString('hex'), '00'.repeat(12), 'reset clears the header')
  b.setSequence(2)
  b.del('b')
  t.equal(b.bytes().toString('hex'), '0200000000000000' + '01000000' + '00' + '0162')
  t.end()
})

test('write batch: sequence and count', (t) => {
  const b = sample()
  t.equal(batchSequence(b.bytes()), 100)
  t.equal(batchCount(b.bytes()), 3)
  b.setSequence(2 ** 40 + 7)
  t.equal(batchSequence(b.bytes()), 2 ** 40 + 7, 'sequences above 2^32')
  t.same(decode(b.bytes()).map((op) => op.sequence), [2 ** 40 + 7, 2 ** 40 + 8, 2 ** 40 + 9], 'op i gets sequence + i')
  t.end()
})

test('write batch: round trip of puts and deletes', (t) => {
  const ops = decode(sample().bytes())
  t.same(ops.map((op) => [op.kind, op.key.toString(), op.value.toString(), op.sequence]), [
    [ValueKind.Value, 'k1', 'v1', 100],
    [ValueKind.Deletion, 'k2', '', 101],
    [ValueKind.Value, 'k3', 'v3', 102]
  ])
  t.end()
})

test('write batch: empty keys and values, binary and large data', (t) => {
  const b = new WriteBatchBuilder(16)
  const binary = Buffer.from([0, 255, 128, 0, 10, 13])
  const large = Buffer.alloc(100000, 0xab)
  b.put(Buffer.alloc(0), Buffer.alloc(0))
  b.put('', '')
  b.del('')
  b.put(binary, binary)
  b.put(new Uint8Array([1, 2, 3]), large)
  b.put('x'.repeat(200), 'y'.repeat(64))
  const ops = decode(b.bytes())
  t.equal(ops.length, 6)
  t.same(ops.map((op) => [op.key.length, op.value.length]), [[0, 0], [0, 0], [0, 0], [6, 6], [3, 100000], [200, 64]])
  t.ok(ops[3].key.equals(binary) && ops[3].value.equals(binary), 'binary')
  t.ok(ops[4].key.equals(Buffer.from([1, 2, 3])) && ops[4].value.equals(large), 'plain Uint8Array key, large value')
  t.equal(ops[5].key.toString(), 'x'.repeat(200), 'long string key (two-byte length)')
  t.equal(ops[5].value.toString(), 'y'.repeat(64))
  t.end()
})

test('write batch: utf8 strings, including astral characters', (t) => {
  const strings = ['é', 'ü'.repeat(70), '日本語', '\u{10000}', 'a\u{1F600}b', 'x'.repeat(63) + 'é', '\0nul']
  const b = new WriteBatchBuilder()
  for (const s of strings) b.put(s, s + s)
  const ops = decode(b.bytes())
  t.same(ops.map((op) => op.key.toString('utf8')), strings, 'keys')
  t.same(ops.map((op) => op.value.toString('utf8')), strings.map((s) => s + s), 'values')
  t.ok(ops.every((op, i) => op.key.equals(Buffer.from(strings[i], 'utf8'))), 'same bytes as Buffer.from')
  t.equal(ops[3].key.length, 4, 'U+10000 is 4 bytes')
  t.end()
})

test('write batch: strings and buffers encode identically', (t) => {
  const a = new WriteBatchBuilder()
  const b = new WriteBatchBuilder()
  for (const s of ['', 'a', 'hello', 'ç', '\u{10000}', 'z'.repeat(300)]) {
    a.put(s, s)
    a.del(s)
    b.put(Buffer.from(s), Buffer.from(s))
    b.del(Buffer.from(s))
  }
  t.ok(a.bytes().equals(b.bytes()))
  t.end()
})

test('write batch: strings whose utf8 length needs a longer prefix than their length in units', (t) => {
  // Each string is encoded assuming one byte a unit; these break that at every prefix size
  // and on each side of the short (24) and medium (16384) length limits.
  const strings = [
    'a'.repeat(24), 'a'.repeat(25), 'é'.repeat(24), 'é'.repeat(25),
    'x'.repeat(127), 'é'.repeat(64), 'a'.repeat(63) + 'é', '日'.repeat(43),
    'é'.repeat(8191), 'é'.repeat(8192), '日'.repeat(5462),
    'a'.repeat(16384), 'a'.repeat(16385), 'é'.repeat(16385),
    '\uD800'.repeat(30), 'ab\uDC00', '\u{1F600}'.repeat(20)
  ]
  const fromStrings = new WriteBatchBuilder()
  const fromBytes = new WriteBatchBuilder()
  for (const s of strings) {
    fromStrings.put(s, s)
    fromStrings.del(s)
    fromBytes.put(Buffer.from(s, 'utf8'), Buffer.from(s, 'utf8'))
    fromBytes.del(Buffer.from(s, 'utf8'))
  }
  t.ok(fromStrings.bytes().equals(fromBytes.bytes()), 'same bytes as encoding each string with Buffer.from')
  t.equal(fromStrings.userBytes, fromBytes.userBytes, 'same user byte count')
  const ops = decode(fromStrings.bytes())
  t.same(ops.filter((op) => op.kind === ValueKind.Value).map((op) => op.value.toString('utf8')),
    strings.map((s) => Buffer.from(s, 'utf8').toString('utf8')), 'values decode')
  t.end()
})

test('write batch: appendBatch merges ops', (t) => {
  const group = new WriteBatchBuilder()
  group.setSequence(50)
  group.put('a', '1')
  const other = sample()
  group.appendBatch(other.bytes())
  const empty = new WriteBatchBuilder()
  group.appendBatch(empty.bytes())
  t.equal(group.count, 4)
  t.equal(batchCount(group.bytes()), 4)
  t.equal(group.byteSize, 1 + 2 + 2 + other.byteSize)
  t.same(decode(group.bytes()).map((op) => [op.key.toString(), op.sequence]), [['a', 50], ['k1', 51], ['k2', 52], ['k3', 53]])
  t.end()
})

test('write batch: reuse after reset', (t) => {
  const b = new WriteBatchBuilder(12)
  for (let round = 0; round < 3; round++) {
    b.reset()
    b.setSequence(round)
    for (let i = 0; i <= round * 100; i++) b.put(`key${i}`, Buffer.alloc(i))
    const ops = decode(b.bytes())
    t.equal(ops.length, round * 100 + 1, `round ${round}`)
    t.equal(ops[ops.length - 1].value.length, round * 100)
  }
  t.end()
})

test('write batch: corruption', (t) => {
  rejects(t, new Uint8Array(0), 'empty', 'shorter than its header')
  rejects(t, new Uint8Array(11), '11 bytes', 'shorter than its header')

  const good = Buffer.from(sample().bytes())
  const countMismatch = Buffer.from(good)
  countMismatch.writeUInt32LE(4, 8)
  rejects(t, countMismatch, 'count too high', 'count')
  countMismatch.writeUInt32LE(2, 8)
  rejects(t, countMismatch, 'count too low', 'count')
  const headerOnly = Buffer.from(good.subarray(0, 12))
  rejects(t, headerOnly, 'count 3, no ops', 'count')

  const badTag = Buffer.from(good)
  badTag[12] = 7
  rejects(t, badTag, 'bad tag', 'tag 7')

  // Every cut inside the ops is either a truncated key/value or a count mismatch.
  for (let cut = 13; cut < good.length; cut++) {
    rejects(t, good.subarray(0, cut), `cut at ${cut}`, '')
  }

  const keyOverrun = Buffer.from(good)
  keyOverrun[13] = 100
  rejects(t, keyOverrun, 'key length overruns', 'key truncated')
  const valueOverrun = Buffer.from(good)
  valueOverrun[16] = 100
  rejects(t, valueOverrun, 'value length overruns', 'value truncated')
  const badVarint = Buffer.concat([good.subarray(0, 12), Buffer.from([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])])
  badVarint.writeUInt32LE(1, 8)
  rejects(t, badVarint, 'over-long key length varint', 'key truncated')

  t.throws(() => batchCount(new Uint8Array(3)), /shorter than its header/, 'batchCount on a short buffer')
  t.end()
})
