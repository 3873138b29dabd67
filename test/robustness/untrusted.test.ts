// Directories nobody can vouch for: damaged, truncated, spliced or foreign files. Whatever
// the bytes, open either fails with a LEVEL_* error naming the file or succeeds; reads then
// return data that was written, in order, or fail with a LEVEL_* error naming the file;
// close() always settles and releases the lock. Never wrong data, a crash or a hang.

import test = require('tape')
import * as path from 'path'
import { LsmLevel } from '../../index'
import { MemEnv } from '../../lib/env/mem-env'
import { prng, type Rand } from '../support/prng'
import { WriteBatchBuilder } from '../../lib/wal/write-batch'
import { LogWriter } from '../../lib/wal/log-writer'
import { Table } from '../../lib/sstable/table'
import { makeInternalKey, ValueKind } from '../../lib/format/internal-key'
import { buildTable, collect, memoryFile, thrown, type Entry } from '../sstable/table-fixture'

const LOCATION = '/untrusted/db'
const KEYS = 1500

function key (i: number): string {
  return `key${String(i).padStart(5, '0')}`
}

/** The files of a database built on a MemEnv, and every value each key ever had. */
interface Fixture {
  files: Map<string, Buffer>
  history: Map<string, Set<string>>
}

async function buildFixture (): Promise<Fixture> {
  const env = new MemEnv()
  const history = new Map<string, Set<string>>()
  const db = new LsmLevel<string, string>(LOCATION, { env, writeBufferSize: 64 * 1024, blockSize: 1024 })
  await db.open()
  for (let round = 0; round < 3; round++) {
    for (let start = 0; start < KEYS; start += 100) {
      const ops = []
      for (let i = start; i < start + 100; i++) {
        const value = `round ${round} value of ${key(i)} `.repeat(3)
        ops.push({ type: 'put' as const, key: key(i), value })
        if (!history.has(key(i))) history.set(key(i), new Set())
        history.get(key(i))?.add(value)
      }
      await db.batch(ops)
    }
  }
  // Some deletions and a last round that stays in the WAL (close does not flush).
  for (let i = 0; i < KEYS; i += 7) await db.del(key(i))
  for (let i = 0; i < KEYS; i += 3) {
    const value = `last value of ${key(i)}`
    await db.put(key(i), value)
    history.get(key(i))?.add(value)
  }
  await db.close()
  const files = new Map<string, Buffer>()
  for (const name of env.list(LOCATION)) files.set(name, env.readFile(path.join(LOCATION, name)))
  return { files, history }
}

/** A MemEnv holding `files` under LOCATION, all durable. */
function envWith (files: Map<string, Buffer>): MemEnv {
  const env = new MemEnv()
  env.makeDirectory(LOCATION)
  for (const [name, bytes] of files) {
    const file = env.createWritable(path.join(LOCATION, name))
    file.append(bytes)
    file.sync()
    file.close()
  }
  env.syncDirectory(LOCATION)
  return env
}

type Damage = (files: Map<string, Buffer>, rand: Rand) => string

function pick<T> (items: T[], rand: Rand): T {
  return items[Math.floor(rand() * items.length)]
}

function damageableNames (files: Map<string, Buffer>): string[] {
  return Array.from(files.keys()).filter((name) => /^(CURRENT|MANIFEST-\d+|\d+\.(log|ldb))$/.test(name))
}

const DAMAGES: Damage[] = [
  function flipBytes (files, rand) {
    const name = pick(damageableNames(files), rand)
    const bytes = Buffer.from(files.get(name) as Buffer)
    if (bytes.length === 0) return `flip in empty ${name}`
    const n = 1 + Math.floor(rand() * 4)
    for (let i = 0; i < n; i++) bytes[Math.floor(rand() * bytes.length)] ^= 1 << Math.floor(rand() * 8)
    files.set(name, bytes)
    return `flip ${n} bits in ${name}`
  },
  function truncate (files, rand) {
    const name = pick(damageableNames(files), rand)
    const bytes = files.get(name) as Buffer
    const length = Math.floor(rand() * bytes.length)
    files.set(name, bytes.subarray(0, length))
    return `truncate ${name} to ${length}`
  },
  function zeroRange (files, rand) {
    const name = pick(damageableNames(files), rand)
    const bytes = Buffer.from(files.get(name) as Buffer)
    const start = Math.floor(rand() * bytes.length)
    const end = Math.min(bytes.length, start + 1 + Math.floor(rand() * 600))
    bytes.fill(0, start, end)
    files.set(name, bytes)
    return `zero ${name}[${start}, ${end})`
  },
  function spliceWithin (files, rand) {
    // Copies one stretch of a file over another of the same size: intact blocks in wrong places.
    const name = pick(damageableNames(files), rand)
    const bytes = Buffer.from(files.get(name) as Buffer)
    const length = 1 + Math.floor(rand() * Math.min(2048, bytes.length))
    const from = Math.floor(rand() * (bytes.length - length + 1))
    const to = Math.floor(rand() * (bytes.length - length + 1))
    bytes.copy(bytes, to, from, from + length)
    files.set(name, bytes)
    return `copy ${name}[${from}, +${length}) to ${to}`
  },
  function swapTables (files, rand) {
    const tables = Array.from(files.keys()).filter((name) => name.endsWith('.ldb'))
    if (tables.length < 2) return 'no two tables'
    const a = pick(tables, rand)
    const b = pick(tables.filter((name) => name !== a), rand)
    const bytes = files.get(a) as Buffer
    files.set(a, files.get(b) as Buffer)
    files.set(b, bytes)
    return `swap ${a} and ${b}`
  },
  function copyLogHigher (files) {
    // A log copied to a higher number (classic-level opens this): replaying it twice must not fail.
    const logs = Array.from(files.keys()).filter((name) => name.endsWith('.log')).sort()
    if (logs.length === 0) return 'no log'
    const last = logs[logs.length - 1]
    files.set(`${String(Number(last.slice(0, -4)) + 1000).padStart(6, '0')}.log`, files.get(last) as Buffer)
    return `copy ${last} to a higher number`
  },
  function removeFile (files, rand) {
    const name = pick(damageableNames(files), rand)
    files.delete(name)
    return `remove ${name}`
  }
]

interface Verdict {
  outcome: string
  problems: string[]
}

function checkError (err: unknown, what: string, problems: string[]): string {
  const e = err as { code?: string, message?: string, cause?: { code?: string, message?: string } }
  const inner = e.code === 'LEVEL_DATABASE_NOT_OPEN' && e.cause !== undefined ? e.cause : e
  if (typeof inner.code !== 'string' || !inner.code.startsWith('LEVEL_')) {
    problems.push(`${what} failed without a LEVEL_* code: ${String(inner.message ?? err)} (${String((err as Error).stack).split('\n').slice(0, 3).join(' | ')})`)
  } else if (!String(inner.message).includes(LOCATION) && inner.code !== 'LEVEL_DATABASE_NOT_OPEN') {
    problems.push(`${what} failed with ${inner.code} not naming a file: ${inner.message}`)
  }
  return `${what}: ${inner.code}`
}

async function tryDirectory (env: MemEnv, history: Map<string, Set<string>>): Promise<Verdict> {
  const problems: string[] = []
  const db = new LsmLevel<string, string>(LOCATION, { env })
  let outcome = 'opened'
  try {
    await db.open()
  } catch (err) {
    outcome = checkError(err, 'open', problems)
    return { outcome, problems }
  }
  try {
    let previous: string | undefined
    for await (const [k, v] of db.iterator()) {
      if (previous !== undefined && !(k > previous)) problems.push(`scan: ${k} after ${previous}`)
      previous = k
      if (history.get(k)?.has(v) !== true) problems.push(`scan: ${k} = ${v.slice(0, 40)} was never written`)
      if (problems.length > 5) break
    }
  } catch (err) {
    outcome = checkError(err, 'scan', problems)
  }
  for (let i = 0; i < KEYS; i += 37) {
    try {
      const v = await db.get(key(i))
      if (v !== undefined && history.get(key(i))?.has(v) !== true) problems.push(`get ${key(i)} = ${v.slice(0, 40)} was never written`)
    } catch (err) {
      checkError(err, 'get', problems)
    }
  }
  try {
    await db.close()
  } catch (err) {
    problems.push(`close rejected: ${(err as Error).message}`)
  }
  try {
    env.lock(LOCATION).release()
  } catch (err) {
    problems.push(`the lock was kept after close: ${(err as Error).message}`)
  }
  return { outcome, problems }
}

test('several hundred damaged copies of a database: LEVEL_* errors naming the file, or right data', async (t) => {
  const fixture = await buildFixture()
  const rejections: string[] = []
  const onRejection = (reason: unknown): void => { rejections.push(String((reason as Error)?.stack ?? reason)) }
  process.on('unhandledRejection', onRejection)
  const outcomes = new Map<string, number>()
  const failures: string[] = []
  const COPIES = 420
  for (let seed = 1; seed <= COPIES; seed++) {
    const rand = prng(seed)
    const files = new Map(fixture.files)
    const damages = [pick(DAMAGES, rand)(files, rand)]
    if (rand() < 0.3) damages.push(pick(DAMAGES, rand)(files, rand))
    const verdict = await tryDirectory(envWith(files), fixture.history)
    outcomes.set(verdict.outcome, (outcomes.get(verdict.outcome) ?? 0) + 1)
    for (const problem of verdict.problems) failures.push(`seed ${seed} (${damages.join('; ')}): ${problem}`)
  }
  process.off('unhandledRejection', onRejection)
  t.deepEqual(failures.slice(0, 10), [], `${COPIES} damaged copies: ${Array.from(outcomes, ([k, v]) => `${v} ${k}`).join(', ')}`)
  t.ok((outcomes.get('opened') ?? 0) > 0 && outcomes.size > 2, 'the damage reached both open and reads')
  t.deepEqual(rejections, [], 'no unhandled rejection')
})

test('a data block replaced by another intact block: LEVEL_CORRUPTION, never keys out of order', (t) => {
  // Two tables of the same shape (keys of one length, values of one length, no compression)
  // have blocks of the same sizes at the same offsets: lay one of B's blocks over A's.
  const entries = (prefix: string): Entry[] => Array.from({ length: 400 }, (_v, i) => ({
    userKey: Buffer.from(`${prefix}${String(i).padStart(5, '0')}`), sequence: 7, kind: ValueKind.Value, value: Buffer.alloc(40, prefix)
  }))
  const options = { blockSize: 1024, blockRestartInterval: 16, compression: false }
  const a = buildTable(entries('a'), options)
  const b = buildTable(entries('b'), options)
  const ta = Table.open(memoryFile(a, 'a.ldb'), a.length, 0, undefined)
  t.ok(ta.blockCount > 4 && a.length === b.length, `same shape: ${ta.blockCount} blocks`)
  for (const victim of [0, 2, ta.blockCount - 1]) {
    const spliced = Buffer.from(a)
    const offset = ta.index.offsets[victim]
    b.copy(spliced, offset, offset, offset + ta.index.sizes[victim] + 5)
    const table = Table.open(memoryFile(spliced, 'spliced.ldb'), spliced.length, 0, undefined)
    const scan = thrown(() => collect(table.iterator(false)))
    t.equal(scan?.code, 'LEVEL_CORRUPTION', `block ${victim}: the scan fails: ${scan?.message}`)
    t.match(String(scan?.message), /spliced\.ldb/, 'naming the table')
    t.match(String(scan?.message), /key range its index entry implies/, 'saying why')
    const key = entries('a')[Math.floor(victim * 400 / ta.blockCount)].userKey
    const get = thrown(() => table.get(key, 100, false))
    t.equal(get?.code, 'LEVEL_CORRUPTION', `block ${victim}: a get that reads it fails too`)
  }
  t.end()
})

test('a table holding other keys than the MANIFEST says: LEVEL_CORRUPTION at the first block read', (t) => {
  const entries = Array.from({ length: 200 }, (_v, i) => ({ userKey: Buffer.from(`k${String(i).padStart(4, '0')}`), sequence: 3, kind: ValueKind.Value, value: Buffer.alloc(20, 1) }))
  const bytes = buildTable(entries, { blockSize: 1024, blockRestartInterval: 16, compression: false })
  const bounds = { smallest: makeInternalKey(Buffer.from('k0100'), 3, ValueKind.Value), largest: makeInternalKey(Buffer.from('k0199'), 3, ValueKind.Value) }
  const table = Table.open(memoryFile(bytes, 'other.ldb'), bytes.length, 0, undefined, bounds)
  const err = thrown(() => collect(table.iterator(false)))
  t.equal(err?.code, 'LEVEL_CORRUPTION', err?.message)
  t.match(String(err?.message), /before the smallest key the MANIFEST gives the file/)
  t.end()
})

test('a WAL batch with a sequence number past 2^53 - 1: open fails with LEVEL_CORRUPTION, nothing written back', async (t) => {
  const fixture = await buildFixture()
  const files = new Map(fixture.files)
  const builder = new WriteBatchBuilder()
  builder.put('huge', 'sequence')
  builder.setSequence(2 ** 56 - 1)
  files.set('999999.log', new LogWriter(0).frame(builder.bytes()))
  const env = envWith(files)
  const before = env.list(LOCATION).filter((name) => name !== 'LOG' && name !== 'LOG.old')
  const current = env.readFile(path.join(LOCATION, 'CURRENT'))
  const db = new LsmLevel(LOCATION, { env })
  const err = await db.open().then(() => undefined, (e) => e)
  t.equal(err?.cause?.code, 'LEVEL_CORRUPTION', `open fails: ${err?.cause?.message}`)
  t.ok(String(err?.cause?.message).includes('999999.log'), 'naming the log')
  t.deepEqual(env.list(LOCATION).filter((name) => name !== 'LOG' && name !== 'LOG.old'), before, 'no file was added or removed')
  t.ok(env.readFile(path.join(LOCATION, 'CURRENT')).equals(current), 'CURRENT still names the old MANIFEST')
  env.lock(LOCATION).release()
  t.pass('the lock was released')
})

test('a log replayed twice (copied to a higher number): opens, skips the copy, and says so in LOG', async (t) => {
  const fixture = await buildFixture()
  const files = new Map(fixture.files)
  const log = Array.from(files.keys()).filter((name) => name.endsWith('.log')).sort().pop() as string
  const copy = `${String(Number(log.slice(0, -4)) + 50).padStart(6, '0')}.log`
  files.set(copy, files.get(log) as Buffer)
  const env = envWith(files)
  const db = new LsmLevel<string, string>(LOCATION, { env })
  await db.open()
  t.equal(await db.get(key(3)), `last value of ${key(3)}`, 'the data is as written')
  const live = Array.from({ length: KEYS }, (_v, i) => i).filter((i) => i % 7 !== 0 || i % 3 === 0).length
  t.equal((await db.keys().all()).length, live, 'every live key once')
  await db.close()
  const logText = env.readFile(path.join(LOCATION, 'LOG')).toString()
  t.match(logText, new RegExp(`Log #${Number(copy.slice(0, -4))}: skipped a batch`), 'LOG records the skipped batches')
})
