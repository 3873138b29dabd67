// Reads a whole database back and compares it with the Model: every point read, getMany,
// has/hasMany, full iteration both ways, random ranges, seeks. Works on classic-level and
// lsm-level alike (buffer keys and values). One assertion per kind of check, each listing
// the first mismatches, so a failure says what differs without flooding the output.

import type { Test } from 'tape'
import { type Db, type Generator, type Model, type Rand, UTF8_KEYS, compareKeys, prng, randInt } from './dataset'

const SHOW = 8

function show (b: Buffer | undefined | null): string {
  if (b === undefined || b === null) return String(b)
  return b.length > 24 ? `<${b.length} bytes ${b.subarray(0, 12).toString('hex')}…>` : `<${b.toString('hex')}>`
}

function sameBytes (a: Buffer | undefined | null, b: Buffer | undefined | null): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return a === b
  return a.equals(b)
}

export class Checker {
  constructor (private readonly t: Test, private readonly label: string) {}

  /** One assertion: `problems` must be empty. */
  report (name: string, problems: string[], checked: number): void {
    const head = problems.slice(0, SHOW).join('; ')
    const more = problems.length > SHOW ? ` (+${problems.length - SHOW} more)` : ''
    this.t.ok(problems.length === 0, `${this.label}: ${name} (${checked} checked)${problems.length > 0 ? ': ' + head + more : ''}`)
  }
}

/** Index of the first key >= target. */
export function lowerBound (keys: Buffer[], target: Buffer): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareKeys(keys[mid], target) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of the first key > target. */
export function upperBound (keys: Buffer[], target: Buffer): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareKeys(keys[mid], target) <= 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

interface Range { gt?: Buffer, gte?: Buffer, lt?: Buffer, lte?: Buffer, reverse?: boolean, limit?: number }

/** The model's keys in `range`, in iteration order. */
export function expectedRange (keys: Buffer[], range: Range): Buffer[] {
  let from = 0
  let to = keys.length
  if (range.gte !== undefined) from = lowerBound(keys, range.gte)
  else if (range.gt !== undefined) from = upperBound(keys, range.gt)
  if (range.lte !== undefined) to = upperBound(keys, range.lte)
  else if (range.lt !== undefined) to = lowerBound(keys, range.lt)
  const slice = from < to ? keys.slice(from, to) : []
  if (range.reverse === true) slice.reverse()
  const limit = range.limit ?? -1
  return limit >= 0 && limit < slice.length ? slice.slice(0, limit) : slice
}

function describeRange (range: Range): string {
  return JSON.stringify(range, (k, v) => v !== null && typeof v === 'object' && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)
}

/** Compares [key, value] entries with the expected keys (values from the model). */
function compareEntries (model: Model, expected: Buffer[], actual: Array<[Buffer, Buffer]>, where: string, problems: string[]): void {
  if (actual.length !== expected.length) problems.push(`${where}: ${actual.length} entries, expected ${expected.length}`)
  const n = Math.min(actual.length, expected.length)
  for (let i = 0; i < n && problems.length < 50; i++) {
    const [key, value] = actual[i]
    if (!sameBytes(key, expected[i])) {
      problems.push(`${where}[${i}]: key ${show(key)}, expected ${show(expected[i])}`)
      return
    }
    const want = model.get(expected[i])
    if (!sameBytes(value, want)) problems.push(`${where}[${i}] key ${show(key)}: value ${show(value)}, expected ${show(want)}`)
  }
}

/** A random bound: usually a model key, else a key near one, else random bytes. */
function randomBound (rand: Rand, keys: Buffer[], generator: Generator): Buffer {
  const r = rand()
  if (keys.length > 0 && r < 0.5) return keys[randInt(rand, keys.length)]
  if (keys.length > 0 && r < 0.7) {
    const key = keys[randInt(rand, keys.length)]
    return key.length > 0 ? key.subarray(0, randInt(rand, key.length)) : key
  }
  return generator.absentKeys(1)[0]
}

export interface VerifyOptions {
  /** Seeds the random ranges and seek targets. */
  seed: number
  /** Absent-key probes are drawn from here. */
  generator: Generator
  ranges?: number
  seeks?: number
}

export async function verifyDb (t: Test, db: Db, model: Model, label: string, options: VerifyOptions): Promise<void> {
  const check = new Checker(t, label)
  const rand = prng(options.seed)
  const keys = model.keys()
  const gone = model.goneKeys()
  const absent = options.generator.absentKeys(500)
  const missing = gone.concat(absent)

  // get: every live key, every deleted key, and keys never written.
  {
    const problems: string[] = []
    for (let i = 0; i < keys.length; i += 256) {
      const chunk = keys.slice(i, i + 256)
      const values: Array<Buffer | undefined> = await Promise.all(chunk.map((key) => db.get(key)))
      for (let j = 0; j < chunk.length; j++) {
        const want = model.get(chunk[j])
        if (!sameBytes(values[j], want)) problems.push(`get ${show(chunk[j])}: ${show(values[j])}, expected ${show(want)}`)
      }
    }
    check.report('get of every live key', problems, keys.length)
  }
  {
    const problems: string[] = []
    const values: Array<Buffer | undefined> = await Promise.all(missing.map((key) => db.get(key)))
    for (let j = 0; j < missing.length; j++) {
      if (values[j] !== undefined) problems.push(`get ${show(missing[j])}: ${show(values[j])}, expected undefined`)
    }
    check.report('get of deleted and absent keys', problems, missing.length)
  }
  // getSync on a sample.
  {
    const problems: string[] = []
    const sample = keys.filter(() => rand() < 0.05).concat(missing.filter(() => rand() < 0.05))
    for (const key of sample) {
      const value = db.getSync(key)
      if (!sameBytes(value, model.get(key))) problems.push(`getSync ${show(key)}: ${show(value)}, expected ${show(model.get(key))}`)
    }
    check.report('getSync sample', problems, sample.length)
  }
  // getMany / hasMany over shuffled mixes of live and missing keys.
  {
    const mixed = keys.concat(missing)
    for (let i = mixed.length - 1; i > 0; i--) {
      const j = randInt(rand, i + 1)
      const tmp = mixed[i]; mixed[i] = mixed[j]; mixed[j] = tmp
    }
    const problems: string[] = []
    const hasProblems: string[] = []
    for (let i = 0; i < mixed.length; i += 1000) {
      const chunk = mixed.slice(i, i + 1000)
      const [values, has] = await Promise.all([db.getMany(chunk), db.hasMany(chunk)])
      for (let j = 0; j < chunk.length; j++) {
        const want = model.get(chunk[j])
        if (!sameBytes(values[j], want)) problems.push(`getMany ${show(chunk[j])}: ${show(values[j])}, expected ${show(want)}`)
        if (has[j] !== (want !== undefined)) hasProblems.push(`hasMany ${show(chunk[j])}: ${String(has[j])}`)
      }
    }
    check.report('getMany', problems, mixed.length)
    check.report('hasMany', hasProblems, mixed.length)
    const sample = mixed.slice(0, 400)
    const has = await Promise.all(sample.map((key) => db.has(key)))
    check.report('has', sample.flatMap((key, i) => has[i] === (model.get(key) !== undefined) ? [] : [`has ${show(key)}: ${String(has[i])}`]), sample.length)
  }
  // Full iteration, forward and reverse, entries and keys/values only.
  {
    let problems: string[] = []
    compareEntries(model, keys, await db.iterator().all(), 'iterator()', problems)
    check.report('full forward iteration', problems, keys.length)
    problems = []
    compareEntries(model, keys.slice().reverse(), await db.iterator({ reverse: true }).all(), 'iterator({ reverse })', problems)
    check.report('full reverse iteration', problems, keys.length)
    problems = []
    const onlyKeys: Buffer[] = await db.keys().all()
    if (onlyKeys.length !== keys.length) problems.push(`${onlyKeys.length} keys, expected ${keys.length}`)
    const firstBad = onlyKeys.findIndex((key, i) => !sameBytes(key, keys[i]))
    if (firstBad >= 0) problems.push(`keys()[${firstBad}] = ${show(onlyKeys[firstBad])}, expected ${show(keys[firstBad])}`)
    const onlyValues: Buffer[] = await db.values({ reverse: true }).all()
    const reversed = keys.slice().reverse()
    const badValue = onlyValues.findIndex((value, i) => !sameBytes(value, model.get(reversed[i])))
    if (onlyValues.length !== keys.length || badValue >= 0) problems.push(`values({ reverse }): ${onlyValues.length} values, first mismatch at ${badValue}`)
    check.report('keys() and values({ reverse })', problems, keys.length)
  }
  // Random ranges with limits, both directions; small nextv() steps on some.
  {
    const problems: string[] = []
    const count = options.ranges ?? 60
    for (let i = 0; i < count; i++) {
      const range: Range = {}
      const a = randomBound(rand, keys, options.generator)
      const b = randomBound(rand, keys, options.generator)
      const [low, high] = compareKeys(a, b) <= 0 ? [a, b] : [b, a]
      const sides = randInt(rand, 4) // 0: both, 1: lower only, 2: upper only, 3: both (another draw)
      if (sides !== 2) range[rand() < 0.5 ? 'gt' : 'gte'] = low
      if (sides !== 1) range[rand() < 0.5 ? 'lt' : 'lte'] = high
      if (rand() < 0.5) range.reverse = true
      const r = rand()
      if (r < 0.15) range.limit = randInt(rand, 3)
      else if (r < 0.5) range.limit = 1 + randInt(rand, 200)
      const expected = expectedRange(keys, range)
      const where = `range ${describeRange(range)}`
      if (rand() < 0.3) {
        const it = db.iterator(range)
        const got: Array<[Buffer, Buffer]> = []
        for (let batch = await it.nextv(1 + randInt(rand, 50)); batch.length > 0; batch = await it.nextv(1 + randInt(rand, 50))) got.push(...batch)
        await it.close()
        compareEntries(model, expected, got, where + ' (nextv)', problems)
      } else {
        compareEntries(model, expected, await db.iterator(range).all(), where, problems)
      }
    }
    check.report('random ranges', problems, count)
  }
  // seek(): forward gives the first key >= target, reverse the last key <= target; a
  // couple of next() calls after each; an iterator is reused for many seeks.
  for (const reverse of [false, true]) {
    const problems: string[] = []
    const count = options.seeks ?? 150
    const it = db.iterator({ reverse })
    for (let i = 0; i < count; i++) {
      const target = randomBound(rand, keys, options.generator)
      it.seek(target)
      const at = reverse ? upperBound(keys, target) - 1 : lowerBound(keys, target)
      const steps = 1 + randInt(rand, 3)
      for (let s = 0; s < steps; s++) {
        const index = reverse ? at - s : at + s
        const want = index >= 0 && index < keys.length ? keys[index] : undefined
        const entry: [Buffer, Buffer] | undefined = await it.next()
        if (!sameBytes(entry?.[0], want)) {
          problems.push(`seek ${show(target)} +${s}: ${show(entry?.[0])}, expected ${show(want)}`)
          break
        }
        if (want !== undefined && !sameBytes(entry?.[1], model.get(want))) problems.push(`seek ${show(target)} +${s}: wrong value`)
      }
    }
    await it.close()
    check.report(`seek on a ${reverse ? 'reverse' : 'forward'} iterator`, problems, count)
  }
  // seek() on ranged iterators: a target inside the range behaves as above within the
  // range; a target outside it ends the iteration, as classic-level does (binding.cc
  // Iterator::Seek: OutOfRange(target) -> SeekToEnd). Reported apart, as two assertions.
  {
    const inside: string[] = []
    const outside: string[] = []
    let insideCount = 0
    const count = Math.round((options.seeks ?? 150) / 3)
    for (let i = 0; i < count; i++) {
      const a = randomBound(rand, keys, options.generator)
      const b = randomBound(rand, keys, options.generator)
      const [low, high] = compareKeys(a, b) <= 0 ? [a, b] : [b, a]
      const range: Range = { [rand() < 0.5 ? 'gt' : 'gte']: low, [rand() < 0.5 ? 'lt' : 'lte']: high, reverse: rand() < 0.5 }
      const inRange = expectedRange(keys, { ...range, reverse: false })
      // Half the targets are drawn from the range itself.
      const target = rand() < 0.5 && inRange.length > 0 ? inRange[randInt(rand, inRange.length)] : randomBound(rand, keys, options.generator)
      const isOutside = (range.gt !== undefined && compareKeys(target, range.gt) <= 0) ||
        (range.gte !== undefined && compareKeys(target, range.gte) < 0) ||
        (range.lt !== undefined && compareKeys(target, range.lt) >= 0) ||
        (range.lte !== undefined && compareKeys(target, range.lte) > 0)
      let want: Buffer | undefined
      if (!isOutside) {
        insideCount++
        const index = range.reverse === true ? upperBound(inRange, target) - 1 : lowerBound(inRange, target)
        want = index >= 0 && index < inRange.length ? inRange[index] : undefined
      }
      const it = db.iterator(range)
      it.seek(target)
      const entry: [Buffer, Buffer] | undefined = await it.next()
      await it.close()
      if (!sameBytes(entry?.[0], want)) {
        (isOutside ? outside : inside).push(`seek ${show(target)} on ${describeRange(range)}: ${show(entry?.[0])}, expected ${show(want)}`)
      }
    }
    check.report('seek inside the range of a ranged iterator', inside, insideCount)
    check.report('seek outside the range of a ranged iterator ends it (as classic-level)', outside, count - insideCount)
  }
  // utf8 keys: looked up as strings, and ordered by bytes (U+FFFF before U+10000).
  {
    const problems: string[] = []
    for (const s of UTF8_KEYS) {
      const want = model.get(Buffer.from(s, 'utf8'))
      const value = await db.get(s, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
      if (value !== want?.toString('utf8')) problems.push(`get '${escape(s)}' as utf8: ${String(value)}`)
    }
    const got: string[] = await db.keys({ keyEncoding: 'utf8', gte: 'u/', lt: 'u0' }).all()
    const want = expectedRange(keys, { gte: Buffer.from('u/'), lt: Buffer.from('u0') }).map((key) => key.toString('utf8'))
    if (got.join('|') !== want.join('|')) problems.push(`utf8 keys in 'u/' order ${got.map(escape).join(',')}, expected ${want.map(escape).join(',')}`)
    check.report('utf8 keys beyond U+FFFF', problems, UTF8_KEYS.length + 1)
  }
}

function escape (s: string): string {
  return [...s].map((c) => (c.codePointAt(0) as number) > 0x7e ? `U+${(c.codePointAt(0) as number).toString(16).toUpperCase()}` : c).join('')
}
