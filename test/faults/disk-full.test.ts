// Disk full (ENOSPC) on each kind of file while a writer keeps writing: the writes fail with
// LEVEL_IO_ERROR naming the file, reads go on, nothing crashes; once space is back the
// database resumes by itself; and whether or not it did, a reopen finds every acknowledged
// batch whole and no batch in part.

import test = require('tape')
import type { FaultSpec } from '../../lib/env/fault-env'
import { openFaultDatabase, until, verifyReopen, watchProcess, Writer, batchKeys } from '../support/fault-workload'

interface Case {
  name: string
  /** The fault(s); the first is the one the test must see hit. */
  faults: FaultSpec[]
  /** What the error message must name. */
  file: RegExp
}

const CASES: Case[] = [
  // A short write: part of a record reaches the log before the disk fills.
  { name: 'WAL append', faults: [{ op: 'append', file: /\.log$/, afterBytes: 100, error: 'ENOSPC' }], file: /\d{6}\.log: ENOSPC/ },
  { name: 'new WAL', faults: [{ op: 'create', file: /\.log$/, error: 'ENOSPC' }], file: /\d{6}\.log: ENOSPC/ },
  { name: 'table', faults: [{ op: 'append', file: /\.ldb$/, afterBytes: 1000, error: 'ENOSPC' }], file: /\d{6}\.ldb: ENOSPC/ },
  { name: 'MANIFEST', faults: [{ op: 'append', file: /MANIFEST-\d+$/, afterBytes: 10, error: 'ENOSPC' }], file: /MANIFEST-\d{6}: ENOSPC/ },
  {
    // CURRENT is rewritten when the engine moves to a new MANIFEST, which it does after a
    // MANIFEST append failed: tear the MANIFEST once, then fill the disk for CURRENT's temp file.
    name: 'CURRENT',
    faults: [
      { op: ['create', 'append'], file: /\.dbtmp$/, error: 'ENOSPC' },
      { op: 'append', file: /MANIFEST-\d+$/, times: 1, shortWrite: true, error: 'ENOSPC' }
    ],
    file: /MANIFEST-\d{6}: ENOSPC|\.dbtmp: ENOSPC/
  }
]

for (const c of CASES) {
  for (const recover of [true, false]) {
    test(`disk full on ${c.name}, ${recover ? 'space comes back: writes resume without a reopen' : 'space does not come back before close'}`, async (t) => {
      const watch = watchProcess()
      const { mem, env, location, db, events } = await openFaultDatabase()
      const writer = new Writer(db)
      t.ok(await writer.progress(100), 'the writer is under way (flushes and compactions running)')

      const rules = c.faults.map((spec) => env.inject(spec))
      const err = await writer.rejection() as (Error & { code?: string }) | undefined
      // (CURRENT's fault is met by the first retry, after the MANIFEST's.)
      t.ok(await until(() => rules[0].hits > 0, 10000), `the fault was hit (${rules[0].hits} calls failed)`)
      t.equal(err?.code, 'LEVEL_IO_ERROR', 'a write rejected with LEVEL_IO_ERROR')
      t.match(String(err?.message), c.file, `the message names the file and the errno: ${err?.message}`)
      const failure = events.find((e) => e.event === 'background-error')
      t.ok(failure !== undefined && failure.payload.retryable === true, `'background-error' was emitted, retryable (${failure?.payload.operation})`)

      const later = await writer.rejection()
      t.equal((later as { code?: string } | undefined)?.code, 'LEVEL_IO_ERROR', 'later writes reject too')
      const acked = Array.from(writer.acknowledged)
      const sample = acked[Math.floor(acked.length / 2)]
      t.deepEqual(await db.getMany(batchKeys(sample)), batchKeys(sample).map(() => `${'v'.repeat(100)}${sample}`), 'reads still serve acknowledged data')

      if (recover) {
        for (const rule of rules) env.clear(rule)
        t.ok(await until(() => events.some((e) => e.event === 'resumed'), 20000), "'resumed' was emitted once space was back")
        t.ok(await writer.progress(100), 'writes are accepted again, with no reopen')
      }
      await writer.stop()
      await db.close()
      t.pass('close() settled')
      for (const rule of rules) env.clear(rule)

      const problems = await verifyReopen(mem.crash('process'), location, writer.acknowledged, writer.attempted)
      t.deepEqual(problems.slice(0, 5), [], `after reopen: all ${writer.acknowledged.size} acknowledged batches whole, none partial`)
      t.deepEqual(watch.stop(), [], 'no unhandled rejection or uncaught exception')
    })
  }
}
