// Tables written by classic-level (LevelDB 1.20) read back with our Table, and rebuilt with
// our TableBuilder from the same entries: without compression the rebuilt file must be
// byte-identical (data blocks, index separators, bloom filters, footer); with compression
// the uncompressed block contents and the cut points must match.

import test = require('tape')
import { nodeEnv } from '../../lib/env/node-env'
import fs = require('fs')
import path = require('path')
import { ClassicLevel } from 'classic-level'
import { MAX_SEQUENCE, ValueKind } from '../../lib/format/internal-key'
import { Table } from '../../lib/sstable/table'
import { decodeFooter, readBlock, decodeBlockHandle } from '../../lib/sstable/format'
import { Block, blockEntries } from '../../lib/sstable/block'
import { FilterBlockBuilder } from '../../lib/sstable/filter-block'
import { BlockCache } from '../../lib/cache/block-cache'
import { Entry, random, randomBytes, collect, buildTable, memoryFile, tempDir } from './table-fixture'

const root = tempDir('interop')
test.onFinish(() => fs.rmSync(root, { recursive: true, force: true }))

type Model = Map<string, Buffer | null>

/** Writes puts, overwrites and deletes with classic-level, then reopens so the log becomes tables. */
async function writeWithClassicLevel (location: string, compression: boolean, seed: number): Promise<{ model: Model, live: LiveTable[] }> {
  const rand = random(seed)
  const model: Model = new Map()
  const db = new ClassicLevel<Buffer, Buffer>(location, {
    keyEncoding: 'buffer', valueEncoding: 'buffer', compression, writeBufferSize: 64 * 1024
  })
  await db.open()
  const keys: Buffer[] = []
  for (let i = 0; i < 4000; i++) {
    const key = i % 10 === 0
      ? randomBytes(rand, 1 + Math.floor(rand() * 6), [0x00, 0x01, 0xfe, 0xff]) // binary keys
      : Buffer.from(`key-${Math.floor(rand() * 100000).toString(36)}`)
    keys.push(key)
  }
  for (let round = 0; round < 3; round++) {
    const ops: Array<{ type: 'put', key: Buffer, value: Buffer } | { type: 'del', key: Buffer }> = []
    for (const key of keys) {
      const r = rand()
      if (r < 0.15 && round > 0) {
        ops.push({ type: 'del', key })
        model.set(key.toString('latin1'), null)
      } else if (r < 0.6 || round === 0) {
        const length = rand() < 0.01 ? 100 * 1024 : rand() < 0.05 ? 0 : Math.floor(rand() * 120)
        const value = Buffer.from(`r${round} `.repeat(Math.ceil(length / 3) + 1)).subarray(0, length)
        ops.push({ type: 'put', key, value })
        model.set(key.toString('latin1'), value)
      }
      if (ops.length >= 200) await db.batch(ops.splice(0))
    }
    if (ops.length > 0) await db.batch(ops)
  }
  await db.close()
  // Reopening replays the log into a table. Closing can abandon a compaction half way and leave
  // a partial .ldb that is not live, so take the live files (and MANIFEST sizes) from LevelDB
  // once background work has settled.
  await db.open()
  let previous = ''
  let current = db.getProperty('leveldb.sstables')
  while (current !== previous) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    previous = current
    current = db.getProperty('leveldb.sstables')
  }
  await db.close()
  const live: LiveTable[] = []
  for (const match of current.matchAll(/^\s*(\d+):(\d+)\[/gm)) {
    live.push({ file: path.join(location, `${match[1].padStart(6, '0')}.ldb`), size: Number(match[2]) })
  }
  return { model, live }
}

interface LiveTable { file: string, size: number }
const liveTables = new Map<boolean, LiveTable[]>()

for (const compression of [false, true]) {
  test(`interop: classic-level tables (compression ${compression}) read back with Table`, async (t) => {
    const location = path.join(root, `db-${compression}`)
    const { model, live } = await writeWithClassicLevel(location, compression, compression ? 2 : 1)
    liveTables.set(compression, live)
    t.ok(live.length >= 1, `${live.length} live table files`)

    // Newest entry per key over every table, found by full scans...
    const newest = new Map<string, { sequence: number, kind: ValueKind, value: Buffer }>()
    const cache = new BlockCache<Block>(1 << 20)
    const tables: Table[] = []
    let entryCount = 0
    for (const { file, size } of live) {
      t.equal(fs.statSync(file).size, size, `${path.basename(file)}: MANIFEST size is the file size`)
      const table = Table.open(nodeEnv.openRandomAccess(file), size, cache.newId(), cache)
      tables.push(table)
      const forward = collect(table.iterator(false))
      const reverse = collect(table.iterator(false), true)
      t.equal(reverse.length, forward.length, `${path.basename(file)}: ${forward.length} entries both ways`)
      entryCount += forward.length
      for (const e of forward) {
        const key = e.userKey.toString('latin1')
        const seen = newest.get(key)
        if (seen === undefined || seen.sequence < e.sequence) newest.set(key, e)
      }
    }
    t.ok(entryCount >= model.size, `${entryCount} entries in tables for ${model.size} keys`)
    let wrongScan = 0
    for (const [key, value] of model) {
      const e = newest.get(key)
      const live = e !== undefined && e.kind === ValueKind.Value ? e.value : null
      if (value === null ? live !== null : live === null || !live.equals(value)) wrongScan++
    }
    t.equal(wrongScan, 0, 'every key\'s latest version matches by scanning')

    // ...and by point gets with a large sequence, filters consulted.
    let wrongGet = 0
    for (const [key, value] of model) {
      let best: { sequence: number, kind: ValueKind, value: Buffer } | undefined
      for (const table of tables) {
        const found = table.get(Buffer.from(key, 'latin1'), MAX_SEQUENCE, true)
        if (found !== undefined && (best === undefined || found.sequence > best.sequence)) best = found
      }
      const live = best !== undefined && best.kind === ValueKind.Value ? best.value : null
      if (value === null ? live !== null : live === null || !live.equals(value)) wrongGet++
    }
    t.equal(wrongGet, 0, `every key's latest version matches by get (${model.size} keys)`)
    for (const table of tables) table.close()
    t.equal(cache.size, 0)
  })

  test(`interop: our builder reproduces classic-level's tables (compression ${compression})`, (t) => {
    for (const { file } of liveTables.get(compression) ?? []) {
      const original = fs.readFileSync(file)
      const entries: Entry[] = collect(Table.open(memoryFile(original), original.length, 0, undefined).iterator(false))
      const rebuilt = buildTable(entries, { blockSize: 4096, blockRestartInterval: 16, compression })
      const name = path.basename(file)
      if (!compression) {
        t.ok(rebuilt.equals(original), `${name}: byte-identical (${original.length} bytes)`)
        continue
      }
      // Same cut points and identical uncompressed blocks; compressed bytes may differ (snappyjs vs native snappy).
      const ours = dataBlocks(rebuilt)
      const theirs = dataBlocks(original)
      t.equal(ours.length, theirs.length, `${name}: ${theirs.length} data blocks`)
      t.ok(ours.every((b, i) => theirs[i] !== undefined && b.equals(theirs[i])), `${name}: identical uncompressed data blocks`)
      // Compressed sizes move the 2 KiB filter slots, so rebuild the filter with LevelDB's offsets.
      t.ok(filterWithOffsetsOf(original).equals(filterOf(original) as Buffer), `${name}: filter block identical given the same block offsets`)
      t.ok(filterOf(rebuilt) !== undefined, `${name}: rebuilt table has a bloom filter`)
    }
    t.end()
  })
}

function dataBlocks (bytes: Buffer): Buffer[] {
  const file = memoryFile(bytes)
  const footer = decodeFooter('x', bytes.subarray(bytes.length - 48))
  const index = new Block('x', readBlock(file, footer.index)).iterator()
  const out: Buffer[] = []
  for (index.seekToFirst(); index.valid(); index.next()) {
    out.push(Buffer.from(readBlock(file, decodeBlockHandle('x', index.value()))))
  }
  return out
}

/** The filter block our builder makes for the data blocks at the offsets this table has. */
function filterWithOffsetsOf (bytes: Buffer): Buffer {
  const file = memoryFile(bytes)
  const footer = decodeFooter('x', bytes.subarray(bytes.length - 48))
  const index = new Block('x', readBlock(file, footer.index)).iterator()
  const builder = new FilterBlockBuilder()
  builder.startBlock(0)
  let first = true
  for (index.seekToFirst(); index.valid(); index.next()) {
    const handle = decodeBlockHandle('x', index.value())
    if (!first) builder.startBlock(handle.offset)
    first = false
    const data = new Block('x', readBlock(file, handle)).iterator()
    for (data.seekToFirst(); data.valid(); data.next()) builder.addKey(data.userKey())
  }
  return builder.finish()
}

function filterOf (bytes: Buffer): Buffer | undefined {
  const file = memoryFile(bytes)
  const footer = decodeFooter('x', bytes.subarray(bytes.length - 48))
  for (const entry of blockEntries(new Block('x', readBlock(file, footer.metaindex)))) {
    if (entry.key.toString() === 'filter.leveldb.BuiltinBloomFilter2') return readBlock(file, decodeBlockHandle('x', entry.value))
  }
  return undefined
}
