// A failed fsync is permanent until reopen (the kernel may have dropped the pages it could
// not write, so retrying would report data durable that is gone); a failed read fails that
// read only.

import test = require('tape')
import { LsmLevel } from '../../index'
import type { FaultSpec } from '../../lib/env/fault-env'
import { openFaultDatabase, sleep, verifyReopen, watchProcess, Writer, batchKeys } from '../support/fault-workload'
import { FaultEnv } from '../../lib/env/fault-env'
import { nodeEnv } from '../../lib/env/node-env'
import { tempLocation } from '../support/temp'
import * as fs from 'fs'
import { RETRY_FIRST_MS } from '../../lib/engine/background-errors'

const SYNC_FAULTS: Array<{ name: string, spec: FaultSpec, sync: boolean, file: RegExp }> = [
  { name: 'the WAL (a sync write)', spec: { op: 'sync', file: /\.log$/, error: 'EIO' }, sync: true, file: /\d{6}\.log: EIO/ },
  { name: 'a table (a flush)', spec: { op: 'sync', file: /\.ldb$/, error: 'EIO' }, sync: false, file: /\d{6}\.ldb: EIO/ },
  { name: 'the MANIFEST', spec: { op: 'sync', file: /MANIFEST-\d+$/, error: 'EIO' }, sync: false, file: /MANIFEST-\d{6}: EIO/ },
  // Without sync writes, the only WAL syncs are those of the previous WAL at each memtable switch.
  { name: 'the previous WAL at a memtable switch', spec: { op: 'sync', file: /\.log$/, error: 'EIO' }, sync: false, file: /\d{6}\.log: EIO/ }
]

for (const c of SYNC_FAULTS) {
  test(`fsync fails on ${c.name}: writes fail until reopen, even once the fault is gone`, async (t) => {
    const watch = watchProcess()
    const { mem, env, location, db, events } = await openFaultDatabase()
    const writer = new Writer(db, c.sync)
    t.ok(await writer.progress(c.sync ? 20 : 100), 'the writer is under way')
    const rule = env.inject(c.spec)
    const err = await writer.rejection() as (Error & { code?: string }) | undefined
    t.ok(rule.hits > 0, `the fault was hit (${rule.hits} calls failed)`)
    t.equal(err?.code, 'LEVEL_IO_ERROR')
    t.match(String(err?.message), c.file, `the message names the file and the errno: ${err?.message}`)
    const failure = events.find((e) => e.event === 'background-error')
    t.equal(failure?.payload.retryable, false, `'background-error' says it is permanent (${failure?.payload.operation})`)

    env.clear(rule)
    const acknowledgedBefore = writer.acknowledged.size
    await sleep(RETRY_FIRST_MS * 5)
    t.equal(writer.acknowledged.size, acknowledgedBefore, 'no write is acknowledged after the failed sync, though the fault is gone')
    t.notOk(events.some((e) => e.event === 'resumed'), 'no resume')
    const sampled = Array.from(writer.acknowledged).slice(-1)[0]
    t.equal(await db.get(batchKeys(sampled)[0]), `${'v'.repeat(100)}${sampled}`, 'reads still work')

    await writer.stop()
    await db.close()
    const problems = await verifyReopen(mem.crash('process'), location, writer.acknowledged, writer.attempted)
    t.deepEqual(problems.slice(0, 5), [], `after reopen: all ${writer.acknowledged.size} acknowledged batches whole, none partial`)
    t.deepEqual(watch.stop(), [], 'no unhandled rejection or uncaught exception')
  })
}

test('a failed read of a table rejects that read with LEVEL_IO_ERROR naming the file; writes carry on', async (t) => {
  const watch = watchProcess()
  const { env, db, events } = await openFaultDatabase({ cacheSize: 0 })
  for (let i = 0; i < 3000; i += 100) {
    await db.batch(Array.from({ length: 100 }, (_v, j) => ({ type: 'put' as const, key: `k${String(i + j).padStart(5, '0')}`, value: 'x'.repeat(100) })))
  }
  await db.compactRange('k', 'l')
  const rule = env.inject({ op: 'read', file: /\.ldb$/, error: 'EIO' })
  const getError = await db.get('k00042').then(() => undefined, (e) => e)
  t.ok(rule.hits > 0, 'the fault was hit')
  t.equal(getError?.code, 'LEVEL_IO_ERROR', `get rejects: ${getError?.message}`)
  t.match(String(getError?.message), /\d{6}\.ldb: EIO/, 'naming the table and the errno')
  t.throws(() => db.getSync('k00043'), /\.ldb: EIO/, 'getSync throws the same')
  const iterError = await db.iterator().all().then(() => undefined, (e) => e)
  t.equal(iterError?.code, 'LEVEL_IO_ERROR', 'an iterator rejects too')
  await db.put('written', 'meanwhile')
  t.equal(await db.get('written'), 'meanwhile', 'writes and memtable reads are unaffected')
  t.notOk(events.some((e) => e.event === 'background-error'), 'a failed read is no background error')
  env.clear(rule)
  t.equal(await db.get('k00042'), 'x'.repeat(100), 'the same read succeeds once the fault is gone')
  t.equal((await db.keys().all()).length, 3001, 'and so does a scan')
  await db.close()
  t.deepEqual(watch.stop(), [], 'no unhandled rejection or uncaught exception')
})

test('open fails with a LEVEL_* error naming the file when the MANIFEST cannot be read', async (t) => {
  const { env, location, db } = await openFaultDatabase()
  await db.put('a', 'b')
  await db.close()
  const rule = env.inject({ op: 'readFile', file: /MANIFEST-\d+$/, error: 'EIO' })
  const again = new LsmLevel(location, { env })
  const err = await again.open().then(() => undefined, (e) => e)
  t.ok(rule.hits > 0, 'the fault was hit')
  t.equal(err?.code, 'LEVEL_DATABASE_NOT_OPEN', 'abstract-level wraps the open error')
  t.equal(err?.cause?.code, 'LEVEL_IO_ERROR', `the cause: ${err?.cause?.message}`)
  t.match(String(err?.cause?.message), /MANIFEST-\d{6}: EIO/)
  env.clear(rule)
  await again.open()
  t.equal(await again.get('a'), 'b', 'the lock was released: it opens once the fault is gone')
  await again.close()
})

test('faults during close: close() settles, and the database opens again', async (t) => {
  const watch = watchProcess()
  const { env, location, db } = await openFaultDatabase()
  const writer = new Writer(db)
  t.ok(await writer.progress(100), 'the writer is under way')
  await writer.stop()
  const rules = [
    env.inject({ op: 'close', error: 'EIO' }),
    env.inject({ op: 'remove', error: 'EIO' }),
    env.inject({ op: 'sync', error: 'EIO' })
  ]
  await db.close()
  t.pass('close() settled')
  t.ok(rules[0].hits > 0, `closing files failed (${rules[0].hits} times)`)
  env.clear()
  const problems = await verifyReopen(env, location, writer.acknowledged, writer.attempted)
  t.deepEqual(problems.slice(0, 5), [], 'the lock was released and every acknowledged batch is there')
  t.deepEqual(watch.stop(), [], 'no unhandled rejection or uncaught exception')
})

/** Paths of this process's open descriptors that lie under `directory` (Linux /proc). */
function descriptorsUnder (directory: string): string[] {
  const open: string[] = []
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`)
      if (target.startsWith(directory)) open.push(target)
    } catch {}
  }
  return open
}

test('on the real file system, close() after an fsync failure releases every descriptor and the LOCK', async (t) => {
  const location = tempLocation('close-fds')
  const env = new FaultEnv(nodeEnv)
  const db = new LsmLevel<string, string>(location, { env, writeBufferSize: 64 * 1024 })
  await db.open()
  const writer = new Writer(db)
  t.ok(await writer.progress(100), 'the writer is under way')
  const rule = env.inject({ op: 'sync', error: 'EIO' })
  t.ok(await writer.rejection() !== undefined, 'a write failed')
  t.ok(rule.hits > 0, 'the fault was hit')
  await writer.stop()
  t.ok(descriptorsUnder(fs.realpathSync(location)).length > 0, 'files were open before close')
  env.inject({ op: 'close', error: 'EIO' })
  await db.close()
  t.deepEqual(descriptorsUnder(fs.realpathSync(location)), [], 'no descriptor is left open in the directory')
  env.clear()
  const problems = await verifyReopen(env, location, writer.acknowledged, writer.attempted)
  t.deepEqual(problems.slice(0, 5), [], 'the LOCK was released and every acknowledged batch is there')
})
