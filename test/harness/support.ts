// Shared pieces of the randomized harness: a seeded random source, the seed and op-count
// knobs read from the environment, and generators of awkward keys and values.
//
// Environment:
//   HARNESS_SEED=n        run only seed n (replay a failure)
//   HARNESS_SEEDS=n       number of seeds to run (each file has a modest default)
//   HARNESS_SEED_BASE=n   first seed (default 1)
//   HARNESS_OPS=n         operations per seed (each file has its own default)
//   HARNESS_VERBOSE=1     print a line per seed

/** mulberry32: small, fast, and good enough to drive a test generator deterministically. */
export class Rng {
  private state: number

  constructor (seed: number) {
    this.state = (seed * 0x9e3779b1) >>> 0
    // Warm up so that neighbouring seeds diverge at once.
    for (let i = 0; i < 4; i++) this.next()
  }

  next (): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Integer in [lo, hi]. */
  range (lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  chance (p: number): boolean {
    return this.next() < p
  }

  pick<T> (items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<T extends string> (weights: Record<T, number>): T {
    let total = 0
    for (const k in weights) total += weights[k]
    let r = this.next() * total
    for (const k in weights) {
      r -= weights[k]
      if (r < 0) return k
    }
    return Object.keys(weights)[0] as T
  }

  bytes (length: number, alphabet?: readonly number[]): Buffer {
    const b = Buffer.allocUnsafe(length)
    for (let i = 0; i < length; i++) b[i] = alphabet !== undefined ? alphabet[this.int(alphabet.length)] : this.int(256)
    return b
  }

  shuffle<T> (items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const tmp = items[i]
      items[i] = items[j]
      items[j] = tmp
    }
    return items
  }
}

function envInt (name: string): number | undefined {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`)
  return n
}

/** The seeds to run: HARNESS_SEED alone, or HARNESS_SEEDS of them from HARNESS_SEED_BASE. */
export function harnessSeeds (defaultCount: number): number[] {
  const single = envInt('HARNESS_SEED')
  if (single !== undefined) return [single]
  const count = envInt('HARNESS_SEEDS') ?? defaultCount
  const base = envInt('HARNESS_SEED_BASE') ?? 1
  return Array.from({ length: count }, (_, i) => base + i)
}

export function harnessOps (defaultOps: number): number {
  return envInt('HARNESS_OPS') ?? defaultOps
}

export const verbose = process.env.HARNESS_VERBOSE !== undefined && process.env.HARNESS_VERBOSE !== ''

export function hex (b: Uint8Array | undefined): string {
  if (b === undefined) return '<none>'
  const s = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
  return s.length > 40 ? `${s.slice(0, 32)}…(${b.length}B)` : `'${s}'`
}

/** How to replay one seed of a compiled harness file. */
export function replayHint (file: string, seed: number): string {
  return `replay: HARNESS_SEED=${seed} node dist/test/harness/${file}`
}

/**
 * A per-seed universe of keys chosen to stress the formats: the empty key, 0x00 and 0xff
 * runs, many keys sharing prefixes of varied length (prefix compression, separators), and
 * a few long keys. Reads also probe keys near these (prefixes, successors, extensions).
 */
export class KeySpace {
  readonly keys: Buffer[]

  constructor (private readonly rng: Rng, size: number) {
    const prefixes: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from('user:'),
      Buffer.from('user:00'),
      Buffer.from([0x00]),
      Buffer.from([0xff, 0xff]),
      Buffer.from([0x00, 0xff, 0x00]),
      rng.bytes(rng.range(1, 6)),
      Buffer.concat([Buffer.from('long/'), rng.bytes(rng.range(100, 400), [0x61, 0x62])])
    ]
    const seen = new Set<string>()
    const keys: Buffer[] = []
    const add = (k: Buffer): void => {
      const h = k.toString('hex')
      if (seen.has(h)) return
      seen.add(h)
      keys.push(k)
    }
    const fixed = [
      Buffer.alloc(0), Buffer.from([0x00]), Buffer.from([0x00, 0x00]), Buffer.from([0xff]),
      Buffer.from([0xff, 0xff, 0xff]), Buffer.from([0xff, 0x00]), Buffer.from('a'), Buffer.from('b')
    ]
    for (const k of fixed) if (rng.chance(0.5)) add(k)
    let guard = 0
    while (keys.length < size && guard++ < size * 20) add(this.fresh(prefixes))
    this.keys = keys
  }

  private fresh (prefixes: Buffer[]): Buffer {
    const rng = this.rng
    switch (rng.weighted({ prefixed: 6, binary: 2, long: 1, numeric: 2 })) {
      case 'prefixed': {
        const prefix = rng.pick(prefixes)
        const alphabet = rng.chance(0.5) ? [0x00, 0x01, 0x61, 0x62, 0xfe, 0xff] : undefined
        return Buffer.concat([prefix, rng.bytes(rng.range(0, 4), alphabet)])
      }
      case 'binary':
        return rng.bytes(rng.range(1, 12))
      case 'long':
        return Buffer.concat([rng.pick(prefixes), rng.bytes(rng.range(200, 1500), [0x00, 0x78, 0xff])])
      default:
        return Buffer.from(String(rng.int(100000)).padStart(rng.range(1, 7), '0'))
    }
  }

  /** A key of the universe. */
  existing (): Buffer {
    return this.rng.pick(this.keys)
  }

  /** A probe: a key of the universe or one right next to it in bytewise order. */
  probe (): Buffer {
    const rng = this.rng
    const k = this.existing()
    switch (rng.weighted({ same: 5, extend: 2, truncate: 2, bump: 2, random: 1, empty: 1, max: 1 })) {
      case 'same': return k
      case 'extend': return Buffer.concat([k, Buffer.from([rng.chance(0.7) ? 0x00 : 0xff])])
      case 'truncate': return k.subarray(0, rng.int(k.length + 1))
      case 'bump': {
        if (k.length === 0) return Buffer.from([0x00])
        const b = Buffer.from(k)
        const i = rng.int(b.length)
        b[i] = rng.chance(0.5) ? Math.min(255, b[i] + 1) : Math.max(0, b[i] - 1)
        return b
      }
      case 'random': return rng.bytes(rng.range(0, 5))
      case 'empty': return Buffer.alloc(0)
      default: return Buffer.alloc(rng.range(1, 3), 0xff)
    }
  }
}

/** Value sizes: mostly small, some empty, a few large. */
export function randomValue (rng: Rng, largeChance = 0.02): Buffer {
  const r = rng.next()
  if (r < 0.1) return Buffer.alloc(0)
  if (r < 0.1 + largeChance) return rng.bytes(rng.range(5000, 40000), rng.chance(0.5) ? [0x41, 0x42] : undefined)
  if (r < 0.8) return rng.bytes(rng.range(1, 40))
  return rng.bytes(rng.range(40, 1500), rng.chance(0.5) ? [0x30, 0x31, 0x32] : undefined)
}

/** Thrown to stop a seed at its first mismatch; the message says what differed. */
export class Mismatch extends Error {}
