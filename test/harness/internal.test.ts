// Randomized harness for the InternalIterator contract (in the spirit of LevelDB's
// table_test Harness): one generator of entries and of positioning operations, one plain
// reference model (a sorted array in internal order), and several implementations built
// from the same entries, each walked by the same kind of random operation sequence and
// checked entry by entry (user key, sequence, kind, value) against the model:
//
//   memtable   a MemTable holding every entry (inserted in random order)
//   table      one table file (TableFileWriter) opened through a TableCache or directly
//   level      a LevelIterator over a sorted run of table files splitting the entries
//   merge      mergeIterators over a memtable, several table files and maybe a level
//
// Point lookups (MemTable.find, Table.get) are checked against the model as well.
// Replay a failure with HARNESS_SEED=<seed> node dist/test/harness/internal.test.js

import test = require('tape')
import type { Block } from '../../lib/sstable/block'
import { nodeEnv } from '../../lib/env/node-env'
import * as fs from 'fs'
import { compareBytes } from '../../lib/format/bytes'
import { MAX_SEQUENCE, ValueKind } from '../../lib/format/internal-key'
import type { EntryLocation, InternalIterator } from '../../lib/base/internal-iterator'
import { LevelIterator } from '../../lib/iterator/level-iterator'
import { mergeIterators } from '../../lib/iterator/merging-iterator'
import { MemTable } from '../../lib/memtable/memtable'
import { Table } from '../../lib/sstable/table'
import type { TableBuildOptions } from '../../lib/sstable/table-builder'
import { TableFileWriter } from '../../lib/compaction/table-file'
import { TableCache } from '../../lib/cache/table-cache'
import { BlockCache } from '../../lib/cache/block-cache'
import type { FileMeta } from '../../lib/version/file-meta'
import { tableFileName } from '../../lib/format/filename'
import { tempLocation } from '../support/temp'
import { KeySpace, Mismatch, Rng, harnessOps, harnessSeeds, hex, randomValue, replayHint, verbose } from './support'

const FILE = 'internal.test.js'
const SEEDS = harnessSeeds(200)
const OPS = harnessOps(600)
// HARNESS_NO_STRADDLE=1 keeps every user key within one file of a level (see splitRuns).
const STRADDLE = process.env.HARNESS_NO_STRADDLE === undefined || process.env.HARNESS_NO_STRADDLE === ''


interface Entry {
  key: Buffer
  seq: number
  kind: ValueKind
  value: Buffer
}

/** Internal order: user key ascending, then sequence descending. */
function compareEntries (a: Entry, b: Entry): number {
  const c = compareBytes(a.key, b.key)
  if (c !== 0) return c
  return a.seq > b.seq ? -1 : a.seq < b.seq ? 1 : 0
}

function describe (e: Entry | undefined): string {
  if (e === undefined) return '<invalid>'
  return `${hex(e.key)}@${e.seq}:${e.kind === ValueKind.Value ? 'put' : 'del'}=${hex(e.value)}`
}

/** The reference: a plain sorted array, searched linearly-simple (binary search on the same order). */
class Model {
  constructor (readonly entries: Entry[]) {}

  get length (): number {
    return this.entries.length
  }

  /** Index of the first entry at or after (key, seq) in internal order. */
  seek (key: Uint8Array, seq: number): number {
    const entries = this.entries
    let lo = 0
    let hi = entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const e = entries[mid]
      const c = compareBytes(e.key, key)
      if (c < 0 || (c === 0 && e.seq > seq)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** The newest entry of `key` with sequence <= seq (a deletion included), if any. */
  get (key: Uint8Array, seq: number): Entry | undefined {
    const i = this.seek(key, seq)
    const e = this.entries[i]
    return e !== undefined && compareBytes(e.key, key) === 0 ? e : undefined
  }
}

interface Config {
  entries: number
  table: TableBuildOptions
  seqBase: number
  blockCacheBytes: number | undefined
  fillCache: boolean
  /** Room for blocks as stored beside the cache (a few blocks, or many). */
  storedBlockBytes: number
}

function makeConfig (rng: Rng): Config {
  const size = rng.weighted({ empty: 1, one: 1, few: 3, some: 6, many: 4 })
  const entries = size === 'empty' ? 0 : size === 'one' ? 1 : size === 'few' ? rng.range(2, 12) : size === 'some' ? rng.range(13, 400) : rng.range(400, 2500)
  return {
    entries,
    table: { blockSize: rng.range(256, 4096), blockRestartInterval: rng.range(1, 16), compression: rng.chance(0.5) },
    // Sequences around 2^32 and far above it exercise the trailer's 56-bit packing.
    seqBase: rng.pick([0, 0, 2 ** 32 - 700, 2 ** 40 + rng.int(1000), 2 ** 52]),
    blockCacheBytes: rng.pick([undefined, 0, 4096, 1 << 20]),
    fillCache: rng.chance(0.5),
    storedBlockBytes: rng.pick([0, 3000, 1 << 16])
  }
}

function makeEntries (rng: Rng, config: Config): Entry[] {
  const n = config.entries
  const keys = new KeySpace(rng, Math.max(1, Math.ceil(n / rng.pick([1, 2, 4, 10]))))
  // Distinct sequences, handed out in random order as a database would across its keys.
  const seqs = rng.shuffle(Array.from({ length: n }, (_, i) => config.seqBase + i + 1))
  const entries: Entry[] = []
  for (let i = 0; i < n; i++) {
    const kind = rng.chance(0.2) ? ValueKind.Deletion : ValueKind.Value
    entries.push({
      key: keys.existing(),
      seq: seqs[i],
      kind,
      value: kind === ValueKind.Deletion ? Buffer.alloc(0) : randomValue(rng, n > 1000 ? 0.004 : 0.02)
    })
  }
  return entries
}

// --- building the implementations ---

/** Feeds TableFileWriter.add, which asks its argument where the entry lies (read()). */
function cursorOver (entry: Entry): InternalIterator {
  return {
    read: (into: EntryLocation) => {
      into.keySource = entry.key
      into.keyStart = 0
      into.keyEnd = entry.key.length
      into.valueSource = entry.value
      into.valueStart = 0
      into.valueEnd = entry.value.length
      into.sequence = entry.seq
      into.kind = entry.kind
    }
  } as unknown as InternalIterator
}

function fillMemTable (rng: Rng, entries: Entry[]): { mem: MemTable, it: InternalIterator } {
  const mem = new MemTable(rng.pick([64, 1024, 64 * 1024]))
  const order = rng.shuffle(entries.slice())
  // Take the iterator part way through: it must see the later inserts too.
  const early = rng.int(order.length + 1)
  let it: InternalIterator | undefined
  for (let i = 0; i < order.length; i++) {
    if (i === early) it = mem.iterator()
    const e = order[i]
    if (rng.chance(0.3)) {
      // Insert from ranges of bigger buffers, as the write path does from a WriteBatch.
      const pad = rng.bytes(rng.range(1, 9))
      const source = Buffer.concat([pad, e.key, pad])
      const valueSource = Buffer.concat([e.value, pad, pad])
      mem.add(e.seq, e.kind, source, pad.length, pad.length + e.key.length, valueSource, 0, e.value.length)
    } else {
      mem.add(e.seq, e.kind, e.key, 0, e.key.length, e.value, 0, e.value.length)
    }
  }
  return { mem, it: it ?? mem.iterator() }
}

class Tables {
  private next = 1
  readonly blockCache: BlockCache<Block> | undefined
  readonly tableCache: TableCache
  private readonly direct: Table[] = []

  constructor (readonly dir: string, private readonly rng: Rng, private readonly config: Config) {
    fs.mkdirSync(dir, { recursive: true })
    this.blockCache = config.blockCacheBytes === undefined ? undefined : new BlockCache<Block>(config.blockCacheBytes, undefined, config.storedBlockBytes)
    // A small capacity makes the cache close and reopen tables as iterators come and go.
    this.tableCache = new TableCache(nodeEnv, dir, rng.range(1, 4), this.blockCache)
  }

  /** Writes the (sorted) entries as one table file. */
  write (sorted: Entry[]): FileMeta {
    const writer = new TableFileWriter(nodeEnv, this.dir, this.next++, this.config.table)
    for (const e of sorted) writer.add(cursorOver(e))
    return writer.finish()
  }

  /** An iterator over the table of `meta`; closing it releases the table. */
  open (meta: FileMeta): InternalIterator {
    if (this.rng.chance(0.5)) {
      const table = this.tableCache.acquire(meta.number, meta.size)
      return withClose(table.iterator(this.config.fillCache), () => this.tableCache.release(table))
    }
    const table = this.openDirect(meta)
    return withClose(table.iterator(this.config.fillCache), () => {
      table.close()
      if (this.blockCache !== undefined) this.blockCache.releaseId(table.cacheId)
    })
  }

  /** A table opened without the table cache (kept until closeAll). */
  openDirect (meta: FileMeta): Table {
    const file = nodeEnv.openRandomAccess(tableFileName(this.dir, meta.number))
    const table = Table.open(file, meta.size, this.blockCache !== undefined ? this.blockCache.newId() : 0, this.blockCache)
    this.direct.push(table)
    return table
  }

  closeAll (): void {
    this.tableCache.close()
    for (const table of this.direct) table.close()
  }
}

function withClose (it: InternalIterator, after: () => void): InternalIterator {
  const close = it.close.bind(it)
  let done = false
  it.close = () => {
    close()
    if (!done) {
      done = true
      after()
    }
  }
  return it
}

type Lookup = (key: Uint8Array, seq: number) => Entry | undefined

interface Impl {
  name: string
  it: InternalIterator
  /** Point lookup of the newest version <= seq, where the implementation has one. */
  lookup?: Lookup
}

/**
 * Splits sorted entries into contiguous runs, as the files of one sorted level. With
 * `straddle`, a cut may fall between two versions of one user key (LevelDB writes such
 * levels); without, cuts fall only between user keys (as lsm-level's compaction writes them).
 */
function splitRuns (rng: Rng, sorted: Entry[], runs: number, straddle: boolean): Entry[][] {
  const cuts = new Set<number>()
  for (let tries = 0; tries < runs * 4 && cuts.size < runs - 1 && sorted.length > 1; tries++) {
    const cut = rng.range(1, sorted.length - 1)
    if (straddle || !sorted[cut - 1].key.equals(sorted[cut].key)) cuts.add(cut)
  }
  const points = [0, ...Array.from(cuts).sort((a, b) => a - b), sorted.length]
  const out: Entry[][] = []
  for (let i = 0; i + 1 < points.length; i++) out.push(sorted.slice(points[i], points[i + 1]))
  return out.filter((run) => run.length > 0)
}

/** Whether some user key has versions in two adjacent runs. */
function straddles (runs: Entry[][]): boolean {
  for (let i = 0; i + 1 < runs.length; i++) {
    if (runs[i][runs[i].length - 1].key.equals(runs[i + 1][0].key)) return true
  }
  return false
}

function levelOf (rng: Rng, tables: Tables, sorted: Entry[], maxFiles: number): { it: InternalIterator, name: string } {
  const runs = splitRuns(rng, sorted, rng.range(1, maxFiles), STRADDLE && rng.chance(0.5))
  const files = runs.map((run) => tables.write(run))
  return {
    it: new LevelIterator(files, { open: (f) => tables.open(f) }),
    name: `level(${files.length} files${straddles(runs) ? ', a user key straddles two files' : ''})`
  }
}

function buildImpls (rng: Rng, sorted: Entry[], tables: Tables): Impl[] {
  const impls: Impl[] = []

  const { mem, it: memIt } = fillMemTable(rng, sorted)
  impls.push({
    name: 'memtable',
    it: memIt,
    lookup: (key, seq) => {
      const node = mem.find(key, 0, key.length, seq)
      if (node === 0) return undefined
      const found = mem.nodeSequence(node)
      return { key: Buffer.from(key), seq: found, kind: mem.kindOf(node), value: Buffer.from(mem.valueOf(node)) }
    }
  })

  const whole = tables.write(sorted)
  const table = tables.openDirect(whole)
  const fillCache = tables.blockCache !== undefined && rng.chance(0.5)
  impls.push({
    name: 'table',
    it: tables.open(whole),
    lookup: (key, seq) => {
      const found = table.get(key, seq, fillCache)
      if (found === undefined) return undefined
      return { key: Buffer.from(key), seq: found.sequence, kind: found.kind, value: Buffer.from(found.value) }
    }
  })

  if (sorted.length > 0) impls.push(levelOf(rng, tables, sorted, 8))

  // A memtable, some level-0 tables and maybe a sorted level, each taking a random share.
  const l0Count = rng.range(0, 4)
  const withLevel = rng.chance(0.5)
  const memShare: Entry[] = []
  const l0Shares: Entry[][] = Array.from({ length: l0Count }, () => [])
  const levelShare: Entry[] = []
  for (const e of sorted) {
    const r = rng.int(1 + l0Count + (withLevel ? 2 : 0))
    if (r === 0) memShare.push(e)
    else if (r <= l0Count) l0Shares[r - 1].push(e)
    else levelShare.push(e)
  }
  const children: Array<{ it: InternalIterator, name: string }> = [{ it: fillMemTable(rng, memShare).it, name: 'memtable' }]
  if (rng.chance(0.3)) children.push({ it: new MemTable().iterator(), name: 'empty memtable' })
  for (const share of l0Shares) if (share.length > 0) children.push({ it: tables.open(tables.write(share)), name: 'table' })
  if (levelShare.length > 0) children.push(levelOf(rng, tables, levelShare, 5))
  rng.shuffle(children)
  impls.push({ name: `merge[${children.map((c) => c.name).join(', ')}]`, it: mergeIterators(children.map((c) => c.it)) })
  return impls
}

// --- checking ---

function current (it: InternalIterator): Entry | undefined {
  if (!it.valid()) return undefined
  return { key: it.userKey(), seq: it.sequence(), kind: it.kind(), value: it.value() }
}

function sameEntry (a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.key.equals(b.key) && a.seq === b.seq && a.kind === b.kind && a.value.equals(b.value)
}

function pickSequence (rng: Rng, model: Model, key: Buffer, seqBase: number): number {
  const at = model.get(key, MAX_SEQUENCE)
  switch (rng.weighted({ max: 3, exact: 4, near: 2, zero: 1, random: 2 })) {
    case 'max': return MAX_SEQUENCE
    case 'exact': {
      // One of the key's own sequences (or a neighbour's, when it has fewer versions).
      const e = model.entries[model.seek(key, MAX_SEQUENCE) + rng.int(3)]
      return e !== undefined ? e.seq : seqBase + 1
    }
    case 'near': return at !== undefined ? at.seq + rng.pick([-1, 1]) : seqBase
    case 'zero': return 0
    default: return seqBase + rng.int(model.length + 2)
  }
}

/** Walks `impl` with `ops` random operations, comparing every position with the model. */
function walk (rng: Rng, impl: Impl, model: Model, keys: KeySpace, ops: number, seqBase: number): number {
  const it = impl.it
  const n = model.length
  const trace: string[] = []
  let pos = -1
  let positioned = false
  let checks = 0
  const fail = (what: string, expected: Entry | undefined, actual: Entry | undefined): never => {
    throw new Mismatch(`${impl.name}: ${what}\n  expected ${describe(expected)}\n  actual   ${describe(actual)}\n  last ops: ${trace.slice(-12).join(', ')}`)
  }
  const check = (what: string): void => {
    checks++
    const expected = pos >= 0 && pos < n ? model.entries[pos] : undefined
    const actual = current(it)
    if (!sameEntry(expected, actual)) fail(what, expected, actual)
  }

  // Full scans both ways first.
  it.seekToFirst()
  for (pos = 0; pos <= n; pos++) {
    check(`forward scan at ${pos}`)
    if (pos < n) it.next()
  }
  it.seekToLast()
  for (pos = n - 1; pos >= -1; pos--) {
    check(`reverse scan at ${pos}`)
    if (pos >= 0) it.prev()
  }

  for (let i = 0; i < ops; i++) {
    const valid = positioned && pos >= 0 && pos < n
    const op = valid
      ? rng.weighted({ next: 8, prev: 6, seek: 3, first: 1, last: 1, get: impl.lookup !== undefined ? 2 : 0 })
      : rng.weighted({ seek: 6, first: 1, last: 1, get: impl.lookup !== undefined ? 2 : 0 })
    let label: string
    switch (op) {
      case 'next': it.next(); pos++; label = 'next'; break
      case 'prev': it.prev(); pos--; label = 'prev'; break
      case 'first': it.seekToFirst(); pos = 0; positioned = true; label = 'seekToFirst'; break
      case 'last': it.seekToLast(); pos = n - 1; positioned = true; label = 'seekToLast'; break
      case 'seek': {
        const key = keys.probe()
        const seq = pickSequence(rng, model, key, seqBase)
        label = `seek(${hex(key)}, ${seq})`
        it.seek(key, seq)
        pos = model.seek(key, seq)
        positioned = true
        break
      }
      default: {
        // A point lookup must not disturb the iterator's position (separate cursors).
        const key = keys.probe()
        const seq = pickSequence(rng, model, key, seqBase)
        trace.push(`get(${hex(key)}, ${seq})`)
        checks++
        const expected = model.get(key, seq)
        const actual = (impl.lookup as Lookup)(key, seq)
        if (!sameEntry(expected, actual)) fail(`get(${hex(key)}, ${seq})`, expected, actual)
        if (!positioned) continue
        label = 'after get'
      }
    }
    trace.push(label)
    check(`op ${i} ${label}`)
  }
  return checks
}

for (const seed of SEEDS) {
  test(`internal harness: seed ${seed}`, (t) => {
    const rng = new Rng(seed)
    const config = makeConfig(rng)
    const entries = makeEntries(rng, config)
    const sorted = entries.slice().sort(compareEntries)
    const model = new Model(sorted)
    const keys = new KeySpace(rng, 8)
    // Probes mostly hit the entries' own keys.
    keys.keys.push(...Array.from(new Set(sorted.map((e) => e.key.toString('hex')))).map((h) => Buffer.from(h, 'hex')))
    const tables = new Tables(tempLocation('internal'), rng, config)
    const label = `seed ${seed} (${config.entries} entries, blockSize ${config.table.blockSize}, restart ${config.table.blockRestartInterval}, ` +
      `compression ${config.table.compression}, seqBase ${config.seqBase})`
    try {
      const impls = buildImpls(rng, sorted, tables)
      for (const impl of impls) {
        try {
          const checks = walk(rng, impl, model, keys, OPS, config.seqBase)
          t.pass(`${impl.name}: ${checks} checks`)
        } catch (err) {
          if (!(err instanceof Mismatch)) throw err
          t.fail(`${label}: ${err.message}\n  ${replayHint(FILE, seed)}`)
        } finally {
          impl.it.close()
        }
      }
    } catch (err) {
      t.fail(`${label}: threw ${(err as Error).stack ?? String(err)}\n  ${replayHint(FILE, seed)}`)
    } finally {
      tables.closeAll()
      fs.rmSync(tables.dir, { recursive: true, force: true })
    }
    if (verbose) console.log(`# ${label}`)
    t.end()
  })
}

// The smallest case the harness found: a sorted level whose two files split the versions of
// one user key (LevelDB writes such levels). A seek to a sequence older than every version in
// the first file must skip the newer versions at the head of the second file too.
test('internal harness: level seek into a user key split across two files', (t) => {
  const dir = tempLocation('internal-straddle')
  const tables = new Tables(dir, new Rng(1), {
    entries: 0, table: { blockSize: 4096, blockRestartInterval: 16, compression: false }, seqBase: 0, blockCacheBytes: undefined, fillCache: false, storedBlockBytes: 0
  })
  const put = (key: string, seq: number): Entry => ({ key: Buffer.from(key), seq, kind: ValueKind.Value, value: Buffer.from(`v${seq}`) })
  const files = [tables.write([put('k', 6), put('k', 4)]), tables.write([put('k', 2), put('x', 1)])]
  const level = new LevelIterator(files, { open: (f) => tables.open(f) })
  const model = new Model([put('k', 6), put('k', 4), put('k', 2), put('x', 1)])
  try {
    for (const seq of [7, 5, 3, 1, 0]) {
      level.seek(Buffer.from('k'), seq)
      const expected = model.entries[model.seek(Buffer.from('k'), seq)]
      t.is(describe(current(level)), describe(expected), `seek('k', ${seq})`)
    }
  } finally {
    level.close()
    tables.closeAll()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  t.end()
})
