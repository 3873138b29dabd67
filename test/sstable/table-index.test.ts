// TableIndex.find against a plain lower bound over the separators, on key sets that exercise
// its number-first search: separators sharing a long prefix, a last separator shortened to a
// short successor outside that prefix, keys ending inside the prefix or within the six bytes
// after it, keys that tie on those six bytes and differ later, one user key at several
// sequences, and lookups before, inside and past the shared prefix.

import test = require('tape')
import { compareInternalKeys, KIND_FOR_SEEK, makeInternalKey, MAX_SEQUENCE, ValueKind } from '../../lib/format/internal-key'
import { Block } from '../../lib/sstable/block'
import { BlockBuilder } from '../../lib/sstable/block-builder'
import { encodeBlockHandle } from '../../lib/sstable/format'
import { TableIndex } from '../../lib/sstable/table-index'
import { random, randomBytes } from './table-fixture'

/** An index over the given separators (sorted, distinct), as TableBuilder would write it. */
function indexOf (separators: Buffer[]): TableIndex {
  const builder = new BlockBuilder(1)
  separators.forEach((key, i) => builder.add(key, encodeBlockHandle({ offset: i * 100, size: 90 })))
  return TableIndex.decode('test.ldb', new Block('test.ldb', builder.finish()), separators.length * 100)
}

function lowerBound (separators: Buffer[], target: Buffer): number {
  let i = 0
  while (i < separators.length && compareInternalKeys(separators[i], target) < 0) i++
  return i
}

/** Distinct sorted internal keys from user keys, each at one or a few sequences. */
function separatorsOf (userKeys: Buffer[], rand: () => number): Buffer[] {
  const keys: Buffer[] = []
  for (const userKey of userKeys) {
    const versions = rand() < 0.2 ? 3 : 1
    for (let v = 0; v < versions; v++) keys.push(makeInternalKey(userKey, Math.floor(rand() * 1000), ValueKind.Value))
  }
  keys.sort(compareInternalKeys)
  return keys.filter((key, i) => i === 0 || compareInternalKeys(keys[i - 1], key) !== 0)
}

function checkFinds (t: test.Test, label: string, separators: Buffer[], probes: Buffer[], rand: () => number): void {
  const index = indexOf(separators)
  let wrong = 0
  for (const userKey of probes) {
    const sequence = rand() < 0.3 ? MAX_SEQUENCE : Math.floor(rand() * 1000)
    const target = makeInternalKey(userKey, sequence, KIND_FOR_SEEK)
    const expected = lowerBound(separators, target)
    const found = index.find(target, target.length)
    if (found !== expected && wrong++ < 3) t.fail(`${label}: find ${userKey.toString('latin1')}@${sequence} gave ${found}, expected ${expected}`)
  }
  t.equal(wrong, 0, `${label}: ${probes.length} lookups agree with a lower bound over ${separators.length} separators`)
}

test('find: db_bench keys with a shared ten-byte prefix and a last separator shortened to "1"', (t) => {
  const rand = random(11)
  const userKeys = Array.from({ length: 400 }, () => Buffer.from(String(Math.floor(rand() * 1e6)).padStart(16, '0')))
  const separators = separatorsOf(userKeys, rand)
  separators.push(makeInternalKey(Buffer.from('1'), MAX_SEQUENCE, KIND_FOR_SEEK))
  const probes = [
    ...userKeys,
    ...Array.from({ length: 400 }, () => Buffer.from(String(Math.floor(rand() * 1e6)).padStart(16, '0'))),
    Buffer.from('0'), Buffer.from(''), Buffer.from('00000000009'), Buffer.from('000000000099999999'),
    Buffer.from('1'), Buffer.from('10'), Buffer.from('2'), Buffer.from('/')
  ]
  checkFinds(t, 'db_bench keys', separators, probes, rand)
  t.end()
})

test('find: keys that end inside the shared prefix or tie on the six bytes after it', (t) => {
  const rand = random(23)
  const alphabet = [0x00, 0x01, 0x61, 0x62, 0xff]
  const prefix = Buffer.from('shared/prefix/')
  for (let round = 0; round < 30; round++) {
    const userKeys: Buffer[] = []
    for (let i = 0; i < 60; i++) {
      // Six-byte heads repeat so that numbers tie and bytes past them decide.
      const head = randomBytes(rand, Math.floor(rand() * 7), alphabet)
      const tail = rand() < 0.5 ? randomBytes(rand, Math.floor(rand() * 4), alphabet) : Buffer.alloc(0)
      userKeys.push(Buffer.concat([prefix, head, head.length === 6 ? tail : Buffer.alloc(0)]))
    }
    const separators = separatorsOf(userKeys, rand)
    if (round % 3 === 1) separators.unshift(makeInternalKey(prefix.subarray(0, 5), 7, ValueKind.Value))
    if (round % 3 === 2) separators.push(makeInternalKey(Buffer.from('shared0'), 7, ValueKind.Value))
    const probes = [
      ...userKeys,
      ...Array.from({ length: 100 }, () => Buffer.concat([prefix.subarray(0, Math.floor(rand() * (prefix.length + 1))), randomBytes(rand, Math.floor(rand() * 9), alphabet)])),
      Buffer.from('shared'), Buffer.from('shared0'), Buffer.from('sharee'), Buffer.from('a'), Buffer.from('z')
    ]
    checkFinds(t, `round ${round}`, separators, probes, rand)
  }
  t.end()
})

test('find: one separator, and separators with no common prefix', (t) => {
  const rand = random(5)
  checkFinds(t, 'one separator', [makeInternalKey(Buffer.from('m'), 3, ValueKind.Value)], [Buffer.from('a'), Buffer.from('m'), Buffer.from('z'), Buffer.from('')], rand)
  const userKeys = Array.from({ length: 200 }, () => randomBytes(rand, 1 + Math.floor(rand() * 10)))
  checkFinds(t, 'random binary keys', separatorsOf(userKeys, rand), [...userKeys, ...Array.from({ length: 200 }, () => randomBytes(rand, Math.floor(rand() * 10)))], rand)
  t.end()
})
