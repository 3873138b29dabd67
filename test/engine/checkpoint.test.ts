// db.checkpoint(): a consistent copy made while a writer keeps writing, that opens in
// lsm-level and classic-level; tables hard-linked (copied where links fail); the source's
// later compactions leave the copy whole; the background-error state; bad targets.

import test = require('tape')
import fs = require('fs')
import path = require('path')
import { ClassicLevel } from 'classic-level'
import { LsmLevel } from '../../index'
import { COPY_CHUNK_BYTES } from '../../lib/engine/checkpoint'
import { FaultEnv } from '../../lib/env/fault-env'
import { MemEnv } from '../../lib/env/mem-env'
import { nodeEnv } from '../../lib/env/node-env'
import { tempLocation } from '../support/temp'
import { sleep, until, watchProcess } from '../support/fault-workload'

const key = (i: number): string => `k${String(i).padStart(8, '0')}`
const value = (i: number): string => `${i}:`.padEnd(100, 'v')

/** Puts key(i) = value(i) for i = 0, 1, 2... one awaited put at a time, until stopped. */
class CounterWriter {
  acknowledged = -1
  private stopping = false
  readonly done: Promise<void>

  constructor (private readonly db: LsmLevel) {
    this.done = this.loop()
  }

  private async loop (): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      await this.db.put(key(i), value(i))
      this.acknowledged = i
    }
  }

  async stop (): Promise<void> {
    this.stopping = true
    await this.done
  }
}

/** The counters a database holds, checked to be keys with their own values. */
async function countersIn (db: { iterator: () => AsyncIterable<[string, string]> }): Promise<{ count: number, problems: string[] }> {
  const problems: string[] = []
  let count = 0
  for await (const [k, v] of db.iterator()) {
    if (k !== key(count)) problems.push(`entry ${count} is ${k}`)
    else if (v !== value(count)) problems.push(`${k} has value ${v.slice(0, 12)}`)
    count++
    if (problems.length > 5) break
  }
  return { count, problems }
}

function tableNames (dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.endsWith('.ldb')).sort()
}

test('checkpoint while a writer keeps writing: every write acknowledged before the call, none after its sequence; the copy opens in lsm-level and classic-level', async (t) => {
  const source = tempLocation('cp-source')
  const target = tempLocation('cp-target')
  const db = new LsmLevel(source, { writeBufferSize: 64 * 1024 })
  await db.open()
  const writer = new CounterWriter(db)
  t.ok(await until(() => writer.acknowledged >= 4000, 30000), 'the writer is under way, with flushes behind it')
  const before = writer.acknowledged
  const info = await db.checkpoint(target)
  const after = writer.acknowledged
  await writer.stop()
  // A fresh database and one writer: put i has sequence i + 1.
  t.ok(info.sequence >= before + 1, `the checkpoint's sequence ${info.sequence} covers the ${before + 1} puts acknowledged before the call`)
  t.ok(after > before, `the writer went on during the checkpoint (${after - before} puts acknowledged meanwhile)`)
  t.ok(info.tables > 0 && info.walBytes > 0, `the copy has ${info.tables} tables and ${info.walBytes} WAL bytes`)
  t.equal(info.linked, info.tables, 'every table is a hard link')
  t.equal(info.copied, 0, 'no table was copied')
  // (A table the source compacted away since is no longer there to compare with.)
  let shared = 0
  for (const name of tableNames(target)) {
    const ours = fs.statSync(path.join(target, name))
    const theirs = fs.statSync(path.join(source, name), { throwIfNoEntry: false })
    if (theirs === undefined) continue
    t.equal(ours.ino, theirs.ino, `${name}: the same inode as the source's`)
    t.ok(ours.nlink >= 2, `${name}: ${ours.nlink} links`)
    shared++
  }
  t.ok(shared > 0, `${shared} tables checked against the source`)
  t.ok(fs.readdirSync(target).every((name) => !name.endsWith('.dbtmp')), 'no temp file left in the copy')
  t.equal(fs.readFileSync(path.join(target, 'CURRENT'), 'latin1'), fs.readdirSync(target).find((n) => n.startsWith('MANIFEST-')) + '\n', 'CURRENT names the copy\'s MANIFEST')
  await db.close()

  // Each engine opens its own copy of the checkpoint (opening rewrites the directory).
  const forClassic = tempLocation('cp-classic')
  fs.cpSync(target, forClassic, { recursive: true })
  const copy = new LsmLevel(target)
  await copy.open()
  const ours = await countersIn(copy as any)
  t.deepEqual(ours.problems, [], 'lsm-level: the copy holds counters 0, 1, 2... in order with their values')
  t.equal(ours.count, info.sequence, `lsm-level: exactly the ${info.sequence} puts up to the checkpoint's sequence, none after`)
  await copy.close()

  const classic = new ClassicLevel<string, string>(forClassic)
  await classic.open()
  const theirs = await countersIn(classic as any)
  t.deepEqual(theirs.problems, [], 'classic-level: the copy holds counters 0, 1, 2... in order with their values')
  t.equal(theirs.count, info.sequence, `classic-level: exactly the ${info.sequence} puts up to the checkpoint's sequence`)
  await classic.close()
})

test('checkpoint with writes in flight: group commits of concurrent writers, each writer a prefix, the total the checkpoint\'s sequence', async (t) => {
  const source = tempLocation('cp-lanes')
  const target = tempLocation('cp-lanes-target')
  const db = new LsmLevel(source, { writeBufferSize: 64 * 1024 })
  await db.open()
  const lanes = 8
  const acknowledged = new Array(lanes).fill(-1)
  let stopping = false
  const writers = Array.from({ length: lanes }, async (_v, lane) => {
    for (let i = 0; !stopping; i++) {
      await db.put(`lane${lane}-${String(i).padStart(8, '0')}`, value(i))
      acknowledged[lane] = i
    }
  })
  await until(() => acknowledged.every((n) => n >= 600), 30000)
  const before = acknowledged.slice()
  const info = await db.checkpoint(target)
  stopping = true
  await Promise.all(writers)
  await db.close()

  const copy = new LsmLevel(target)
  await copy.open()
  let total = 0
  const problems: string[] = []
  for (let lane = 0; lane < lanes; lane++) {
    const keys = await copy.keys({ gte: `lane${lane}-`, lt: `lane${lane}.` }).all()
    keys.forEach((k, i) => { if (k !== `lane${lane}-${String(i).padStart(8, '0')}`) problems.push(`lane ${lane}: entry ${i} is ${k}`) })
    if (keys.length < before[lane] + 1) problems.push(`lane ${lane}: ${keys.length} puts, ${before[lane] + 1} were acknowledged before the call`)
    total += keys.length
  }
  await copy.close()
  t.deepEqual(problems.slice(0, 5), [], 'each writer\'s puts are a prefix holding every one acknowledged before the call')
  t.equal(total, info.sequence, `the copy holds ${total} puts: as many as the checkpoint's sequence (${info.sequence})`)
})

test('checkpoint: the source keeps working and its later compactions do not break the copy (the hard links keep deleted tables)', async (t) => {
  const source = tempLocation('cp-compact')
  const target = tempLocation('cp-compact-target')
  const db = new LsmLevel(source, { writeBufferSize: 64 * 1024 })
  await db.open()
  for (let i = 0; i < 3000; i += 100) {
    await db.batch(Array.from({ length: 100 }, (_v, j) => ({ type: 'put' as const, key: key(i + j), value: value(i + j) })))
  }
  const info = await db.checkpoint(target)
  t.equal(info.sequence, 3000, 'the checkpoint holds the 3000 puts')
  const linked = tableNames(target)
  t.ok(linked.length > 0, `${linked.length} tables linked`)

  // Overwrite everything and compact it all: the source deletes every table the copy links.
  for (let i = 0; i < 3000; i += 100) {
    await db.batch(Array.from({ length: 100 }, (_v, j) => ({ type: 'put' as const, key: key(i + j), value: 'new' })))
  }
  await db.compactRange(key(0), key(99999))
  const gone = linked.filter((name) => !fs.existsSync(path.join(source, name)))
  t.deepEqual(gone, linked, 'the source deleted every table the copy links, after its compaction')
  t.ok(linked.every((name) => fs.statSync(path.join(target, name)).nlink === 1), 'the copy\'s links are the last names of those tables')
  t.equal(await db.get(key(1234)), 'new', 'the source reads its new data')
  await db.put('after', 'x')
  t.equal(await db.get('after'), 'x', 'and takes writes')
  await db.close()

  const copy = new LsmLevel(target)
  await copy.open()
  const { count, problems } = await countersIn(copy as any)
  t.deepEqual(problems, [], 'the copy holds the data as of the checkpoint')
  t.equal(count, 3000, 'all 3000 puts, none of the later overwrites')
  t.equal(await copy.get('after'), undefined, 'nor the later put')
  await copy.close()
})

for (const code of ['EXDEV', 'EPERM', 'ENOTSUP'] as const) {
  test(`checkpoint where link fails with ${code}: tables are copied instead, streamed in chunks, and the copy opens`, async (t) => {
    const env = new FaultEnv(nodeEnv)
    const source = tempLocation('cp-copy')
    const target = tempLocation('cp-copy-target')
    // Incompressible values and a large write buffer make a table of several copy chunks.
    const db = new LsmLevel<string, string>(source, { env, writeBufferSize: 4 * 1024 * 1024, compression: false })
    await db.open()
    for (let i = 0; i < 8; i++) await db.put(key(i), Buffer.alloc(100 * 1024, i).toString('latin1'))
    await db.compactRange(key(0), key(8)) // flushes the memtable into a table
    for (let i = 8; i < 10; i++) await db.put(key(i), `wal-${i}`)
    const noLink = env.inject({ op: 'link', error: code })
    const appends = new Map<string, number>()
    env.inject({ op: 'append', file: (f) => f.startsWith(target), onCall: ({ file }) => appends.set(file, (appends.get(file) ?? 0) + 1) })
    const info = await db.checkpoint(target)
    t.ok(noLink.hits > 0, `link failed ${noLink.hits} times with ${code}`)
    t.equal(info.copied, info.tables, `all ${info.tables} tables were copied`)
    t.equal(info.linked, 0, 'none linked')
    for (const name of tableNames(target)) {
      const ours = fs.statSync(path.join(target, name))
      const theirs = fs.statSync(path.join(source, name))
      t.notEqual(ours.ino, theirs.ino, `${name}: a file of its own`)
      t.equal(ours.size, theirs.size, `${name}: the same size (${ours.size} bytes)`)
      t.ok(fs.readFileSync(path.join(target, name)).equals(fs.readFileSync(path.join(source, name))), `${name}: the same bytes`)
      const chunks = Math.ceil(ours.size / COPY_CHUNK_BYTES)
      t.equal(appends.get(path.join(target, name)), chunks, `${name}: written in ${chunks} chunks of at most ${COPY_CHUNK_BYTES} bytes`)
    }
    await db.close()
    env.clear()

    const copy = new LsmLevel<string, string>(target)
    await copy.open()
    t.equal((await copy.get(key(3)))?.length, 100 * 1024, 'a value from a copied table')
    t.equal(await copy.get(key(9)), 'wal-9', 'a value from the copied WAL')
    await copy.close()
  })
}

test('checkpoint on one file system reads no table data: links only, so its cost does not grow with the tables', async (t) => {
  const mem = new MemEnv()
  const env = new FaultEnv(mem)
  const db = new LsmLevel<string, string>('/cp/src', { env, writeBufferSize: 64 * 1024 })
  await db.open()
  for (let i = 0; i < 5000; i += 100) {
    await db.batch(Array.from({ length: 100 }, (_v, j) => ({ type: 'put' as const, key: key(i + j), value: value(i + j) })))
  }
  await db.compactRange(key(0), key(99999)) // no background work left to read tables meanwhile
  const reads = env.inject({ op: ['open', 'read', 'readFile'], file: /\.ldb$/ })
  const info = await db.checkpoint('/cp/target')
  t.ok(info.tables > 0, `${info.tables} tables in the copy`)
  t.equal(reads.seen, 0, 'no table was opened or read')
  await db.close()
})

test('checkpoint keeps a legacy .sst table\'s name (LevelDB before 1.14 wrote them)', async (t) => {
  const mem = new MemEnv()
  let db = new LsmLevel<string, string>('/cp/src', { env: mem })
  await db.open()
  for (let i = 0; i < 100; i++) await db.put(key(i), value(i))
  await db.compactRange(key(0), key(100))
  await db.close()
  const ldb = mem.list('/cp/src').find((name) => name.endsWith('.ldb')) as string
  mem.rename(`/cp/src/${ldb}`, `/cp/src/${ldb.replace('.ldb', '.sst')}`)
  db = new LsmLevel<string, string>('/cp/src', { env: mem })
  await db.open()
  const info = await db.checkpoint('/cp/target')
  t.equal(info.linked, 1, 'the table was linked')
  t.ok(mem.list('/cp/target').includes(ldb.replace('.ldb', '.sst')), 'under its .sst name')
  await db.close()
  const copy = new LsmLevel<string, string>('/cp/target', { env: mem })
  t.equal(await copy.get(key(42)), value(42), 'the copy reads it')
  await copy.close()
})

test('checkpoint where link fails otherwise (EIO): the checkpoint rejects, leaves nothing behind, and the database carries on', async (t) => {
  const mem = new MemEnv()
  const env = new FaultEnv(mem)
  const db = new LsmLevel<string, string>('/cp/src', { env, writeBufferSize: 64 * 1024 })
  await db.open()
  for (let i = 0; i < 2000; i++) await db.put(key(i), value(i))
  env.inject({ op: 'link', error: 'EIO' })
  const err = await db.checkpoint('/cp/target').catch((e) => e)
  t.equal(err?.code, 'LEVEL_IO_ERROR', 'rejects with LEVEL_IO_ERROR')
  t.match(String(err?.message), /link .*EIO/, `naming the call and the errno: ${err?.message}`)
  t.notOk(mem.exists('/cp/target'), 'the target directory it created is gone again')
  env.clear()
  await db.put('later', 'x')
  t.equal(await db.get('later'), 'x', 'the database takes writes: a checkpoint failure is not a background error')
  const info = await db.checkpoint('/cp/target')
  t.equal(info.sequence, 2001, 'a second checkpoint into the same target succeeds')
  await db.close()
})

test('checkpoint: resolves only once everything is durable (a power cut right after keeps the whole copy)', async (t) => {
  const mem = new MemEnv()
  const db = new LsmLevel<string, string>('/cp/src', { env: mem, writeBufferSize: 64 * 1024 })
  await db.open()
  for (let i = 0; i < 3000; i++) await db.put(key(i), value(i))
  const info = await db.checkpoint('/cp/deep/target')
  const survivor = mem.crash('power')
  await db.close()
  const copy = new LsmLevel<string, string>('/cp/deep/target', { env: survivor })
  await copy.open()
  const { count, problems } = await countersIn(copy as any)
  t.deepEqual(problems, [], 'the copy reads back whole after the power cut')
  t.equal(count, 3000, `all ${info.sequence} puts survived`)
  await copy.close()
})

test('checkpoint in the background-error state (a failed flush): allowed, and it holds every acknowledged write', async (t) => {
  const watch = watchProcess()
  const mem = new MemEnv()
  const env = new FaultEnv(mem)
  const db = new LsmLevel<string, string>('/cp/src', { env, writeBufferSize: 64 * 1024 })
  await db.open()
  const failing = env.inject({ op: 'append', file: /^\/cp\/src\/\d+\.ldb$/, error: 'EIO' })
  let acknowledged = -1
  for (let i = 0; i < 100000; i++) {
    try {
      await db.put(key(i), value(i))
      acknowledged = i
    } catch {
      break
    }
  }
  t.ok(failing.hits > 0 && acknowledged > 0, `the flush failed; ${acknowledged + 1} puts were acknowledged before writes stopped`)
  const info = await db.checkpoint('/cp/target')
  t.equal(info.sequence, acknowledged + 1, 'the checkpoint\'s sequence is the last acknowledged write')
  // Nothing is deleted in the error state: the log of the memtable that failed to flush is
  // still there beside the current one, and the copy holds the records of both.
  const logs = mem.list('/cp/src').filter((name) => name.endsWith('.log'))
  const logBytes = logs.reduce((sum, name) => sum + mem.fileSize(`/cp/src/${name}`), 0)
  t.ok(logs.length >= 2 && info.walBytes === logBytes,
    `it copied both WALs: the one of the memtable that failed to flush and the current one (${logs.length} logs, ${info.walBytes} of ${logBytes} bytes)`)
  await db.close()
  env.clear()
  const copy = new LsmLevel<string, string>('/cp/target', { env: mem })
  await copy.open()
  const { count, problems } = await countersIn(copy as any)
  t.deepEqual(problems, [], 'the copy holds the counters in order')
  t.equal(count, acknowledged + 1, 'every acknowledged write')
  await copy.close()
  t.deepEqual(watch.stop(), [], 'no unhandled rejection or uncaught exception')
})

test('checkpoint in the background-error state (disk full on the WAL, a torn record at its end): the copy stops before the torn record', async (t) => {
  const mem = new MemEnv()
  const env = new FaultEnv(mem)
  const db = new LsmLevel<string, string>('/cp/src', { env })
  const failures: any[] = []
  db.on('background-error', (e: any) => failures.push(e))
  await db.open()
  for (let i = 0; i < 500; i++) await db.put(key(i), value(i))
  env.inject({ op: 'append', file: /^\/cp\/src\/\d+\.log$/, afterBytes: 50, error: 'ENOSPC' })
  const err = await db.put(key(500), value(500)).catch((e) => e)
  t.equal(err?.code, 'LEVEL_IO_ERROR', 'the put that hit the full disk rejected')
  t.ok(failures.length === 1 && failures[0].retryable === true, 'the database is in the retryable error state')
  const info = await db.checkpoint('/cp/target')
  t.equal(info.sequence, 500, 'the checkpoint holds the 500 acknowledged puts')
  await db.close()
  env.clear()
  const copy = new LsmLevel<string, string>('/cp/target', { env: mem })
  await copy.open()
  const { count, problems } = await countersIn(copy as any)
  t.deepEqual(problems, [], 'the copy reads back whole')
  t.equal(count, 500, 'and has no part of the failed put')
  await copy.close()
})

test('checkpoint target: a non-empty directory or a file is LEVEL_TARGET_EXISTS; an empty directory is fine', async (t) => {
  const mem = new MemEnv()
  const db = new LsmLevel<string, string>('/cp/src', { env: mem })
  await db.open()
  await db.put('a', '1')
  mem.makeDirectory('/cp/full')
  mem.createWritable('/cp/full/something').close()
  const full = await db.checkpoint('/cp/full').catch((e) => e)
  t.equal(full?.code, 'LEVEL_TARGET_EXISTS', 'a non-empty directory')
  t.match(String(full?.message), /\/cp\/full is not empty/, `the message says why: ${full?.message}`)
  t.deepEqual(mem.list('/cp/full'), ['something'], 'its contents are left alone')
  mem.createWritable('/cp/file').close()
  const file = await db.checkpoint('/cp/file').catch((e) => e)
  t.equal(file?.code, 'LEVEL_TARGET_EXISTS', 'a file')
  const self = await db.checkpoint('/cp/src').catch((e) => e)
  t.equal(self?.code, 'LEVEL_TARGET_EXISTS', 'the database\'s own directory')
  mem.makeDirectory('/cp/empty')
  const info = await db.checkpoint('/cp/empty')
  t.equal(info.sequence, 1, 'an empty directory is used')
  await db.close()
})

test('checkpoint: two at once into one target, the second is LEVEL_TARGET_EXISTS; into two targets, both succeed', async (t) => {
  const mem = new MemEnv()
  const db = new LsmLevel<string, string>('/cp/src', { env: mem, writeBufferSize: 64 * 1024 })
  await db.open()
  for (let i = 0; i < 2000; i++) await db.put(key(i), value(i))
  const [first, second] = await Promise.allSettled([db.checkpoint('/cp/one'), db.checkpoint('/cp/one')])
  t.equal(first.status, 'fulfilled', 'the first succeeds')
  t.equal(second.status === 'rejected' && second.reason.code, 'LEVEL_TARGET_EXISTS', 'the second is refused')
  const both = await Promise.all([db.checkpoint('/cp/two'), db.checkpoint('/cp/three')])
  t.deepEqual(both.map((i) => i.sequence), [2000, 2000], 'two targets at once')
  await db.close()
})

test('checkpoint arguments and states: TypeError, deferred while opening, LEVEL_DATABASE_NOT_OPEN when closed, close() waits for it', async (t) => {
  const mem = new MemEnv()
  const env = new FaultEnv(mem)
  const db = new LsmLevel<string, string>('/cp/src', { env })
  t.equal(db.status, 'opening', 'the database is opening')
  const deferred = db.checkpoint('/cp/deferred')
  t.ok(await (db as any).checkpoint().catch((e: unknown) => e) instanceof TypeError, 'no target: TypeError')
  t.ok(await db.checkpoint('').catch((e: unknown) => e) instanceof TypeError, 'an empty target: TypeError')
  t.equal((await deferred).sequence, 0, 'a checkpoint called while opening ran once open')
  await db.put('a', '1')

  // Hold the checkpoint's first WAL copy append, then close meanwhile.
  let release!: () => void
  const held = new Promise<void>((resolve) => { release = resolve })
  env.inject({ op: 'append', file: /^\/cp\/held\//, gate: async () => await held })
  const running = db.checkpoint('/cp/held')
  let closed = false
  const closing = db.close().then(() => { closed = true })
  await sleep(20)
  t.notOk(closed, 'close() waits for the checkpoint under way')
  release()
  await closing
  t.equal((await running).sequence, 1, 'which completes')
  const err = await db.checkpoint('/cp/late').catch((e) => e)
  t.equal(err?.code, 'LEVEL_DATABASE_NOT_OPEN', 'after close: LEVEL_DATABASE_NOT_OPEN')
  const copy = new LsmLevel<string, string>('/cp/held', { env: mem })
  t.equal(await copy.get('a'), '1', 'the checkpoint taken before close is whole')
  await copy.close()
})
