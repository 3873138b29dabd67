// The WAL manager's file handling: a prepared next WAL, a switch that does not wait for it.

import test = require('tape')
import { basename } from 'path'
import { MemEnv } from '../../lib/env/mem-env'
import { WalManager } from '../../lib/engine/wal-manager'
import { LogReader } from '../../lib/wal/log-reader'
import { logFileName } from '../../lib/format/filename'

const DIR = '/mem/db'

function recordsOf (data: Buffer): string[] {
  const records: string[] = []
  const reader = new LogReader(data, (c) => { throw new Error(`damaged log: ${JSON.stringify(c)}`) })
  for (let r = reader.next(); r !== undefined; r = reader.next()) records.push(Buffer.from(r).toString())
  return records
}

test('wal manager: a switch while the prepared WAL is still being created writes to a file nothing truncates', async (t) => {
  const env = new MemEnv()
  env.makeDirectory(DIR)
  let next = 2
  const wal = WalManager.create(env, DIR, 1, () => next++, (err) => t.fail(err.message))
  wal.prepare()
  // The prepared file's creation runs on a later turn; switch before it does.
  const number = wal.switch()
  for (let i = 0; i < 3; i++) t.equal(wal.append(Buffer.from(`record ${i}`)), undefined, `record ${i} appended synchronously`)
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(wal.append(Buffer.from('record 3')), undefined, 'record 3 appended after the prepared creation ran')
  await wal.close(true)
  t.deepEqual(recordsOf(env.readFile(logFileName(DIR, number))), ['record 0', 'record 1', 'record 2', 'record 3'],
    `WAL #${number} holds every record`)
  const logs = env.list(DIR).filter((name) => name.endsWith('.log')).sort()
  t.deepEqual(logs, [basename(logFileName(DIR, 1)), basename(logFileName(DIR, number))],
    'the prepared file nothing names was removed')
  t.end()
})
