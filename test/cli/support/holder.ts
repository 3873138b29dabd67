// Child process for test/cli/held-open.test.ts: opens a database with lsm-level or
// classic-level, writes to it (tables and a write still in the WAL) and keeps it open.
//
//   node dist/test/cli/support/holder.js lsm|classic <location>
//
// Prints "ready" once its writes are done and its background work has settled, then holds the
// database until killed.

import { keyOf, valueOf } from './fixtures'

const [engine, location] = process.argv.slice(2)

async function main (): Promise<void> {
  const Level = engine === 'classic' ? require('classic-level').ClassicLevel : require('../../../index').LsmLevel
  const db = new Level(location, { writeBufferSize: 64 * 1024 })
  await db.open()
  const batch = []
  for (let i = 0; i < 2000; i++) batch.push({ type: 'put', key: keyOf(i), value: valueOf(i) })
  for (let i = 0; i < 2000; i += 100) await db.batch(batch.slice(i, i + 100))
  await db.compactRange(keyOf(0), keyOf(2000))
  await db.put('held-in-wal', 'only in the log')
  // Let the info log and any follow-up compaction finish before the test looks at the files.
  await new Promise((resolve) => setTimeout(resolve, 300))
  console.log('ready')
  setInterval(() => {}, 1000)
}

main().catch((err) => {
  console.log(`error ${(err as Error).stack}`)
  process.exitCode = 1
})
