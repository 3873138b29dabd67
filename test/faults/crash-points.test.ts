// A crash at every sync point of flushes and MANIFEST writes (the table's sync, the
// directory's, the MANIFEST's, CURRENT's temp file's), on the in-memory environment:
//   power cut    everything not synced is lost; the database must come back as a prefix of
//                the batches written (no hole, no partial batch), holding at least every
//                batch acknowledged before the last acknowledged sync write
//   process kill the kernel keeps what was written; every acknowledged batch must be back
// Run k crashes at the k-th such sync point; runs go on until one has fewer than k of them.

import test = require('tape')
import { LsmLevel } from '../../index'
import type { CrashMode, MemEnv } from '../../lib/env/mem-env'
import { BATCH_OPS, batchKeys, openFaultDatabase, until, watchProcess } from '../support/fault-workload'

const BATCHES = 400
// Every tenth batch is written with sync: true.
const SYNC_EVERY = 10
const MAX_RUNS = 80

interface Outcome {
  reached: boolean
  acknowledged: Set<number>
  attempted: number
  crashedEnv: MemEnv | undefined
  location: string
}

async function runToCrash (k: number, mode: CrashMode): Promise<Outcome> {
  const { mem, env, location, db } = await openFaultDatabase()
  let crashedEnv: MemEnv | undefined
  env.inject({
    op: ['sync', 'syncDirectory'],
    file: (file) => !file.endsWith('.log'),
    nth: k,
    times: 1,
    error: 'EIO',
    onFault: () => { crashedEnv = mem.crash(mode) }
  })
  const acknowledged = new Set<number>()
  let attempted = 0
  const pending: Array<Promise<void>> = []
  for (let i = 0; i < BATCHES && crashedEnv === undefined; i++) {
    attempted = i + 1
    const ops = batchKeys(i).map((key) => ({ type: 'put' as const, key, value: `value ${i} `.repeat(12) }))
    const write = db.batch(ops, { sync: i % SYNC_EVERY === SYNC_EVERY - 1 }).then(() => { acknowledged.add(i) }, () => {})
    // A few writes in flight at once, so groups and switches interleave with background work.
    pending.push(write)
    if (pending.length >= 4) await pending.shift()
  }
  await Promise.all(pending)
  if (crashedEnv === undefined) {
    // Give background work the chance to reach the sync point anyway.
    await until(() => crashedEnv !== undefined, 200)
  }
  await db.close()
  return { reached: crashedEnv !== undefined, acknowledged, attempted, crashedEnv, location }
}

/** What survived: the batches present in full, and problems (partial batches, wrong values). */
async function recovered (env: MemEnv, location: string, attempted: number): Promise<{ present: number[], problems: string[] }> {
  const db = new LsmLevel<string, string>(location, { env })
  await db.open()
  const present: number[] = []
  const problems: string[] = []
  try {
    for (let i = 0; i < attempted; i++) {
      const values = await db.getMany(batchKeys(i))
      const count = values.filter((v) => v !== undefined).length
      if (count === BATCH_OPS) present.push(i)
      else if (count !== 0) problems.push(`batch ${i} is partial (${count} of ${BATCH_OPS})`)
      if (count > 0 && values.some((v) => v !== undefined && v !== `value ${i} `.repeat(12))) problems.push(`batch ${i} has wrong values`)
    }
  } finally {
    await db.close()
  }
  return { present, problems }
}

for (const mode of ['power', 'process'] as const) {
  test(`crash (${mode === 'power' ? 'power cut' : 'process kill'}) at every sync point of flushes and MANIFEST writes`, async (t) => {
    const watch = watchProcess()
    const failures: string[] = []
    let runs = 0
    let lostTotal = 0
    for (let k = 1; k <= MAX_RUNS; k++) {
      const outcome = await runToCrash(k, mode)
      if (!outcome.reached) break
      runs++
      const { present, problems } = await recovered(outcome.crashedEnv as MemEnv, outcome.location, outcome.attempted)
      failures.push(...problems.map((p) => `crash at sync point ${k}: ${p}`))
      const m = present.length
      if (present.some((batch, index) => batch !== index)) failures.push(`crash at sync point ${k}: a hole: batches ${present.slice(0, 20).join(',')}...`)
      const acked = Array.from(outcome.acknowledged).sort((a, b) => a - b)
      if (mode === 'process') {
        const lost = acked.filter((i) => i >= m)
        if (lost.length > 0) failures.push(`crash at sync point ${k}: acknowledged batches lost: ${lost.slice(0, 10).join(',')}`)
      } else {
        const lastSynced = acked.filter((i) => i % SYNC_EVERY === SYNC_EVERY - 1).pop() ?? -1
        if (m <= lastSynced) failures.push(`crash at sync point ${k}: batch ${lastSynced} was acknowledged with sync, but only ${m} batches survived`)
        lostTotal += acked.filter((i) => i >= m).length
      }
    }
    t.ok(runs >= 10, `${runs} crash points reached (flushes and MANIFEST writes each have several)`)
    t.deepEqual(failures.slice(0, 10), [], mode === 'power'
      ? `every run came back as a prefix holding every sync-acknowledged batch (${lostTotal} unsynced acknowledged batches lost in all, as allowed)`
      : 'every run came back with every acknowledged batch')
    t.deepEqual(watch.stop(), [], 'no unhandled rejection or uncaught exception')
  })
}
