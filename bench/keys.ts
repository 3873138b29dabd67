// Deterministic inputs shared by every engine: a seeded PRNG, db_bench-style keys and
// compressible values. Each workload derives its own stream from (seed, workload name), so an
// engine sees the same keys whatever else was selected with --only.

export const KEY_BYTES = 16

/** mulberry32: 32-bit state, fast, and random enough to scatter keys. */
export class Rng {
  private state: number

  constructor (seed: number) {
    this.state = seed >>> 0
  }

  next (): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  /** A uniform integer in [0, n). */
  below (n: number): number {
    return Math.floor(this.next() / 0x100000000 * n)
  }
}

/** A seed for one named stream (FNV-1a of the name, mixed with the run's seed). */
export function streamSeed (seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** "%016d" like db_bench: fixed width, so string order is numeric order. */
export function formatKey (i: number): string {
  return String(i).padStart(KEY_BYTES, '0')
}

/** db_bench's readmissing key: "%016d." sorts between two present keys, so no range check skips it. */
export function missingKey (i: number): string {
  return formatKey(i) + '.'
}

/** 0..n-1 in a seeded random order, so a random fill writes every key exactly once. */
export function permutation (n: number, rng: Rng): Uint32Array {
  const out = new Uint32Array(n)
  for (let i = 0; i < n; i++) out[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1)
    const t = out[i]
    out[i] = out[j]
    out[j] = t
  }
  return out
}

export type ValueKind = 'string' | 'buffer'

/**
 * db_bench's RandomGenerator: a pool made of 100-byte pieces, each 50 random printable
 * characters written twice (so values compress to about half), handed out as consecutive
 * slices. Printable ASCII keeps string values one byte per character in UTF-8.
 */
export class ValueSource {
  private readonly text: string
  private readonly bytes: Buffer
  private pos = 0

  constructor (readonly size: number, readonly kind: ValueKind, rng: Rng) {
    const poolSize = Math.max(1 << 20, size * 4)
    const pool = Buffer.allocUnsafe(poolSize + 100)
    for (let off = 0; off < poolSize; off += 100) {
      for (let i = 0; i < 50; i++) pool[off + i] = pool[off + 50 + i] = 0x20 + rng.below(95)
    }
    this.bytes = pool.subarray(0, poolSize)
    // latin1 of printable ASCII gives a flat one-byte string; slices of it are cheap views
    this.text = kind === 'string' ? this.bytes.toString('latin1') : ''
  }

  next (): string | Buffer {
    if (this.pos + this.size > this.bytes.length) this.pos = 0
    const start = this.pos
    this.pos += this.size
    return this.kind === 'string'
      ? this.text.slice(start, start + this.size)
      : this.bytes.subarray(start, start + this.size)
  }
}
