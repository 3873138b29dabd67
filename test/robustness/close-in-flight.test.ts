// Closing while reads, writes and iterators are in flight: close() resolves; every put that
// resolved is there after a reopen; nothing rejects unhandled; iterators either finish or
// reject with a LEVEL_* code.

import test = require('tape')
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'
import { FaultEnv } from '../../lib/env/fault-env'
import { nodeEnv } from '../../lib/env/node-env'

const unhandled: unknown[] = []
process.on('unhandledRejection', (reason) => { unhandled.push(reason) })

function tick (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

interface Tracker {
  /** Keys whose put resolved, with the value written. */
  acked: Map<string, string>
  /** Error codes of rejected operations, by kind. */
  rejected: Map<string, Set<string>>
  /** Rejections without a LEVEL_* code. */
  strange: string[]
  pending: Array<Promise<unknown>>
  iteratorsFinished: number
  iteratorsRejected: number
}

function tracker (): Tracker {
  return { acked: new Map(), rejected: new Map(), strange: [], pending: [], iteratorsFinished: 0, iteratorsRejected: 0 }
}

function track (tr: Tracker, kind: string, p: Promise<unknown>, onOk?: () => void): void {
  tr.pending.push(p.then(() => onOk?.(), (err: { code?: string, message?: string }) => {
    const code = String(err?.code)
    if (!code.startsWith('LEVEL_')) tr.strange.push(`${kind}: ${code} ${err?.message}`)
    if (!tr.rejected.has(kind)) tr.rejected.set(kind, new Set())
    tr.rejected.get(kind)!.add(code)
  }))
}

const ITERATORS_PER_LOAD = 8

/** Starts a mix of unawaited writes, reads and iterations against db. */
function startLoad (db: LsmLevel<string, string>, tr: Tracker, round: number, valueSize: number): void {
  for (let i = 0; i < 300; i++) {
    const key = `w${round}-${i}`
    const value = `${round}:${i}:`.padEnd(valueSize, 'v')
    if (i % 50 === 0) {
      track(tr, 'batch', db.batch([{ type: 'put', key, value }, { type: 'put', key: key + '-b', value }]), () => {
        tr.acked.set(key, value)
        tr.acked.set(key + '-b', value)
      })
    } else {
      track(tr, 'put', db.put(key, value, { sync: i % 97 === 0 }), () => tr.acked.set(key, value))
    }
    if (i % 10 === 0) track(tr, 'get', db.get(`base-${i}`))
    if (i % 25 === 0) track(tr, 'getMany', db.getMany([`base-${i}`, key]))
  }
  // Iterators in various states.
  const iterate = async (options: Record<string, unknown>, slow: boolean): Promise<void> => {
    let n = 0
    for await (const entry of db.iterator(options)) {
      if (entry === undefined) throw new Error('undefined entry')
      if (slow && ++n % 100 === 0) await tick()
    }
  }
  const iterations: Array<Promise<unknown>> = [
    iterate({}, true),
    iterate({ reverse: true }, true),
    iterate({ gte: 'base-1', lt: 'base-5' }, false),
    db.iterator().all(),
    db.keys({ limit: 5000 }).all(),
    db.values().nextv(1000),
    (async () => { const it = db.iterator(); await it.next(); await tick(); await it.next(); await it.close() })(),
    (async () => { const it = db.iterator(); it.seek('base-5'); return it.next() })() // never closed by us
  ]
  if (iterations.length !== ITERATORS_PER_LOAD) throw new Error('update ITERATORS_PER_LOAD')
  for (const p of iterations) {
    tr.pending.push(p.then(() => { tr.iteratorsFinished++ }, (err: { code?: string, message?: string }) => {
      tr.iteratorsRejected++
      if (!String(err?.code).startsWith('LEVEL_')) tr.strange.push(`iterator: ${err?.code} ${err?.message}`)
    }))
  }
}

async function checkAfterReopen (t: test.Test, location: string, tr: Tracker, label: string, seeded = true): Promise<void> {
  const db = new LsmLevel<string, string>(location)
  await db.open()
  const keys = [...tr.acked.keys()]
  const got = await db.getMany(keys)
  const lost = keys.filter((key, i) => got[i] !== tr.acked.get(key))
  t.deepEqual(lost.slice(0, 10), [], `${label}: all ${keys.length} resolved writes are there after reopen`)
  if (seeded) t.equal(await db.get('base-0'), 'base value 0', `${label}: older data intact`)
  await db.close()
}

async function seed (location: string, writeBufferSize: number): Promise<void> {
  const db = new LsmLevel<string, string>(location, { writeBufferSize })
  await db.open()
  const ops = []
  for (let i = 0; i < 5000; i++) ops.push({ type: 'put' as const, key: `base-${i}`, value: `base value ${i}` })
  for (let i = 0; i < ops.length; i += 500) await db.batch(ops.slice(i, i + 500))
  await db.close()
}

for (const [when, wait] of [['in the same tick', 0], ['after one turn of the event loop', 1], ['after a few turns (flushes under way)', 5]] as const) {
  test(`close ${when} as reads, writes and iterators start`, async (t) => {
    const location = tempLocation('close-busy')
    const writeBufferSize = 64 * 1024
    await seed(location, writeBufferSize)
    // The fault environment fails nothing here; it records every file operation after close().
    const env = new FaultEnv(nodeEnv)
    const db = new LsmLevel<string, string>(location, { writeBufferSize, env })
    await db.open()
    const tr = tracker()
    for (let round = 0; round < 3; round++) {
      startLoad(db, tr, round, 2000)
      for (let i = 0; i < wait; i++) await tick()
    }
    const closing = db.close()
    // Calls made after close() began.
    track(tr, 'put after close', db.put('late', 'x'), () => tr.acked.set('late', 'x'))
    track(tr, 'get after close', db.get('base-1'))
    tr.pending.push((async () => db.iterator().all())().then(() => { tr.iteratorsFinished++ }, (err) => {
      tr.iteratorsRejected++
      if (!String(err?.code).startsWith('LEVEL_')) tr.strange.push(`late iterator: ${err?.code} ${err?.message}`)
    }))
    await closing
    env.recording = true
    t.pass('close resolved')
    t.equal(db.status, 'closed', 'status is closed')
    await Promise.all(tr.pending)
    for (let i = 0; i < 20; i++) await tick()
    t.deepEqual(env.calls.slice(0, 5), [], 'no file operation after close() resolved')
    t.deepEqual(tr.strange, [], 'every rejection carries a LEVEL_* code')
    t.ok(tr.rejected.get('put after close')?.has('LEVEL_DATABASE_NOT_OPEN'), 'a put issued after close() rejects with LEVEL_DATABASE_NOT_OPEN')
    t.comment(`${tr.acked.size} writes resolved; rejected: ${[...tr.rejected].map(([k, v]) => `${k} (${[...v].join(' ')})`).join(', ') || 'none'}; iterators: ${tr.iteratorsFinished} finished, ${tr.iteratorsRejected} rejected`)
    t.equal(tr.iteratorsFinished + tr.iteratorsRejected, 3 * ITERATORS_PER_LOAD + 1, 'every iterator finished or rejected')
    t.deepEqual(unhandled, [], 'no unhandled rejections')
    await checkAfterReopen(t, location, tr, when)
  })
}

test('close while a sync write waits for fdatasync, twice in a row, and open during close', async (t) => {
  const location = tempLocation('close-sync')
  const db = new LsmLevel<string, string>(location)
  await db.open()
  const tr = tracker()
  track(tr, 'sync put', db.put('s1', 'v1', { sync: true }), () => tr.acked.set('s1', 'v1'))
  track(tr, 'put', db.put('s2', 'v2'), () => tr.acked.set('s2', 'v2'))
  await tick()
  track(tr, 'put', db.put('s3', 'v3'), () => tr.acked.set('s3', 'v3'))
  const first = db.close()
  const second = db.close()
  await Promise.all([first, second])
  t.pass('two concurrent close() calls resolve')
  await Promise.all(tr.pending)
  t.deepEqual(tr.strange, [], 'every rejection carries a LEVEL_* code')
  t.ok(tr.acked.has('s1') && tr.acked.has('s2') && tr.acked.has('s3'), 'writes issued before close() resolved')

  await db.open()
  const closing = db.close()
  const reopening = db.open()
  await closing
  await reopening
  t.equal(db.status, 'open', 'open() called during close() reopens after it')
  t.deepEqual(await db.getMany(['s1', 's2', 's3']), ['v1', 'v2', 'v3'], 'the writes are there')
  await db.close()
  await checkAfterReopen(t, location, tr, 'sync close', false).catch((err) => t.fail(String(err)))
  t.deepEqual(unhandled, [], 'no unhandled rejections')
})

test('close with an iterator abandoned half-way, and with a snapshot held', async (t) => {
  const location = tempLocation('close-abandoned')
  await seed(location, 64 * 1024)
  const db = new LsmLevel<string, string>(location)
  await db.open()
  const it = db.iterator()
  const firstEntries = await it.nextv(10)
  t.equal(firstEntries.length, 10, 'read ten entries')
  const snapshot = db.snapshot()
  await db.put('base-0', 'changed')
  t.equal(await db.get('base-0', { snapshot }), 'base value 0', 'the snapshot reads the old value')
  await db.close()
  t.pass('close resolved with an open iterator and snapshot')
  const err = await it.next().then(() => undefined, (e) => e)
  t.match(String(err?.code), /^LEVEL_/, `the abandoned iterator rejects afterwards with ${err?.code}`)
  await db.open()
  t.equal(await db.get('base-0'), 'changed', 'reopened with the write')
  await db.close()
  t.deepEqual(unhandled, [], 'no unhandled rejections')
})

test('close while clear() is under way: nothing is written after close, a clear that resolved is complete', async (t) => {
  const fs = require('fs') as typeof import('fs')
  const location = tempLocation('close-clear')
  const env = new FaultEnv(nodeEnv)
  const db = new LsmLevel<string, string>(location, { env })
  await db.open()
  for (let i = 0; i < 100_000; i += 1000) {
    await db.batch(Array.from({ length: 1000 }, (_v, j) => ({ type: 'put' as const, key: `k${String(i + j).padStart(7, '0')}`, value: 'v' })))
  }
  await db.close()
  await db.open()

  let clearOutcome = 'pending'
  const clearing = db.clear().then(() => { clearOutcome = 'resolved' }, (err) => { clearOutcome = `rejected ${err?.code}` })
  await tick()
  await db.close()
  env.recording = true
  const filesAtClose = fs.readdirSync(location).sort()
  // Files the application opens once close() resolved: they may get the descriptor numbers
  // the database just closed. The database must never write to them.
  const victims: Array<[string, number]> = []
  for (let i = 0; i < 20; i++) {
    const file = `${location}.other-file-${i}`
    victims.push([file, fs.openSync(file, 'w')])
  }
  await clearing
  for (let i = 0; i < 100; i++) await tick()
  t.deepEqual(env.calls.slice(0, 5), [], 'no file operation after close() resolved')
  const closedBehindOurBack: string[] = []
  for (const [file, fd] of victims) {
    try { fs.closeSync(fd) } catch (err) { closedBehindOurBack.push(`${file}: ${(err as Error).message}`) }
  }
  const written = victims.filter(([file]) => fs.statSync(file).size > 0).map(([file]) => `${file} (${fs.statSync(file).size} bytes)`)
  t.deepEqual(written, [], 'no file opened after close() received bytes from the database')
  t.deepEqual(closedBehindOurBack, [], 'the database closed none of the descriptors of files opened after close()')
  t.deepEqual(fs.readdirSync(location).sort(), filesAtClose, 'no file in the database directory was created or deleted after close()')
  t.ok(clearOutcome === 'resolved' || clearOutcome.startsWith('rejected LEVEL_'), `clear() settled: ${clearOutcome}`)

  await db.open()
  const left = (await db.keys().all()).length
  if (clearOutcome === 'resolved') t.equal(left, 0, 'clear() resolved, so after reopen nothing is left (classic-level: close waits for the clear)')
  else t.pass(`clear() rejected; ${left} keys left`)
  await db.close()
  t.deepEqual(unhandled, [], 'no unhandled rejections')
})
