// A deterministic dataset for the interop tests, and the in-memory model it must produce.
//
// The Generator turns a seeded PRNG into writes (single puts/dels, batches, chained batches)
// and applies each op to its Model as it emits it, so that the model is always the state the
// database must hold after the writes emitted so far. The same writes are then replayed into
// classic-level or lsm-level (writePhases/applyWrites), whichever engine the test is about.
//
// Keys cover: many small 'a/' keys in random order (overwrites by collision), sequential 'm/'
// keys (whose memtable flushes do not overlap, so LevelDB places them at L2 directly), binary
// keys full of 0x00 and 0xff, utf8 keys on both sides of U+FFFF/U+10000, the empty key; values
// cover empty, small, 100 KiB and 2 MiB.

import { ClassicLevel } from 'classic-level'
import { LsmLevel } from '../../index'


export { prng, type Rand } from '../support/prng'
import { prng, type Rand } from '../support/prng'

export function randInt (rand: Rand, n: number): number {
  return Math.floor(rand() * n)
}

export type Op = { type: 'put', key: Buffer, value: Buffer } | { type: 'del', key: Buffer }
export interface Write { kind: 'single' | 'batch' | 'chained', ops: Op[] }
export interface Phase { name: string, writes: Write[] }

/** Byte-order comparison as LevelDB's BytewiseComparator. */
export const compareKeys = (a: Buffer, b: Buffer): number => Buffer.compare(a, b)

/** hex key -> value of every live key, plus the keys deleted and not written since. */
export class Model {
  readonly live = new Map<string, Buffer>()
  readonly gone = new Set<string>()
  private sorted: Buffer[] | undefined

  apply (op: Op): void {
    const hex = op.key.toString('hex')
    if (op.type === 'put') {
      this.live.set(hex, op.value)
      this.gone.delete(hex)
    } else {
      this.live.delete(hex)
      this.gone.add(hex)
    }
    this.sorted = undefined
  }

  get (key: Buffer): Buffer | undefined {
    return this.live.get(key.toString('hex'))
  }

  /** Live keys sorted by bytes (memcmp order, shorter first on a tie). */
  keys (): Buffer[] {
    if (this.sorted === undefined) {
      this.sorted = [...this.live.keys()].map((hex) => Buffer.from(hex, 'hex')).sort(compareKeys)
    }
    return this.sorted
  }

  goneKeys (): Buffer[] {
    return [...this.gone].map((hex) => Buffer.from(hex, 'hex'))
  }

  get size (): number {
    return this.live.size
  }
}

/** U+FFFF and U+10000 side by side: bytewise EF BF BF < F0 90 80 80, although '\u{10000}' < '\uFFFF' as JS strings. */
export const UTF8_KEYS = [
  '\u{FFFF}', '\u{10000}', '\u{10FFFF}', '\u{FFFD}', '\u{E000}', 'é',
  'u/\u{FFFF}', 'u/\u{10000}', 'u/\u{FFFF}x', 'u/\u{10000}x', 'u/\u{E000}', 'u/\u{1F600}', 'u/z', 'u/\u{7FF}', 'u/\u{800}'
]

export const BINARY_KEYS = [
  [0x00], [0x00, 0x00], [0x00, 0xff], [0x00, 0x00, 0x01], [0xff], [0xff, 0x00], [0xff, 0xff], [0xff, 0xff, 0x00, 0x01],
  [0x01, 0x00, 0x02], [0x61, 0x2f, 0x00], [0x61, 0x2f, 0xff], [0x6d, 0x2f, 0xff, 0xff], [0x7f], [0x80], [0xfe, 0xff, 0xff]
].map((bytes) => Buffer.from(bytes))

const WORDS = ['level', 'table', 'block', 'snappy', 'restart', 'filter', 'bloom', 'manifest', 'sequence', 'compaction']

export class Generator {
  private counter = 0
  /** Every key ever written, for picking overwrite and delete victims. */
  private readonly pool: Buffer[] = []
  private readonly inPool = new Set<string>()

  constructor (readonly rand: Rand, readonly model: Model = new Model()) {}

  /** A value of `length` bytes: runs of repeated bytes, so snappy has something to squeeze. */
  value (length: number): Buffer {
    const out = Buffer.allocUnsafe(length)
    const tag = Buffer.from(`#${++this.counter}:`)
    tag.copy(out, 0, 0, Math.min(tag.length, length))
    let i = Math.min(tag.length, length)
    const rand = this.rand
    while (i < length) {
      const byte = randInt(rand, 256)
      const run = 1 + randInt(rand, 12)
      out.fill(byte, i, Math.min(length, i + run))
      i += run
    }
    return out
  }

  /** A small value: text-like (compresses well), sometimes random runs, sometimes empty. */
  smallValue (): Buffer {
    const r = this.rand()
    if (r < 0.03) return Buffer.alloc(0)
    if (r < 0.25) return this.value(8 + randInt(this.rand, 100))
    const words: string[] = [`v${++this.counter}`]
    const n = 1 + randInt(this.rand, 8)
    for (let i = 0; i < n; i++) words.push(WORDS[randInt(this.rand, WORDS.length)])
    return Buffer.from(words.join(' '))
  }

  randomKey (prefix: string): Buffer {
    return Buffer.from(prefix + randInt(this.rand, 36 ** 6).toString(36).padStart(6, '0'))
  }

  binaryKey (): Buffer {
    const alphabet = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]
    const length = 1 + randInt(this.rand, 10)
    const key = Buffer.allocUnsafe(length)
    for (let i = 0; i < length; i++) key[i] = this.rand() < 0.7 ? alphabet[randInt(this.rand, alphabet.length)] : randInt(this.rand, 256)
    return key
  }

  /** A key that was written at some point (live or deleted since). */
  existingKey (): Buffer {
    return this.pool[randInt(this.rand, this.pool.length)]
  }

  put (key: Buffer, value: Buffer): Op {
    const op: Op = { type: 'put', key, value }
    this.model.apply(op)
    const hex = key.toString('hex')
    if (!this.inPool.has(hex)) {
      this.inPool.add(hex)
      this.pool.push(key)
    }
    return op
  }

  del (key: Buffer): Op {
    const op: Op = { type: 'del', key }
    this.model.apply(op)
    return op
  }

  /** Groups ops into writes: mostly batches of 20..150, some singles and chained batches. */
  group (ops: Op[], singleShare = 0.05): Write[] {
    const writes: Write[] = []
    let i = 0
    while (i < ops.length) {
      const r = this.rand()
      if (r < singleShare) {
        writes.push({ kind: 'single', ops: [ops[i++]] })
      } else {
        const n = 20 + randInt(this.rand, 130)
        writes.push({ kind: r < 0.3 ? 'chained' : 'batch', ops: ops.slice(i, i + n) })
        i += n
      }
    }
    return writes
  }

  /** `n` small 'a/' keys in random order (collisions are overwrites). */
  bulk (n: number, prefix = 'a/'): Write[] {
    const ops: Op[] = []
    for (let i = 0; i < n; i++) ops.push(this.put(this.randomKey(prefix), this.smallValue()))
    return this.group(ops)
  }

  /** `n` keys in increasing order: every memtable flush covers a range no other file has. */
  sequential (n: number, prefix = 'm/', start = 0): Write[] {
    const ops: Op[] = []
    for (let i = 0; i < n; i++) {
      ops.push(this.put(Buffer.from(prefix + String(start + i).padStart(8, '0')), this.smallValue()))
    }
    return this.group(ops, 0)
  }

  /** Binary and utf8 keys, the empty key, empty values, 100 KiB and 2 MiB values. */
  specials (bigValues = true): Write[] {
    const writes: Write[] = []
    const ops: Op[] = []
    for (const key of BINARY_KEYS) ops.push(this.put(key, this.smallValue()))
    for (let i = 0; i < 40; i++) ops.push(this.put(this.binaryKey(), this.smallValue()))
    for (const s of UTF8_KEYS) ops.push(this.put(Buffer.from(s, 'utf8'), Buffer.from(`utf8 value of ${s}`)))
    ops.push(this.put(Buffer.alloc(0), Buffer.from('the empty key')))
    for (let i = 0; i < 20; i++) ops.push(this.put(this.randomKey('e/'), Buffer.alloc(0)))
    writes.push(...this.group(ops, 0.3))
    if (bigValues) {
      for (let i = 0; i < 3; i++) {
        writes.push({ kind: 'single', ops: [this.put(this.randomKey('big/'), this.value(100 * 1024))] })
        writes.push(...this.bulk(50))
      }
      writes.push({ kind: 'batch', ops: [this.put(Buffer.from('big/2MiB'), this.value(2 * 1024 * 1024)), this.put(Buffer.from('big/after'), this.smallValue())] })
    }
    return writes
  }

  /** Overwrites, deletes (of live, already deleted and never written keys) and re-puts. */
  churn (n: number): Write[] {
    const ops: Op[] = []
    for (let i = 0; i < n; i++) {
      const r = this.rand()
      if (r < 0.45) {
        ops.push(this.put(this.existingKey(), this.smallValue()))
      } else if (r < 0.8) {
        ops.push(this.del(this.existingKey()))
      } else if (r < 0.85) {
        ops.push(this.del(this.randomKey('never/')))
      } else if (r < 0.9) {
        // Put and delete (or delete and put) the same key inside one batch.
        const key = this.existingKey()
        if (this.rand() < 0.5) ops.push(this.put(key, this.smallValue()), this.del(key))
        else ops.push(this.del(key), this.put(key, this.smallValue()))
      } else {
        ops.push(this.put(this.randomKey('a/'), this.smallValue()))
      }
    }
    return this.group(ops, 0.15)
  }

  /**
   * Writes small enough to stay in the memtable (and so only in the .log) of a database
   * with a 64 KiB write buffer that starts this phase empty, ending with one 100 KiB value.
   */
  tail (): Write[] {
    const ops: Op[] = []
    for (let i = 0; i < 250; i++) {
      const r = this.rand()
      if (r < 0.3) ops.push(this.put(this.randomKey('t/'), this.smallValue()))
      else if (r < 0.65) ops.push(this.put(this.existingKey(), this.smallValue()))
      else ops.push(this.del(this.existingKey()))
    }
    ops.push(this.put(BINARY_KEYS[0], Buffer.from('tail value of 0x00')))
    ops.push(this.del(Buffer.from('\u{10000}', 'utf8')))
    ops.push(this.put(Buffer.from('u/\u{FFFF}', 'utf8'), Buffer.from('tail U+FFFF')))
    ops.push(this.put(Buffer.from('u/\u{10000}', 'utf8'), Buffer.from('tail U+10000')))
    const writes = this.group(ops, 0.2)
    writes.push({ kind: 'single', ops: [this.put(Buffer.from('t/100KiB'), this.value(100 * 1024))] })
    return writes
  }

  /** Keys that are not live (never written or deleted): all sorts, to probe get/has/seek. */
  absentKeys (n: number): Buffer[] {
    const out: Buffer[] = []
    while (out.length < n) {
      const r = this.rand()
      const key = r < 0.3
        ? this.randomKey('a/')
        : r < 0.5
          ? this.binaryKey()
          : r < 0.7
            ? Buffer.concat([this.existingKey(), Buffer.from([randInt(this.rand, 256)])])
            : this.randomKey(['m/', 'u/', 'zz', '0', 't/'][randInt(this.rand, 5)])
      if (this.model.get(key) === undefined) out.push(key)
    }
    return out
  }
}

/** The whole dataset of the one-way tests: phases separated by close/open, the last left in the log. */
export function makeDataset (seed: number, scale = 1): { phases: Phase[], model: Model, generator: Generator } {
  const generator = new Generator(prng(seed))
  const phases: Phase[] = [
    { name: 'bulk', writes: generator.bulk(Math.round(14000 * scale)) },
    { name: 'sequential', writes: generator.sequential(Math.round(8000 * scale)) },
    { name: 'specials', writes: generator.specials() },
    { name: 'churn', writes: generator.churn(Math.round(4000 * scale)) },
    { name: 'tail', writes: generator.tail() }
  ]
  return { phases, model: generator.model, generator }
}

// --- engines ---

export type Engine = 'classic-level' | 'lsm-level'

export interface Db {
  readonly status: string
  open (): Promise<void>
  close (): Promise<void>
  put (key: any, value: any, options?: any): Promise<void>
  del (key: any, options?: any): Promise<void>
  batch (ops?: any, options?: any): any
  get (key: any, options?: any): Promise<any>
  getSync (key: any, options?: any): any
  getMany (keys: any[], options?: any): Promise<any[]>
  has (key: any, options?: any): Promise<boolean>
  hasMany (keys: any[], options?: any): Promise<boolean[]>
  iterator (options?: any): any
  keys (options?: any): any
  values (options?: any): any
}

export interface OpenOptions {
  compression: boolean
  writeBufferSize?: number
  [option: string]: unknown
}

/** A database with buffer keys and values, not yet opened. */
export function makeDb (engine: Engine, location: string, options: OpenOptions): Db {
  const all = { keyEncoding: 'buffer', valueEncoding: 'buffer', writeBufferSize: 64 * 1024, ...options }
  return engine === 'classic-level'
    ? new ClassicLevel<Buffer, Buffer>(location, all as any) as unknown as Db
    : new LsmLevel<Buffer, Buffer>(location, all as any) as unknown as Db
}

export async function applyWrites (db: Db, writes: Write[]): Promise<void> {
  for (const write of writes) {
    if (write.kind === 'single') {
      const op = write.ops[0]
      if (op.type === 'put') await db.put(op.key, op.value)
      else await db.del(op.key)
    } else if (write.kind === 'batch') {
      await db.batch(write.ops)
    } else {
      const chained = db.batch()
      for (const op of write.ops) {
        if (op.type === 'put') chained.put(op.key, op.value)
        else chained.del(op.key)
      }
      await chained.write()
    }
  }
}

/**
 * Applies the phases to an open db, closing and reopening between phases (so the engine
 * turns its log into tables), and leaves the db open after the last phase: its writes are
 * then only in the .log until the db is closed and opened again.
 */
export async function writePhases (db: Db, phases: Phase[], afterReopen?: (phase: string) => Promise<void>): Promise<void> {
  for (let i = 0; i < phases.length; i++) {
    await applyWrites(db, phases[i].writes)
    if (i < phases.length - 1) {
      await db.close()
      await db.open()
      if (afterReopen !== undefined) await afterReopen(phases[i].name)
    }
  }
}
