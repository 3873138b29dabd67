// Close writes a big memtable (a mebibyte or more) to a level-0 table while the flush worker
// is running, so that the next open has no log to replay; a smaller one, or any with no
// worker up (starting one would cost close more than the replay costs the next open), stays
// in its log (log-reuse.test.ts). What must hold: the next open finds every key and reads no
// log bytes; a failing disk at close loses nothing, settles close, and the next open replays
// the log instead; with no worker, close starts none and the next open replays the log,
// letting the event loop turn while it does.

import test = require('tape')
import * as path from 'path'
import { LsmLevel } from '../../index'
import { MemEnv } from '../../lib/env/mem-env'
import { FaultEnv } from '../../lib/env/fault-env'
import { watchProcess } from '../support/fault-workload'
import { laneStarted, runInBackground, setWorkerIdleExit, terminateWorkerPool } from '../../lib/compaction/worker-pool'
import { flushJob } from '../../lib/compaction/jobs'
import { MemTable } from '../../lib/memtable/memtable'

const LOCATION = '/close-flush/db'
// 6,000 entries of about 216 bytes: about 1.3 MiB of memtable, under the 4 MiB write buffer.
const KEYS = 6000
const VALUE = 'v'.repeat(200)

function key (i: number): string {
  return `k${String(i).padStart(6, '0')}`
}

async function fill (env: MemEnv | FaultEnv, count: number): Promise<void> {
  const db = new LsmLevel<string, string>(LOCATION, { env })
  await db.open()
  for (let i = 0; i < count; i++) await db.put(key(i), VALUE)
  await db.close()
}

// The tests below that expect a table at close need the flush worker up: an empty flush
// starts it, and it does not exit while these tests run.
setWorkerIdleExit(60_000)
async function startFlushWorker (env: MemEnv | FaultEnv): Promise<void> {
  await runInBackground(flushJob(LOCATION, { blockSize: 4096, blockRestartInterval: 16, compression: false }, 999999, new MemTable()), 'flush', env)
}

function files (env: MemEnv, suffix: string): string[] {
  return env.list(LOCATION).filter((name) => name.endsWith(suffix))
}

function logBytes (env: MemEnv): number {
  let bytes = 0
  for (const name of files(env, '.log')) bytes += env.fileSize(path.join(LOCATION, name))
  return bytes
}

async function checkAll (t: test.Test, env: MemEnv | FaultEnv, count: number): Promise<void> {
  const db = new LsmLevel<string, string>(LOCATION, { env })
  await db.open()
  const entries = await db.iterator().all()
  t.equal(entries.length, count, `the next open has all ${count} keys`)
  t.ok(entries.every(([k, v], i) => k === key(i) && v === VALUE), 'each with its value')
  await db.close()
}

test('a memtable of a mebibyte or more goes to a table at close: the next open reads no log', async (t) => {
  const env = new MemEnv()
  env.makeDirectory(LOCATION)
  await startFlushWorker(env)
  t.ok(laneStarted('flush'), 'the flush worker is running')
  await fill(env, KEYS)
  t.equal(files(env, '.ldb').length, 1, `close wrote one table: ${files(env, '.ldb').join(' ')}`)
  t.equal(logBytes(env), 0, 'no log holds a record any more')
  const [emptyLog] = files(env, '.log')
  const watched = new FaultEnv(env)
  const logReads = watched.inject({ op: 'readFile', file: /\.log$/ })
  const logCreates = watched.inject({ op: 'create', file: /\.log$/ })
  await checkAll(t, watched, KEYS)
  t.equal(logReads.seen, 0, 'open read no log')
  t.equal(logCreates.seen, 0, 'nor created one: it appends to the empty log close left')
  t.deepEqual(files(env, '.log'), [emptyLog], `${emptyLog} is still the only log`)
  t.end()
})

test('a smaller memtable stays in its log at close', async (t) => {
  const env = new MemEnv()
  await fill(env, 1000)
  t.equal(files(env, '.ldb').length, 0, 'no table')
  t.ok(logBytes(env) > 200 * 1000, `the log holds the writes: ${logBytes(env)} bytes`)
  await checkAll(t, env, 1000)
  t.end()
})

for (const code of ['ENOSPC', 'EIO'] as const) {
  test(`${code} on the table close writes: close settles, nothing is lost, the next open replays the log`, async (t) => {
    const watch = watchProcess()
    const mem = new MemEnv()
    const env = new FaultEnv(mem)
    mem.makeDirectory(LOCATION)
    await startFlushWorker(mem)
    const tableWrites = env.inject({ op: 'append', file: /\.ldb$/, error: code })
    await fill(env, KEYS)
    t.ok(tableWrites.hits > 0, `the table write failed (${tableWrites.hits} calls)`)
    env.clear(tableWrites)
    t.ok(logBytes(mem) > 200 * KEYS, `the log still holds every write: ${logBytes(mem)} bytes`)
    await checkAll(t, env, KEYS)
    t.deepEqual(watch.stop(), [], 'no unhandled rejection or uncaught exception')
    t.end()
  })
}

test('with no flush worker running, close starts none: the log keeps a big memtable, the next open replays it in slices', async (t) => {
  const env = new MemEnv()
  // 30,000 writes (about 6.5 MiB) in a memtable big enough for them: a replay of several
  // milliseconds even on a fast machine.
  const count = 30000
  const options = { env, writeBufferSize: 16 * 1024 * 1024 }
  await terminateWorkerPool()
  t.notOk(laneStarted('flush'), 'no flush worker')
  const writer = new LsmLevel<string, string>(LOCATION, options)
  await writer.open()
  for (let i = 0; i < count; i++) await writer.put(key(i), VALUE)
  await writer.close()
  t.notOk(laneStarted('flush'), 'close started none')
  t.equal(files(env, '.ldb').length, 0, 'no table')
  t.ok(logBytes(env) > 200 * count, `the log holds every write: ${logBytes(env)} bytes`)
  let turns = 0
  let counting = true
  const tick = (): void => {
    if (!counting) return
    turns++
    setImmediate(tick)
  }
  setImmediate(tick)
  const db = new LsmLevel<string, string>(LOCATION, options)
  await db.open()
  counting = false
  t.ok(turns > 1, `the event loop turned ${turns} times while the open replayed ${count} writes`)
  await db.close()
  await checkAll(t, env, count)
  t.end()
})
