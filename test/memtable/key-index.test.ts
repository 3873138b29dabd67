// The key index maps a key's hash to its newest node; the memtable (here a stand-in that keeps
// keys and sequences in arrays) tells it whether a node holds a key.

import test = require('tape')
import { KeyIndex, IndexedNodes } from '../../lib/memtable/key-index'

class Nodes implements IndexedNodes {
  readonly keys: Buffer[] = [Buffer.alloc(0)] // node 0 is never used
  readonly sequences: number[] = [0]
  add (key: string, sequence: number): number {
    this.keys.push(Buffer.from(key))
    this.sequences.push(sequence)
    return this.keys.length - 1
  }

  nodeKeyEquals (node: number, key: Uint8Array, start: number, end: number): boolean {
    return Buffer.compare(this.keys[node], key.subarray(start, end)) === 0
  }

  nodeSequence (node: number): number {
    return this.sequences[node]
  }
}

test('key index: the newest node per key, even when every key hashes alike', (t) => {
  const nodes = new Nodes()
  const index = new KeyIndex(nodes, 4)
  const HASH = 12345 // one hash for all: every lookup probes past the others' slots
  const record = (key: string, sequence: number): number => {
    const node = nodes.add(key, sequence)
    const k = Buffer.from(key)
    index.record(HASH, node, k, 0, k.length, sequence)
    return node
  }
  const newest = (key: string): number => {
    const k = Buffer.from(key)
    return index.newest(HASH, k, 0, k.length)
  }
  const a1 = record('a', 1)
  const b2 = record('b', 2)
  t.equal(newest('a'), a1)
  t.equal(newest('b'), b2)
  t.equal(newest('c'), 0, 'a key not recorded')
  const a3 = record('a', 3)
  t.equal(newest('a'), a3, 'a newer version replaces')
  record('a', 0)
  t.equal(newest('a'), a3, 'an older version recorded later does not')
  t.equal(index.size, 2, 'distinct keys')
  // Past half full the table doubles; every key is still found after the rehash.
  const many = Array.from({ length: 3000 }, (_, i) => record(`k${i}`, 10 + i))
  let lost = 0
  for (let i = 0; i < many.length; i++) if (newest(`k${i}`) !== many[i]) lost++
  t.equal(lost, 0, '3000 colliding keys all found after growth')
  t.equal(newest('a'), a3)
  index.clear()
  t.equal(newest('a'), 0, 'cleared')
  t.equal(index.size, 0)
  t.end()
})

test('key index: real hashes, tens of thousands of keys', (t) => {
  const { bloomHash } = require('../../lib/bloom/bloom-hash') as typeof import('../../lib/bloom/bloom-hash')
  const nodes = new Nodes()
  const index = new KeyIndex(nodes, 100)
  const keys = Array.from({ length: 40000 }, (_, i) => String(i * 7919 % 100003).padStart(16, '0'))
  const placed = keys.map((key, i) => {
    const node = nodes.add(key, i + 1)
    const k = Buffer.from(key)
    index.record(bloomHash(k), node, k, 0, k.length, i + 1)
    return node
  })
  let wrong = 0
  keys.forEach((key, i) => { const k = Buffer.from(key); if (index.newest(bloomHash(k), k, 0, k.length) !== placed[i]) wrong++ })
  let falseHits = 0
  for (let i = 0; i < 10000; i++) {
    const k = Buffer.from('x' + String(i).padStart(15, '0'))
    if (index.newest(bloomHash(k), k, 0, k.length) !== 0) falseHits++
  }
  t.equal(wrong, 0, 'every key finds its node')
  t.equal(falseHits, 0, 'no absent key finds one')
  t.end()
})
