// Up to two sealed memtables wait for their flushes (memtables.ts, MAX_IMMUTABLE): writes
// stall only when a third fills. What must hold while they wait: every read sees all three
// memtables, and each flush moves the MANIFEST's log number only as far as the WAL that
// followed its own memtable, so a crash between the two flushes loses nothing.
//
// The flushes are held by gating the MANIFEST appends that install them (FaultEnv): the
// tables get written, but no memtable counts as flushed until a gate opens.

import test = require('tape')
import { LsmLevel } from '../../index'
import { MemEnv } from '../../lib/env/mem-env'
import { FaultEnv } from '../../lib/env/fault-env'
import { MAX_IMMUTABLE } from '../../lib/engine/memtables'

const LOCATION = '/sealed/db'
// About 60 entries fill a 64 KiB memtable.
const VALUE = 'v'.repeat(1000)

function keyOf (i: number): string {
  return `k${String(i).padStart(6, '0')}`
}

/** Puts keys one at a time until a put has not resolved after `patienceMs`; returns how many were acknowledged and the one left waiting. */
async function putUntilStalled (db: LsmLevel<string, string>, patienceMs: number): Promise<{ acknowledged: number, waiting: Promise<void> }> {
  for (let i = 0; ; i++) {
    const put = db.put(keyOf(i), VALUE)
    const settled = await Promise.race([put.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), patienceMs))])
    if (!settled) return { acknowledged: i, waiting: put }
    if (i > 10000) throw new Error('no stall: the gate did not hold the flushes')
  }
}

function gatedManifest (env: FaultEnv, passFirst: number): { release: () => void, appends: () => number } {
  let release!: () => void
  const held = new Promise<void>((resolve) => { release = resolve })
  let appends = 0
  env.inject({ op: 'append', file: /MANIFEST-/, gate: async () => { if (appends++ >= passFirst) await held } })
  return { release, appends: () => appends }
}

test('sealed memtables: two wait for their flushes, reads see all three memtables, and writes stall on the third', async (t) => {
  t.equal(MAX_IMMUTABLE, 2, 'two sealed memtables at most')
  const env = new FaultEnv(new MemEnv())
  const db = new LsmLevel<string, string>(LOCATION, { env, writeBufferSize: 64 * 1024 })
  await db.open()
  const stalls: string[] = []
  db.on('write-stall', ({ reason }: { reason: string }) => stalls.push(reason))
  const gate = gatedManifest(env, 0)

  const { acknowledged, waiting } = await putUntilStalled(db, 300)
  t.ok(gate.appends() > 0, `the first flush reached its MANIFEST append and is held there (${gate.appends()} append)`)
  t.deepEqual(stalls, ['memtable-full'], 'the writer stalled on a full memtable')
  // One sealed memtable would have stalled after two memtables' worth (about 120 puts).
  t.ok(acknowledged > 150, `${acknowledged} puts went through first: three memtables' worth`)

  let missing = 0
  for (let i = 0; i < acknowledged; i++) if (db.getSync(keyOf(i)) !== VALUE) missing++
  t.equal(missing, 0, 'getSync finds every acknowledged key, in whichever memtable it is')
  const many = await db.getMany([keyOf(0), keyOf(Math.floor(acknowledged / 2)), keyOf(acknowledged - 1)])
  t.deepEqual(many, [VALUE, VALUE, VALUE], 'getMany reads the oldest, a middle and the newest memtable')
  const keys = await db.keys().all()
  t.equal(keys.length, acknowledged, 'an iterator merges all three memtables')
  t.deepEqual(keys, keys.slice().sort(), 'in order')
  const snapshot = db.snapshot()
  const deleting = db.del(keyOf(0)) // waits behind the stalled put

  gate.release()
  await waiting
  await deleting
  t.equal(await db.get(keyOf(0), { snapshot }), VALUE, 'a snapshot taken before the delete still reads the value once it lands')
  await snapshot.close()
  t.equal(await db.get(keyOf(0)), undefined, 'and the delete is seen after it')
  await db.close()

  const again = new LsmLevel<string, string>(LOCATION, { env })
  await again.open()
  t.equal((await again.keys().all()).length, acknowledged, 'after a reopen: every key written, less the deleted one, plus the one that waited')
  await again.close()
})

test('sealed memtables: a crash after the first of two flushes is installed loses no acknowledged write', async (t) => {
  const mem = new MemEnv()
  const env = new FaultEnv(mem)
  const db = new LsmLevel<string, string>(LOCATION, { env, writeBufferSize: 64 * 1024 })
  await db.open()
  let flushes = 0
  db.on('flush', () => { flushes++ })
  // The first flush installs; the second is held at its MANIFEST append.
  const gate = gatedManifest(env, 1)
  const { acknowledged } = await putUntilStalled(db, 300)
  t.equal(flushes, 1, 'one flush installed')
  t.equal(gate.appends(), 2, 'the second flush reached its MANIFEST append and is held there')
  t.ok(acknowledged > 150, `${acknowledged} puts acknowledged: the second sealed memtable holds some of them`)

  const crashed = mem.crash('process')
  gate.release()
  await db.close().catch(() => {})
  const reopened = new LsmLevel<string, string>(LOCATION, { env: crashed })
  await reopened.open()
  let missing = 0
  for (let i = 0; i < acknowledged; i++) if (await reopened.get(keyOf(i)) !== VALUE) missing++
  t.equal(missing, 0, 'every acknowledged put survives: the MANIFEST still names the second memtable\'s WAL')
  await reopened.close()
})

/** Writes `rounds` memtables' worth, each overwriting the same keys with its round's value. */
async function overwriteRounds (db: LsmLevel<string, string>, rounds: number, keys: number): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    for (let i = 0; i < keys; i++) await db.put(keyOf(i), `${round}:${VALUE}`)
  }
}

test('sealed memtables: overwrites across many memtables flushed one after another: newer values win, tables install in number order', async (t) => {
  const mem = new MemEnv()
  const db = new LsmLevel<string, string>(LOCATION, { env: mem, writeBufferSize: 64 * 1024 })
  await db.open()
  const flushed: Array<{ file: number, level: number }> = []
  db.on('flush', ({ file, level }: { file: number, level: number }) => flushed.push({ file, level }))
  // 30 rounds of the same 70 keys: every memtable overlaps the ones before, so most tables
  // land in level 0, where the higher file number must be the newer data.
  await overwriteRounds(db, 30, 70)
  let wrong = 0
  for (let i = 0; i < 70; i++) if (db.getSync(keyOf(i)) !== `30:${VALUE}`) wrong++
  t.equal(wrong, 0, 'every key reads its last round')
  await db.close()
  t.ok(flushed.length >= 20, `${flushed.length} flushes`)
  t.deepEqual(flushed.map((f) => f.file), flushed.map((f) => f.file).slice().sort((a, b) => a - b), 'flushes were installed in the order of their file numbers')
  const again = new LsmLevel<string, string>(LOCATION, { env: mem })
  await again.open()
  wrong = 0
  for (let i = 0; i < 70; i++) if (await again.get(keyOf(i)) !== `30:${VALUE}`) wrong++
  t.equal(wrong, 0, 'and after a reopen')
  await again.close()
})
