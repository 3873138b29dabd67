// Seek compactions, as LevelDB's: reads that must search a second table charge a seek to
// the first; once a file's allowance (one per 16 KiB, at least 100) is used up it is
// compacted into the next level, so a read-heavy database ends up with fewer tables to
// search per read.

import test = require('tape')
import * as path from 'path'
import { LsmLevel } from '../../index'
import { MemEnv } from '../../lib/env/mem-env'

const LOCATION = '/seek/db'

function key (i: number): string {
  return `key${String(i).padStart(6, '0')}`
}

function files (db: LsmLevel<string, string>): number[] {
  return Array.from({ length: 7 }, (_v, level) => Number(db.getProperty(`leveldb.num-files-at-level${level}`)))
}

test('reads that search two tables make the first one compacted (a seek compaction)', async (t) => {
  const env = new MemEnv()
  const first = new LsmLevel<string, string>(LOCATION, { env })
  await first.open()
  // Even keys, compacted down; then odd keys over the same range, flushed (small write
  // buffer) to level-0 tables above them: a read of an even key searches one in vain first.
  await first.batch(Array.from({ length: 2000 }, (_v, i) => ({ type: 'put' as const, key: key(2 * i), value: 'even' })))
  await first.compactRange(key(0), key(4000))
  await first.close()
  const db = new LsmLevel<string, string>(LOCATION, { env, writeBufferSize: 64 * 1024 })
  await db.open()
  for (let i = 0; i < 2000; i++) await db.put(key(2 * i + 1), 'odd'.padEnd(100, '.'))
  await new Promise((resolve) => setTimeout(resolve, 100))
  const before = files(db)
  t.ok(before.filter((n) => n > 0).length >= 2, `two levels hold tables: ${before.join(' ')}`)
  let wrong = 0
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 2000; i += 7) if (db.getSync(key(2 * i)) !== 'even') wrong++
  }
  t.equal(wrong, 0, 'reads find the even keys')
  let log = ''
  for (let wait = 0; wait < 300 && !/Compacted .*\(seek\)/.test(log); wait++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    log = env.readFile(path.join(LOCATION, 'LOG')).toString()
  }
  t.match(log, /Compacted .*\(seek\)/, 'LOG shows a seek compaction done')
  const after = files(db)
  const total = (counts: number[]): number => counts.reduce((a, b) => a + b, 0)
  t.ok(total(after) < total(before), `fewer tables: ${before.join(' ')} -> ${after.join(' ')}`)
  t.equal(db.getSync(key(2)), 'even')
  t.equal(db.getSync(key(3)), 'odd'.padEnd(100, '.'))
  await db.close()
})
