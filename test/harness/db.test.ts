// Randomized harness for the whole database through the public API: LsmLevel with a small
// write buffer (so memtables flush to tables, and compaction has work) and buffer encodings
// (so keys and values are arbitrary bytes), driven by one random generator of operations and
// checked against a plain model: a sorted map of key -> value.
//
// Covered: put, del, batch (atomic), chained batch (with clear() and discarded batches),
// bursts of writes issued without awaiting (they apply in call order), get/getSync/has,
// getMany/hasMany, iterators/keys()/values() over gt/gte/lt/lte ranges with reverse and
// limit read by next()/nextv()/all(), iterator.seek(), explicit snapshots (reads with
// { snapshot } must match the model as of the snapshot, however much is written, flushed
// and compacted after it), iterators left open across many writes (they must keep seeing
// their creation-time state), clear() over ranges (with reverse, limit, snapshot), close +
// reopen (the model carries over), compactRange() when the database has it, and
// getProperty()/approximateSize() shapes.
//
// Replay a failure with HARNESS_SEED=<seed> node dist/test/harness/db.test.js
// (HARNESS_OPS sets the operations per seed, HARNESS_SEEDS the number of seeds.)

import test = require('tape')
import * as fs from 'fs'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'
import { KeySpace, Mismatch, Rng, harnessOps, harnessSeeds, hex, randomValue, replayHint, verbose } from './support'

const FILE = 'db.test.js'
const SEEDS = harnessSeeds(10)
const OPS = harnessOps(700)

type DB = LsmLevel<Buffer, Buffer>
type Pair = [Buffer, Buffer]

interface Range {
  gt?: Buffer
  gte?: Buffer
  lt?: Buffer
  lte?: Buffer
  reverse?: boolean
  limit?: number
}

// --- the model ---

/** A sorted map of byte keys. Hex strings sort exactly as the bytes they encode. */
class KV {
  private sorted: string[] = []
  private readonly map = new Map<string, Pair>()

  get size (): number {
    return this.sorted.length
  }

  clone (): KV {
    const copy = new KV()
    copy.sorted = this.sorted.slice()
    for (const [k, v] of this.map) copy.map.set(k, v)
    return copy
  }

  get (key: Buffer): Buffer | undefined {
    return this.map.get(key.toString('hex'))?.[1]
  }

  put (key: Buffer, value: Buffer): void {
    const h = key.toString('hex')
    if (!this.map.has(h)) this.sorted.splice(this.lowerBound(h), 0, h)
    this.map.set(h, [Buffer.from(key), Buffer.from(value)])
  }

  del (key: Buffer): void {
    const h = key.toString('hex')
    if (!this.map.delete(h)) return
    this.sorted.splice(this.lowerBound(h), 1)
  }

  /** A key that is present, if any. */
  randomKey (rng: Rng): Buffer | undefined {
    if (this.sorted.length === 0) return undefined
    return (this.map.get(this.sorted[rng.int(this.sorted.length)]) as Pair)[0]
  }

  /** The entries of a range in iteration order, limit applied as abstract-level does. */
  range (r: Range): Pair[] {
    const lower = r.gte ?? r.gt
    const upper = r.lte ?? r.lt
    let lo = 0
    let hi = this.sorted.length
    if (lower !== undefined) {
      const h = lower.toString('hex')
      lo = r.gte !== undefined ? this.lowerBound(h) : this.upperBound(h)
    }
    if (upper !== undefined) {
      const h = upper.toString('hex')
      hi = r.lte !== undefined ? this.upperBound(h) : this.lowerBound(h)
    }
    const out: Pair[] = []
    for (let i = lo; i < hi; i++) out.push(this.map.get(this.sorted[i]) as Pair)
    if (r.reverse === true) out.reverse()
    const limit = r.limit
    if (limit !== undefined && Number.isInteger(limit) && limit >= 0) out.length = Math.min(out.length, limit)
    return out
  }

  private lowerBound (h: string): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.sorted[mid] < h) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private upperBound (h: string): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.sorted[mid] <= h) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

type IterKind = 'entries' | 'keys' | 'values'

/** The expected behaviour of one open abstract-level iterator over a frozen state. */
class IterModel {
  private readonly entries: Pair[]
  private pos = 0
  private count = 0
  private readonly limit: number

  constructor (kv: KV, readonly range: Range) {
    this.entries = kv.range({ ...range, limit: undefined })
    this.limit = range.limit !== undefined && Number.isInteger(range.limit) && range.limit >= 0 ? range.limit : Infinity
  }

  /** How many entries a read may still return. */
  get remaining (): number {
    return Math.max(0, Math.min(this.limit - this.count, this.entries.length - this.pos))
  }

  peek (i: number): Pair {
    return this.entries[this.pos + i]
  }

  /** The next n entries (fewer at the end or the limit), consumed. */
  take (n: number): Pair[] {
    const out = this.entries.slice(this.pos, this.pos + Math.min(n, this.remaining))
    this.pos += out.length
    this.count += out.length
    return out
  }

  /**
   * Forward: the first key >= target; reverse: the first key <= target. A target outside the
   * iterator's range leaves it at its natural end (abstract-level's README, as classic-level).
   */
  seek (target: Buffer): void {
    const r = this.range
    const outside =
      (r.gt !== undefined && Buffer.compare(target, r.gt) <= 0) ||
      (r.gte !== undefined && Buffer.compare(target, r.gte) < 0) ||
      (r.lt !== undefined && Buffer.compare(target, r.lt) >= 0) ||
      (r.lte !== undefined && Buffer.compare(target, r.lte) > 0)
    const reverse = r.reverse === true
    let i = 0
    while (!outside && i < this.entries.length) {
      const c = Buffer.compare(this.entries[i][0], target)
      if (reverse ? c <= 0 : c >= 0) break
      i++
    }
    this.pos = outside ? this.entries.length : i
  }
}

// --- the run ---

interface Snap { id: number, snapshot: any, kv: KV }
interface OpenIter { id: number, it: any, model: IterModel, kind: IterKind, snap: Snap | undefined, label: string }

const PROPERTY_LEVELS = 7

function describePair (p: Pair | undefined, kind: IterKind = 'entries'): string {
  if (p === undefined) return '<end>'
  if (kind === 'keys') return hex(p[0])
  if (kind === 'values') return `=${hex(p[1])}`
  return `${hex(p[0])}=${hex(p[1])}`
}

function describeRange (r: Range): string {
  const parts: string[] = []
  for (const k of ['gt', 'gte', 'lt', 'lte'] as const) if (r[k] !== undefined) parts.push(`${k}: ${hex(r[k])}`)
  if (r.reverse === true) parts.push('reverse')
  if (r.limit !== undefined) parts.push(`limit: ${r.limit}`)
  return `{${parts.join(', ')}}`
}

class Run {
  db!: DB
  model = new KV()
  readonly keys: KeySpace
  readonly snapshots: Snap[] = []
  readonly iterators: OpenIter[] = []
  readonly trace: string[] = []
  checks = 0
  maxTableFiles = 0
  deepestLevel = 0
  compactRanges = 0
  reopens = 0
  private nextId = 1
  readonly options: Record<string, unknown>
  /** Per-seed emphasis: how write-heavy the run is and how often it compacts by hand. */
  readonly profile: { writes: number, compactRange: number, reopen: number }

  constructor (readonly rng: Rng, readonly location: string) {
    this.keys = new KeySpace(rng, rng.pick([24, 150, 600, 1500]))
    this.profile = { writes: rng.pick([0.5, 1, 1, 2, 4]), compactRange: rng.pick([0, 0.5, 1.5, 4]), reopen: rng.pick([0.2, 0.5, 1]) }
    this.options = {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
      writeBufferSize: 64 * 1024,
      blockSize: rng.pick([1024, 2048, 4096]),
      blockRestartInterval: rng.range(1, 16),
      compression: rng.chance(0.5),
      cacheSize: rng.pick([0, 64 * 1024, 8 * 1024 * 1024]),
      maxOpenFiles: rng.pick([74, 1000])
    }
  }

  get hasCompactRange (): boolean {
    return typeof (this.db as any).compactRange === 'function'
  }

  note (op: string): void {
    this.trace.push(op)
    if (this.trace.length > 40) this.trace.shift()
  }

  mismatch (what: string, expected: string, actual: string): never {
    throw new Mismatch(`${what}\n  expected ${expected}\n  actual   ${actual}`)
  }

  expectValue (what: string, expected: Buffer | undefined, actual: unknown): void {
    this.checks++
    const same = expected === undefined
      ? actual === undefined
      : Buffer.isBuffer(actual) && actual.equals(expected)
    if (!same) this.mismatch(what, expected === undefined ? '<absent>' : hex(expected), Buffer.isBuffer(actual) ? hex(actual) : String(actual))
  }

  /** Compares an iterator's output (entries, keys or values) with the model's pairs. */
  expectList (what: string, expected: Pair[], actual: unknown[], kind: IterKind): void {
    this.checks++
    const n = Math.max(expected.length, actual.length)
    for (let i = 0; i < n; i++) {
      const e = expected[i]
      const a = actual[i]
      let same: boolean
      let shown: string
      if (a === undefined || e === undefined) {
        same = a === e
        shown = a === undefined ? '<end>' : JSON.stringify(a).slice(0, 80)
      } else if (kind === 'entries') {
        const [k, v] = a as [Buffer, Buffer]
        same = Buffer.isBuffer(k) && Buffer.isBuffer(v) && k.equals(e[0]) && v.equals(e[1])
        shown = describePair([k, v])
      } else {
        const b = a as Buffer
        same = Buffer.isBuffer(b) && b.equals(kind === 'keys' ? e[0] : e[1])
        shown = kind === 'keys' ? hex(b) : `=${hex(b)}`
      }
      if (!same) {
        this.mismatch(`${what}: entry ${i} of ${expected.length} expected (${actual.length} returned)`, describePair(e, kind), shown)
      }
    }
  }

  // --- random pieces ---

  /** Mostly keys that exist now, else any key of the universe or a neighbour of one. */
  someKey (kv: KV = this.model): Buffer {
    const rng = this.rng
    if (rng.chance(0.4)) {
      const k = kv.randomKey(rng)
      if (k !== undefined) return k
    }
    return rng.chance(0.7) ? this.keys.existing() : this.keys.probe()
  }

  randomRange (kv: KV, allowLimit = true): Range {
    const rng = this.rng
    const r: Range = {}
    const bound = (): Buffer => this.someKey(kv)
    switch (rng.weighted({ none: 2, lower: 2, upper: 2, both: 4 })) {
      case 'lower': r[rng.chance(0.5) ? 'gt' : 'gte'] = bound(); break
      case 'upper': r[rng.chance(0.5) ? 'lt' : 'lte'] = bound(); break
      case 'both': {
        let a = bound()
        let b = bound()
        if (rng.chance(0.9) && Buffer.compare(a, b) > 0) [a, b] = [b, a]
        r[rng.chance(0.5) ? 'gt' : 'gte'] = a
        r[rng.chance(0.5) ? 'lt' : 'lte'] = b
        break
      }
      default:
    }
    if (rng.chance(0.5)) r.reverse = true
    if (allowLimit && rng.chance(0.35)) r.limit = rng.pick([-1, 0, 1, 2, 3, 7, 25, 100])
    return r
  }

  randomWrite (): { type: 'put' | 'del', key: Buffer, value?: Buffer } {
    const rng = this.rng
    if (rng.chance(0.75)) return { type: 'put', key: this.rng.chance(0.85) ? this.keys.existing() : this.keys.probe(), value: randomValue(rng) }
    return { type: 'del', key: this.someKey() }
  }

  /** A frozen state to read from: the current model, or a live snapshot's. */
  readSource (): { kv: KV, snap: Snap | undefined, options: Record<string, unknown>, label: string } {
    const rng = this.rng
    if (this.snapshots.length > 0 && rng.chance(0.4)) {
      const snap = rng.pick(this.snapshots)
      return { kv: snap.kv, snap, options: { snapshot: snap.snapshot }, label: ` @snapshot#${snap.id}` }
    }
    return { kv: this.model, snap: undefined, options: {}, label: '' }
  }

  // --- operations ---

  async step (i: number): Promise<void> {
    const rng = this.rng
    const op = rng.weighted({
      put: 22 * this.profile.writes,
      del: 7 * this.profile.writes,
      batch: 8 * this.profile.writes,
      chained: 3,
      burst: 3,
      bulk: 2 * this.profile.writes,
      get: 8,
      getMany: 4,
      range: 7,
      seekRead: 3,
      snapshot: this.snapshots.length < 4 ? 2 : 0,
      releaseSnapshot: this.snapshots.length > 0 ? 1 : 0,
      openIterator: this.iterators.length < 5 ? 3 : 0,
      stepIterator: this.iterators.length > 0 ? 9 : 0,
      finishIterator: this.iterators.length > 0 ? 1 : 0,
      clear: 1.5,
      reopen: this.profile.reopen,
      compactRange: this.profile.compactRange,
      properties: 1,
      verify: 0.5
    })
    switch (op) {
      case 'put': {
        const key = rng.chance(0.85) ? this.keys.existing() : this.keys.probe()
        const value = randomValue(rng)
        const sync = rng.chance(0.05)
        this.note(`put ${hex(key)}=${hex(value)}${sync ? ' sync' : ''}`)
        await this.db.put(key, value, { sync })
        this.model.put(key, value)
        break
      }
      case 'del': {
        const key = this.someKey()
        this.note(`del ${hex(key)}`)
        await this.db.del(key)
        this.model.del(key)
        break
      }
      case 'batch': {
        const ops = Array.from({ length: rng.range(1, 30) }, () => this.randomWrite())
        // The same key more than once in a batch: the last op wins.
        if (ops.length > 2 && rng.chance(0.4)) ops[ops.length - 1] = { ...this.randomWrite(), key: ops[0].key }
        this.note(`batch of ${ops.length}`)
        await this.db.batch(ops.map((o) => o.type === 'put' ? { type: 'put', key: o.key, value: o.value as Buffer } : { type: 'del', key: o.key }))
        for (const o of ops) this.apply(o)
        break
      }
      case 'chained': {
        const batch = this.db.batch()
        let pending: Array<ReturnType<Run['randomWrite']>> = []
        const n = rng.range(1, 25)
        for (let j = 0; j < n; j++) {
          if (rng.chance(0.05)) {
            batch.clear()
            pending = []
            continue
          }
          const o = this.randomWrite()
          if (o.type === 'put') batch.put(o.key, o.value as Buffer)
          else batch.del(o.key)
          pending.push(o)
        }
        if (rng.chance(0.1)) {
          this.note(`chained batch of ${pending.length}, discarded`)
          await batch.close()
        } else {
          this.note(`chained batch of ${pending.length}`)
          await batch.write({ sync: rng.chance(0.1) } as any)
          for (const o of pending) this.apply(o)
        }
        break
      }
      case 'burst': {
        // Writes issued in one tick without awaiting: they must apply in call order.
        const promises: Array<Promise<void>> = []
        const n = rng.range(2, 10)
        for (let j = 0; j < n; j++) {
          const o = this.randomWrite()
          const sync = rng.chance(0.1)
          if (rng.chance(0.2)) {
            const more = [o, this.randomWrite()]
            promises.push(this.db.batch(more.map((m) => m.type === 'put' ? { type: 'put', key: m.key, value: m.value as Buffer } : { type: 'del', key: m.key }), { sync }))
            for (const m of more) this.apply(m)
          } else {
            promises.push(o.type === 'put' ? this.db.put(o.key, o.value as Buffer, { sync }) : this.db.del(o.key, { sync }))
            this.apply(o)
          }
        }
        this.note(`burst of ${n} unawaited writes`)
        await Promise.all(promises)
        break
      }
      case 'bulk': {
        // Enough bytes to fill a memtable or two: forces flushes and gives compaction work.
        const n = rng.range(50, 300)
        const size = rng.range(100, 1200)
        this.note(`bulk ${n} puts of ${size} bytes`)
        for (let j = 0; j < n; j += 50) {
          const ops = []
          for (let k = j; k < Math.min(n, j + 50); k++) {
            const key = this.keys.existing()
            const value = rng.bytes(size, rng.chance(0.5) ? [0x61, 0x62] : undefined)
            ops.push({ type: 'put' as const, key, value })
          }
          await this.db.batch(ops)
          for (const o of ops) this.model.put(o.key, o.value)
        }
        break
      }
      case 'get': {
        const src = this.readSource()
        const key = this.someKey(src.kv)
        const how = rng.pick(['get', 'getSync', 'has'] as const)
        const what = `${how}(${hex(key)})${src.label}`
        this.note(what)
        if (how === 'get') this.expectValue(what, src.kv.get(key), await this.db.get(key, src.options))
        else if (how === 'getSync') this.expectValue(what, src.kv.get(key), this.db.getSync(key, src.options))
        else {
          this.checks++
          const has = await this.db.has(key, src.options)
          if (has !== (src.kv.get(key) !== undefined)) this.mismatch(what, String(!has), String(has))
        }
        break
      }
      case 'getMany': {
        const src = this.readSource()
        const keys = Array.from({ length: rng.range(0, 20) }, () => this.someKey(src.kv))
        const many = rng.chance(0.6)
        const what = `${many ? 'getMany' : 'hasMany'}(${keys.length} keys)${src.label}`
        this.note(what)
        if (many) {
          const values = await this.db.getMany(keys, src.options)
          this.checks++
          if (values.length !== keys.length) this.mismatch(what, `${keys.length} values`, `${values.length}`)
          keys.forEach((k, j) => this.expectValue(`${what}: key ${j} ${hex(k)}`, src.kv.get(k), values[j]))
        } else {
          const has = await this.db.hasMany(keys, src.options)
          this.checks++
          const expected = keys.map((k) => src.kv.get(k) !== undefined)
          if (JSON.stringify(has) !== JSON.stringify(expected)) this.mismatch(what, JSON.stringify(expected), JSON.stringify(has))
        }
        break
      }
      case 'range': {
        const src = this.readSource()
        const range = this.randomRange(src.kv)
        const kind = rng.pick(['entries', 'entries', 'keys', 'values'] as const)
        const reader = rng.pick(['all', 'next', 'nextv'] as const)
        const what = `${kind === 'entries' ? 'iterator' : kind}(${describeRange(range)})${src.label} read by ${reader}`
        this.note(what)
        const it = this.makeIterator(kind, { ...range, ...src.options })
        const model = new IterModel(src.kv, range)
        await this.readRest(what, it, model, kind, reader)
        break
      }
      case 'seekRead': {
        const src = this.readSource()
        const range = this.randomRange(src.kv)
        const kind = rng.pick(['entries', 'keys', 'values'] as const)
        const open: OpenIter = {
          id: this.nextId++, it: this.makeIterator(kind, { ...range, ...src.options }), model: new IterModel(src.kv, range), kind, snap: undefined,
          label: `${kind}(${describeRange(range)})${src.label}`
        }
        this.note(`seek-read ${open.label}`)
        try {
          for (let j = rng.range(1, 4); j > 0; j--) await this.iteratorStep(open, rng.chance(0.6) ? 'seek' : 'next')
        } finally {
          await open.it.close()
        }
        break
      }
      case 'snapshot': {
        const snap: Snap = { id: this.nextId++, snapshot: this.db.snapshot(), kv: this.model.clone() }
        this.snapshots.push(snap)
        this.note(`snapshot#${snap.id} (${snap.kv.size} keys)`)
        break
      }
      case 'releaseSnapshot': {
        const snap = this.snapshots.splice(rng.int(this.snapshots.length), 1)[0]
        // Its iterators go first: abstract-level refuses reads through a closed snapshot.
        for (const open of this.iterators.filter((o) => o.snap === snap)) await this.finishIterator(open)
        this.note(`release snapshot#${snap.id}`)
        await snap.snapshot.close()
        break
      }
      case 'openIterator': {
        const src = this.readSource()
        // The iterator's state is frozen now: copy the model (a snapshot's is frozen already).
        const kv = src.snap !== undefined ? src.kv : src.kv.clone()
        const range = this.randomRange(kv)
        const kind = rng.pick(['entries', 'entries', 'keys', 'values'] as const)
        const open: OpenIter = {
          id: this.nextId++, it: this.makeIterator(kind, { ...range, ...src.options }), model: new IterModel(kv, range), kind, snap: src.snap,
          label: `${kind}(${describeRange(range)})${src.label}`
        }
        this.iterators.push(open)
        this.note(`open iterator#${open.id} ${open.label}`)
        break
      }
      case 'stepIterator': {
        const open = rng.pick(this.iterators)
        await this.iteratorStep(open, rng.weighted({ next: 5, nextv: 3, seek: 2 }))
        break
      }
      case 'finishIterator': {
        await this.finishIterator(rng.pick(this.iterators))
        break
      }
      case 'clear': {
        const src = this.readSource()
        const range = this.randomRange(src.kv)
        const doomed = src.kv.range(range)
        this.note(`clear(${describeRange(range)})${src.label}: ${doomed.length} keys`)
        await this.db.clear({ ...range, ...src.options })
        for (const [key] of doomed) this.model.del(key)
        break
      }
      case 'reopen':
        await this.reopen()
        break
      case 'compactRange': {
        if (!this.hasCompactRange) break
        let start: Buffer
        let end: Buffer
        if (rng.chance(0.3)) {
          start = Buffer.alloc(0)
          end = Buffer.alloc(4096, 0xff)
        } else {
          start = this.someKey()
          end = this.someKey()
          if (Buffer.compare(start, end) > 0) [start, end] = [end, start]
        }
        this.note(`compactRange(${hex(start)}, ${hex(end)})`)
        await (this.db as any).compactRange(start, end)
        this.compactRanges++
        break
      }
      case 'properties':
        await this.checkProperties()
        break
      default:
        await this.verifyAll(`verify after op ${i}`)
    }
  }

  apply (o: { type: 'put' | 'del', key: Buffer, value?: Buffer }): void {
    if (o.type === 'put') this.model.put(o.key, o.value as Buffer)
    else this.model.del(o.key)
  }

  makeIterator (kind: IterKind, options: Record<string, unknown>): any {
    if (kind === 'keys') return this.db.keys(options as any)
    if (kind === 'values') return this.db.values(options as any)
    return this.db.iterator(options as any)
  }

  /** Reads an iterator to its end (and closes it), comparing with the model. */
  async readRest (what: string, it: any, model: IterModel, kind: IterKind, reader: 'all' | 'next' | 'nextv'): Promise<void> {
    try {
      const expected = model.take(model.remaining)
      const actual: unknown[] = []
      if (reader === 'all') {
        actual.push(...await it.all())
      } else if (reader === 'next') {
        for (let item = await it.next(); item !== undefined; item = await it.next()) {
          actual.push(item)
          if (actual.length > expected.length + 5) break
        }
      } else {
        for (;;) {
          const size = this.rng.pick([1, 2, 10, 1000])
          const items = await it.nextv(size)
          if (items.length > size) this.mismatch(`${what}: nextv(${size})`, `at most ${size} items`, `${items.length}`)
          if (items.length === 0) break
          actual.push(...items)
          if (actual.length > expected.length + 5) break
        }
      }
      this.expectList(what, expected, actual, kind)
    } finally {
      await it.close()
    }
  }

  async iteratorStep (open: OpenIter, how: 'next' | 'nextv' | 'seek'): Promise<void> {
    const rng = this.rng
    const what = `iterator#${open.id} ${open.label}`
    if (how === 'seek') {
      const target = this.someKey()
      this.note(`${what}.seek(${hex(target)})`)
      open.it.seek(target)
      open.model.seek(target)
      // Read a little right away so the seek's landing spot is checked.
      how = 'next'
    }
    if (how === 'next') {
      this.note(`${what}.next()`)
      const expected = open.model.take(1)
      const item = await open.it.next()
      this.expectList(`${what}.next()`, expected, item === undefined ? [] : [item], open.kind)
    } else {
      const size = rng.pick([1, 3, 10, 100])
      this.note(`${what}.nextv(${size})`)
      const items: unknown[] = await open.it.nextv(size)
      const available = Math.min(size, open.model.remaining)
      this.checks++
      if (items.length > size || (available > 0 && items.length === 0)) {
        this.mismatch(`${what}.nextv(${size})`, `1..${available} items`, `${items.length}`)
      }
      this.expectList(`${what}.nextv(${size})`, open.model.take(items.length), items, open.kind)
    }
  }

  async finishIterator (open: OpenIter): Promise<void> {
    this.iterators.splice(this.iterators.indexOf(open), 1)
    const what = `iterator#${open.id} ${open.label} read to the end`
    this.note(what)
    await this.readRest(what, open.it, open.model, open.kind, this.rng.pick(['all', 'next', 'nextv'] as const))
  }

  async checkProperties (): Promise<void> {
    this.note('properties')
    let files = 0
    for (let level = 0; level < PROPERTY_LEVELS; level++) {
      const value = this.db.getProperty(`leveldb.num-files-at-level${level}`)
      this.checks++
      if (typeof value !== 'string' || !/^\d+$/.test(value)) this.mismatch(`num-files-at-level${level}`, 'a numeric string', JSON.stringify(value))
      files += Number(value)
    }
    this.maxTableFiles = Math.max(this.maxTableFiles, files)
    for (let level = 1; level < PROPERTY_LEVELS; level++) {
      if (this.db.getProperty(`leveldb.num-files-at-level${level}`) !== '0') this.deepestLevel = Math.max(this.deepestLevel, level)
    }
    const memory = this.db.getProperty('leveldb.approximate-memory-usage')
    if (!/^\d+$/.test(memory)) this.mismatch('approximate-memory-usage', 'a numeric string', JSON.stringify(memory))
    for (const name of ['leveldb.stats', 'leveldb.sstables']) {
      const value = this.db.getProperty(name)
      if (typeof value !== 'string') this.mismatch(name, 'a string', typeof value)
    }
    let a = this.someKey()
    let b = this.someKey()
    if (Buffer.compare(a, b) > 0) [a, b] = [b, a]
    const size = await this.db.approximateSize(a, b)
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) this.mismatch('approximateSize', 'a non-negative integer', String(size))
  }

  /** Full scans both ways and a point read of every key, against the model. */
  async verifyAll (what: string): Promise<void> {
    this.note(what)
    await this.readRest(`${what}: forward scan`, this.db.iterator(), new IterModel(this.model, {}), 'entries', this.rng.pick(['all', 'nextv'] as const))
    await this.readRest(`${what}: reverse scan`, this.db.keys({ reverse: true }), new IterModel(this.model, { reverse: true }), 'keys', 'nextv')
    const pairs = this.model.range({})
    const keys = pairs.map((p) => p[0])
    for (let j = 0; j < 20; j++) keys.push(this.keys.probe())
    const values = await this.db.getMany(keys)
    keys.forEach((k, j) => this.expectValue(`${what}: getMany ${hex(k)}`, this.model.get(k), values[j]))
  }

  async open (): Promise<void> {
    this.db = new LsmLevel<Buffer, Buffer>(this.location, this.options as any)
    await this.db.open()
  }

  async reopen (): Promise<void> {
    const rng = this.rng
    this.note('close + reopen')
    // Open iterators: some read to the end first, the rest are closed by db.close().
    for (const open of this.iterators.splice(0)) {
      if (rng.chance(0.5)) {
        this.iterators.push(open)
        await this.finishIterator(open)
      }
    }
    for (const snap of this.snapshots.splice(0)) if (rng.chance(0.5)) await snap.snapshot.close()
    await this.db.close()
    if (rng.chance(0.3)) {
      // The same instance reopens as well; otherwise a new one, maybe with other table options.
      await this.db.open()
    } else {
      if (rng.chance(0.5)) {
        this.options.compression = !(this.options.compression as boolean)
        this.options.blockRestartInterval = rng.range(1, 16)
      }
      await this.open()
    }
    this.reopens++
    await this.verifyAll('after reopen')
  }

  async shutdown (): Promise<void> {
    for (const open of this.iterators.splice(0)) await open.it.close().catch(() => {})
    for (const snap of this.snapshots.splice(0)) await snap.snapshot.close().catch(() => {})
    if (this.db !== undefined) await this.db.close().catch(() => {})
  }
}

const totals = { seeds: 0, maxTableFiles: 0, compactRanges: 0 }

for (const seed of SEEDS) {
  test(`db harness: seed ${seed}`, async (t) => {
    // Only to turn a hang into a failure that names the seed; no timing is asserted.
    t.timeoutAfter(5 * 60 * 1000)
    const rng = new Rng(seed)
    const location = tempLocation('harness-db')
    const run = new Run(rng, location)
    const ops = OPS
    let i = -1
    try {
      await run.open()
      for (i = 0; i < ops; i++) {
        await run.step(i)
        if (i % 150 === 149) await run.verifyAll(`periodic verify at op ${i}`)
      }
      i = ops
      await run.checkProperties()
      await run.verifyAll('final verify')
      for (const open of run.iterators.slice()) await run.finishIterator(open)
      for (const snap of run.snapshots) {
        await run.readRest(`final scan of snapshot#${snap.id}`, run.db.iterator({ snapshot: snap.snapshot }), new IterModel(snap.kv, {}), 'entries', 'nextv')
      }
      if (run.hasCompactRange) {
        run.note('final full compactRange')
        await (run.db as any).compactRange(Buffer.alloc(0), Buffer.alloc(4096, 0xff))
        run.compactRanges++
        await run.verifyAll('after final compactRange')
        for (const snap of run.snapshots) {
          await run.readRest(`snapshot#${snap.id} after final compactRange`, run.db.iterator({ snapshot: snap.snapshot }), new IterModel(snap.kv, {}), 'entries', 'all')
        }
      }
      await run.reopen()
      t.pass(`seed ${seed}: ${ops} ops, ${run.checks} checks, up to ${run.maxTableFiles} table files (deepest level ${run.deepestLevel}), ` +
        `${run.reopens} reopens, ${run.compactRanges} compactRange calls`)
    } catch (err) {
      const where = i >= ops ? 'in the final checks' : `at op ${i}`
      const kind = err instanceof Mismatch ? 'mismatch' : 'unexpected error'
      const detail = err instanceof Mismatch ? err.message : ((err as Error).stack ?? String(err))
      t.fail(`seed ${seed}: ${kind} ${where}: ${detail}\n  last ops:\n    ${run.trace.slice(-15).join('\n    ')}\n  options: ${JSON.stringify(run.options)}, profile: ${JSON.stringify(run.profile)}\n  ${replayHint(FILE, seed)}`)
    } finally {
      await run.shutdown()
      fs.rmSync(location, { recursive: true, force: true })
    }
    totals.seeds++
    totals.maxTableFiles = Math.max(totals.maxTableFiles, run.maxTableFiles)
    totals.compactRanges += run.compactRanges
    if (verbose) console.log(`# seed ${seed}: ${run.checks} checks, ${run.maxTableFiles} files, ${run.compactRanges} compactRange`)
  })
}

test('db harness: the runs reached table files', (t) => {
  // With the default op count every seed flushes several memtables; a tiny HARNESS_OPS may not.
  if (totals.seeds > 0 && OPS >= 300) t.ok(totals.maxTableFiles > 0, `up to ${totals.maxTableFiles} table files seen`)
  else t.pass('skipped: too few operations to expect flushes')
  t.end()
})
