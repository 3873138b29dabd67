// Opening keeps a cleanly replayed log (LevelDB's reuse_logs): the records stay in the
// memtable, writes append to the same log, no table or MANIFEST is written. What must hold:
// a torn tail is cut off before appending (else a later open would stop at it and lose
// what came after), and a log that cannot be kept is turned into tables as before.

import test = require('tape')
import * as path from 'path'
import { LsmLevel } from '../../index'
import { MemEnv } from '../../lib/env/mem-env'
import { FaultEnv } from '../../lib/env/fault-env'

const LOCATION = '/reuse/db'

function names (env: MemEnv): string[] {
  return env.list(LOCATION).filter((name) => name !== 'LOG' && name !== 'LOG.old' && name !== 'LOCK')
}

async function write (env: MemEnv | FaultEnv, from: number, to: number, options: Record<string, unknown> = {}): Promise<void> {
  const db = new LsmLevel<string, string>(LOCATION, { env, ...options })
  await db.open()
  for (let i = from; i < to; i++) await db.put(`k${String(i).padStart(5, '0')}`, `v${i}`)
  await db.close()
}

async function readAll (env: MemEnv | FaultEnv): Promise<string[]> {
  const db = new LsmLevel<string, string>(LOCATION, { env })
  await db.open()
  const keys = await db.keys().all()
  await db.close()
  return keys
}

test('a clean reopen writes no table and no MANIFEST, and appends to the same log', async (t) => {
  const env = new MemEnv()
  await write(env, 0, 100)
  const before = names(env)
  const log = before.find((name) => name.endsWith('.log')) as string
  const size = env.fileSize(path.join(LOCATION, log))
  await write(env, 100, 200)
  const after = names(env)
  t.deepEqual(after, before, `the same files: ${after.join(' ')}`)
  t.ok(env.fileSize(path.join(LOCATION, log)) > size, 'the log grew')
  t.equal((await readAll(env)).length, 200, 'every key is there')
  t.end()
})

test('an empty log is kept too: opens with no writes change no file, MANIFEST included', async (t) => {
  const env = new MemEnv()
  await write(env, 0, 0)
  const before = names(env)
  const log = before.find((name) => name.endsWith('.log'))
  t.ok(log !== undefined && env.fileSize(path.join(LOCATION, log)) === 0, `close left its empty log: ${before.join(' ')}`)
  const manifest = before.find((name) => name.startsWith('MANIFEST-')) as string
  const manifestBytes = env.contents(path.join(LOCATION, manifest))
  for (let round = 0; round < 3; round++) await write(env, 0, 0)
  t.deepEqual(names(env), before, 'three more opens: the same files')
  t.ok(env.contents(path.join(LOCATION, manifest)).equals(manifestBytes), 'and the same MANIFEST bytes')
  await write(env, 0, 10)
  t.deepEqual(names(env), before, 'writes then go to that log')
  t.equal((await readAll(env)).length, 10, 'and the next open replays them')
  t.end()
})

test('a torn tail is cut off before the log is appended to', async (t) => {
  const env = new MemEnv()
  await write(env, 0, 50)
  const log = path.join(LOCATION, names(env).find((name) => name.endsWith('.log')) as string)
  const whole = env.contents(log)
  // A crash in the middle of an append: half a record at the end.
  env.overwrite(log, Buffer.concat([whole, Buffer.from([0x12, 0x34, 0x56, 0x78, 0x40, 0x00, 0x01, 0xaa, 0xbb])]))
  await write(env, 50, 100)
  t.ok(env.contents(log).subarray(0, whole.length).equals(whole), 'the whole records are kept')
  t.equal((await readAll(env)).length, 100, 'writes made after the torn tail survive the next open')
  t.end()
})

test('a damaged log is not kept: its readable records go to a table and a new log starts', async (t) => {
  const env = new MemEnv()
  await write(env, 0, 50)
  const logName = names(env).find((name) => name.endsWith('.log')) as string
  const log = path.join(LOCATION, logName)
  const bytes = env.contents(log)
  bytes[Math.floor(bytes.length / 2)] ^= 0xff
  env.overwrite(log, bytes)
  await write(env, 1000, 1010)
  const after = names(env)
  t.notOk(after.includes(logName), 'the damaged log is gone')
  t.ok(after.some((name) => name.endsWith('.ldb')), 'its records are in a table')
  const keys = await readAll(env)
  t.ok(keys.length > 10 && keys.length < 60, `the records before the damage and the new writes: ${keys.length} keys`)
  t.ok(keys.includes('k01009'), 'the new writes survive')
  t.end()
})

test('a log bigger than the memtable is flushed at open, as before', async (t) => {
  const env = new MemEnv()
  const db = new LsmLevel<string, string>(LOCATION, { env, writeBufferSize: 1024 * 1024 })
  await db.open()
  for (let i = 0; i < 4000; i++) await db.put(`k${i}`, 'x'.repeat(200))
  await db.close()
  const fault = new FaultEnv(env)
  const tables = fault.inject({ op: 'create', file: /\.ldb$/ })
  await write(fault, 0, 0, { writeBufferSize: 64 * 1024 })
  t.ok(tables.seen > 0, `open wrote ${tables.seen} tables`)
  t.equal((await readAll(env)).length, 4000)
  t.end()
})

test('a power cut after appending to a kept log loses only unsynced writes', async (t) => {
  const env = new MemEnv()
  await write(env, 0, 20)
  const db = new LsmLevel<string, string>(LOCATION, { env })
  await db.open()
  await db.put('synced', 'yes', { sync: true })
  await db.put('unsynced', 'maybe')
  const crashed = env.crash('power')
  await db.close()
  const keys = await readAll(crashed)
  t.ok(keys.includes('synced'), 'the sync write survived')
  t.ok(keys.includes('k00019'), 'and everything before it')
  t.end()
})

test('a clean reopen lists the directory once, and sweeps nothing', async (t) => {
  const env = new MemEnv()
  await write(env, 0, 20)
  const fault = new FaultEnv(env)
  const listings = fault.inject({ op: 'list', file: /reuse\/db$/ })
  await write(fault, 20, 30)
  t.equal(listings.seen, 1, 'open used the listing recovery took; no sweep listed it again')
  t.equal((await readAll(env)).length, 30)
  t.end()
})

test('open deletes what its listing shows obsolete', async (t) => {
  const env = new MemEnv()
  await write(env, 0, 20)
  const manifest = names(env).find((name) => name.startsWith('MANIFEST-')) as string
  // A MANIFEST older than the live one, left by a crash between CURRENT's update and the sweep.
  const stale = 'MANIFEST-000001'
  t.notEqual(manifest, stale, `the live MANIFEST is ${manifest}`)
  env.createWritable(path.join(LOCATION, stale)).close()
  await write(env, 20, 30)
  t.notOk(names(env).includes(stale), 'the older MANIFEST is gone once the database closes')
  t.ok(names(env).includes(manifest), 'the live one stays')
  t.equal((await readAll(env)).length, 30)
  t.end()
})
