// sync: true. A sync write must not resolve before an fdatasync of the WAL that holds its
// record, issued after the record was written, has completed; writes queued behind a slow
// sync still apply in call order. The database runs on a fault environment over an
// in-memory one, which watches (and can hold or fail) every WAL sync and shows what the
// file held when it was called.

import test = require('tape')
import { LsmLevel } from '../../index'
import { FaultEnv } from '../../lib/env/fault-env'
import { MemEnv } from '../../lib/env/mem-env'

interface SyncCall {
  path: string
  /** The file's bytes at the moment the sync was called. */
  contents: Buffer
  done: boolean
}

let databases = 0

/** A database on a fresh in-memory environment, watched through a FaultEnv. */
function newDatabase (options: { writeBufferSize?: number } = {}): { db: LsmLevel<string, string>, env: FaultEnv, mem: MemEnv, location: string } {
  const mem = new MemEnv()
  const env = new FaultEnv(mem)
  const location = `/sync/db-${++databases}`
  return { db: new LsmLevel<string, string>(location, { env, ...options }), env, mem, location }
}

/**
 * Watches WAL syncs from now on. `control` decides what happens to each call: by default it
 * goes ahead; it may hold it (keep `run` for later) or fail it.
 */
function spySyncs (env: FaultEnv, mem: MemEnv, events: string[], control?: (call: SyncCall, run: () => void, fail: (err: Error) => void) => void): { calls: SyncCall[], restore: () => void } {
  const calls: SyncCall[] = []
  const byFile = new Map<string, SyncCall[]>()
  const rule = env.inject({
    op: 'sync',
    file: /\.log$/,
    gate: (c) => new Promise<void>((resolve, reject) => {
      let contents: Buffer = Buffer.alloc(0)
      try { contents = mem.contents(c.file) } catch {}
      const call: SyncCall = { path: c.file, contents, done: false }
      calls.push(call)
      const pendingForFile = byFile.get(c.file) ?? []
      pendingForFile.push(call)
      byFile.set(c.file, pendingForFile)
      const n = calls.length
      events.push(`sync-start ${n}`)
      const run = (): void => resolve()
      const fail = (err: Error): void => {
        call.done = true
        events.push(`sync-failed ${n}`)
        reject(err)
      }
      if (control === undefined) run()
      else control(call, run, fail)
    }),
    onDone: (c, error) => {
      const call = byFile.get(c.file)?.shift()
      if (call === undefined || error !== undefined) return
      call.done = true
      events.push(`sync-done ${calls.indexOf(call) + 1}`)
    }
  })
  return { calls, restore: () => env.clear(rule) }
}

function tick (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Lets the event loop turn until cond() holds (at most `turns` times); returns cond(). */
async function until (cond: () => boolean, turns = 10000): Promise<boolean> {
  for (let i = 0; i < turns && !cond(); i++) await tick()
  return cond()
}

test('a sync put resolves only after fdatasync of the WAL that holds its record', async (t) => {
  const { db, env, mem } = newDatabase()
  await db.open()
  const events: string[] = []
  const spy = spySyncs(env, mem, events)
  try {
    await db.put('plain', 'no sync')
    t.equal(spy.calls.length, 0, 'a put without sync does not call fdatasync')

    await db.put('synced-key', 'synced-value', { sync: true }).then(() => events.push('resolved'))
    t.deepEqual(events, ['sync-start 1', 'sync-done 1', 'resolved'], 'put resolved after fdatasync completed')
    const call = spy.calls[0]
    t.match(call.path, /[/\\]\d{6}\.log$/, `fdatasync was on the WAL (${call.path})`)
    t.ok(call.contents.includes('synced-key') && call.contents.includes('synced-value'), 'the record was in the WAL when fdatasync was called')

    events.length = 0
    await db.del('plain', { sync: true }).then(() => events.push('resolved'))
    t.deepEqual(events, ['sync-start 2', 'sync-done 2', 'resolved'], 'del with sync: resolved after fdatasync')

    events.length = 0
    await db.batch([{ type: 'put', key: 'b1', value: 'x' }, { type: 'put', key: 'b2', value: 'y' }], { sync: true }).then(() => events.push('resolved'))
    t.deepEqual(events, ['sync-start 3', 'sync-done 3', 'resolved'], 'batch with sync: resolved after fdatasync')
    t.ok(spy.calls[2].contents.includes('b2'), 'the batch was in the WAL when fdatasync was called')

    events.length = 0
    await db.batch().put('c1', 'z').del('b1').write({ sync: true }).then(() => events.push('resolved'))
    t.deepEqual(events, ['sync-start 4', 'sync-done 4', 'resolved'], 'chained batch with sync: resolved after fdatasync')

    events.length = 0
    await db.batch().put('c2', 'z').write().then(() => events.push('resolved'))
    t.deepEqual(events, ['resolved'], 'chained batch without sync: no fdatasync')

    t.deepEqual(await db.getMany(['synced-key', 'plain', 'b1', 'b2', 'c1', 'c2']), ['synced-value', undefined, undefined, 'y', 'z', 'z'], 'all applied')
  } finally {
    spy.restore()
    await db.close()
  }
})

test('writes queued behind a slow sync write apply and resolve in call order', async (t) => {
  const { db, env, mem, location } = newDatabase()
  await db.open()
  await db.put('k', '0')
  const events: string[] = []
  const held: Array<() => void> = []
  const spy = spySyncs(env, mem, events, (_call, run) => held.push(run))
  const order: number[] = []
  const inconsistent: string[] = []
  try {
    const p1 = db.put('k', '1', { sync: true }).then(() => order.push(1))
    t.ok(await until(() => spy.calls.length === 1), 'the sync write is waiting for fdatasync')

    // Each in its own tick: separate groups, all queued behind the held sync.
    const p2 = db.put('k', '2').then(() => order.push(2))
    await tick()
    const p3 = db.put('other', 'x').then(() => order.push(3))
    await tick()
    const p4 = db.batch([{ type: 'put', key: 'k', value: '4' }, { type: 'put', key: 'other', value: 'y' }]).then(() => order.push(4))
    await tick()
    const p5 = db.put('k', '5', { sync: true }).then(() => order.push(5))
    const p6 = db.put('last', 'z').then(() => order.push(6))

    // While the sync is held, what reads see must be a prefix of the call order.
    const check = async (label: string): Promise<void> => {
      const [k, other, last] = await db.getMany(['k', 'other', 'last'])
      const kStep = Number(k)
      if (other !== undefined && kStep < 2) inconsistent.push(`${label}: 'other' visible but k=${k}`)
      if (other === 'y' && kStep < 4) inconsistent.push(`${label}: batch half visible (other=y, k=${k})`)
      if (last !== undefined && kStep < 5) inconsistent.push(`${label}: 'last' visible but k=${k}`)
    }
    for (let i = 0; i < 5; i++) {
      await tick()
      await check(`held ${i}`)
    }
    t.deepEqual(order, [], 'nothing behind the held sync resolved (nor the sync write itself)')

    // Release syncs one at a time.
    for (let turns = 0; order.length < 6 && turns < 100000; turns++) {
      if (held.length > 0) held.shift()!()
      await tick()
      await check(`released ${events.length}`)
    }
    await Promise.all([p1, p2, p3, p4, p5, p6])
    t.deepEqual(order, [1, 2, 3, 4, 5, 6], 'resolved in call order')
    t.equal(spy.calls.length, 2, 'two sync writes, two fdatasyncs (the later one after the first completed)')
    t.ok(events.indexOf('sync-start 2') > events.indexOf('sync-done 1'), 'the second fdatasync started after the first completed')
    t.ok(spy.calls[1].contents.includes('last'), 'the second fdatasync came after the queued writes reached the WAL')
    t.deepEqual(inconsistent, [], 'reads never saw a later write without the earlier ones')
    t.deepEqual(await db.getMany(['k', 'other', 'last']), ['5', 'y', 'z'], 'final state follows call order')
  } finally {
    spy.restore()
    await db.close()
  }

  const again = new LsmLevel<string, string>(location, { env })
  await again.open()
  t.deepEqual(await again.getMany(['k', 'other', 'last']), ['5', 'y', 'z'], 'same after reopen')
  await again.close()
})

test('a non-sync write in the same tick as a sync write', async (t) => {
  const { db, env, mem } = newDatabase()
  await db.open()
  const events: string[] = []
  const spy = spySyncs(env, mem, events)
  try {
    const a = db.put('a', '1').then(() => events.push('a resolved'))
    const b = db.put('b', '2', { sync: true }).then(() => events.push('b resolved'))
    await Promise.all([a, b])
    t.equal(spy.calls.length, 1, 'one fdatasync for the group')
    t.ok(events.indexOf('b resolved') > events.indexOf('sync-done 1'), 'the sync write resolved after fdatasync')
    t.ok(events.indexOf('a resolved') < events.indexOf('b resolved'), 'the earlier write resolved first')
    t.deepEqual(await db.getMany(['a', 'b']), ['1', '2'], 'both applied')
  } finally {
    spy.restore()
    await db.close()
  }
})

test('a failing fdatasync rejects the sync write with LEVEL_IO_ERROR and fails later writes', async (t) => {
  const { db, env, location } = newDatabase()
  await db.open()
  await db.put('before', 'ok')
  const eio = env.inject({ op: 'sync', file: /\.log$/, error: 'EIO' })
  const spy = { restore: () => env.clear(eio) }
  try {
    const err = await db.put('doomed', 'x', { sync: true }).then(() => undefined, (e) => e)
    t.equal(eio.hits, 1, 'the WAL sync failed')
    t.equal(err?.code, 'LEVEL_IO_ERROR', `sync put rejected: ${err?.message}`)
    t.match(String(err?.message), /\d{6}\.log: EIO/, 'the error names the WAL and the errno')
    const later = await db.put('after', 'y').then(() => undefined, (e) => e)
    t.ok(later?.code?.startsWith('LEVEL_'), `a later write rejects too (${later?.code})`)
    t.equal(await db.get('before'), 'ok', 'reads still work')
  } finally {
    spy.restore()
  }
  await db.close()
  const again = new LsmLevel<string, string>(location, { env })
  await again.open()
  t.equal(await again.get('before'), 'ok', 'acknowledged data survives a reopen')
  t.equal(await again.get('after'), undefined, 'the write rejected after the failure is absent')
  await again.put('new', 'z', { sync: true })
  t.equal(await again.get('new'), 'z', 'writable again after reopen')
  await again.close()
})

test('a sync write after a memtable switch also waits for the previous WAL to be synced', async (t) => {
  const { db, env, mem } = newDatabase({ writeBufferSize: 64 * 1024 })
  await db.open()
  const events: string[] = []
  const spy = spySyncs(env, mem, events)
  try {
    // Non-sync writes fill the first WAL, then the memtable switches to a new one.
    const big = 'x'.repeat(1024)
    for (let i = 0; i < 100; i++) await db.put('before' + i, big)
    await db.put('last', 'x', { sync: true })
    const walSyncs = spy.calls
    const wals = new Set(walSyncs.map((c) => c.path))
    t.ok(walSyncs.every((c) => c.done), 'every WAL fdatasync finished before the sync write resolved')
    t.ok(wals.size >= 2, `fdatasync covered ${wals.size} WAL files: the previous one too, not only the current one`)
  } finally {
    spy.restore()
    await db.close()
  }
})
