// compactRange() seals the memtable while writes go on. The switch to a new log must fall
// between write groups: a group whose append is under way when the memtable is sealed
// would have its record in the old log and its entries in the new memtable, and the old
// log is deleted after the flush. A process kill must then find every acknowledged write.

import test = require('tape')
import { LsmLevel } from '../../index'
import { MemEnv } from '../../lib/env/mem-env'
import { FaultEnv } from '../../lib/env/fault-env'

const LOCATION = '/race/db'

test('compactRange while writes are in flight: a kill loses no acknowledged write', async (t) => {
  const mem = new MemEnv()
  const env = new FaultEnv(mem)
  // Now and then a WAL append is slow (3 ms), which sends the appends of the next second to
  // the thread pool (wal-manager.ts): then a seal can meet an append under way.
  let appends = 0
  env.inject({
    op: 'append',
    file: /\.log$/,
    onCall: () => {
      if (appends++ % 300 !== 0) return
      const until = Date.now() + 3
      while (Date.now() < until) {}
    }
  })
  const db = new LsmLevel<string, string>(LOCATION, { env, writeBufferSize: 64 * 1024 })
  await db.open()
  const acknowledged: string[] = []
  let stop = false
  const writers = Array.from({ length: 4 }, async (_v, w) => {
    for (let i = 0; !stop; i++) {
      const key = `w${w}-${String(i).padStart(6, '0')}`
      await db.put(key, 'x'.repeat(40))
      acknowledged.push(key)
    }
  })
  // A range the writes do not touch: each call still seals and flushes the memtable.
  for (let round = 0; round < 40; round++) await db.compactRange('a', 'b')
  stop = true
  await Promise.all(writers)
  const after = mem.crash('process')
  await db.close()
  const reopened = new LsmLevel<string, string>(LOCATION, { env: after })
  await reopened.open()
  const present = new Set(await reopened.keys().all())
  await reopened.close()
  const lost = acknowledged.filter((key) => !present.has(key))
  t.ok(acknowledged.length > 1000, `${acknowledged.length} writes acknowledged during 40 compactRange calls`)
  t.deepEqual(lost.slice(0, 10), [], `none lost (${lost.length})`)
})
