// Long iterations and clear() must let the event loop run: a setImmediate counter and a
// setInterval keep ticking, and other database calls complete meanwhile. Counts, not times.

import test = require('tape')
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'

const N = 100_000

function keyOf (i: number): string {
  return `key-${String(i).padStart(7, '0')}`
}

interface Ticker {
  stop: () => { immediates: number, intervals: number, writes: number }
}

/** Counts event-loop turns (setImmediate), timer ticks, and puts that complete meanwhile. */
function startTicker (db?: LsmLevel<string, string>): Ticker {
  let immediates = 0
  let intervals = 0
  let writes = 0
  let running = true
  const loop = (): void => {
    if (!running) return
    immediates++
    if (db !== undefined && immediates % 5 === 0) {
      db.put(`side-${immediates}`, 'x').then(() => { writes++ }, () => {})
    }
    setImmediate(loop)
  }
  setImmediate(loop)
  const timer = setInterval(() => { intervals++ }, 1)
  return {
    stop: () => {
      running = false
      clearInterval(timer)
      return { immediates, intervals, writes }
    }
  }
}

async function populate (location: string): Promise<LsmLevel<string, string>> {
  const db = new LsmLevel<string, string>(location)
  await db.open()
  for (let i = 0; i < N; i += 1000) {
    const ops = []
    for (let j = i; j < i + 1000; j++) ops.push({ type: 'put' as const, key: keyOf(j), value: `value ${j}` })
    await db.batch(ops)
  }
  // Reopen: most entries now come from tables, the rest from the memtable.
  await db.close()
  await db.open()
  for (let i = 0; i < N; i += 97) await db.put(keyOf(i), `value ${i}`)
  return db
}

test('long iterations let the event loop run', async (t) => {
  const db = await populate(tempLocation('loop'))
  const cases: Array<[string, () => Promise<number>]> = [
    ['for await over db.iterator()', async () => {
      let n = 0
      for await (const [key, value] of db.iterator({ lte: keyOf(N - 1) })) {
        if (value !== `value ${key === keyOf(n) ? n : -1}`) throw new Error(`bad entry at ${n}: ${key}`)
        n++
      }
      return n
    }],
    ['for await over db.iterator({ reverse: true })', async () => {
      let n = 0
      for await (const _entry of db.iterator({ reverse: true, lte: keyOf(N - 1) })) n++
      return n
    }],
    ['for await over db.keys()', async () => {
      let n = 0
      for await (const _key of db.keys({ lte: keyOf(N - 1) })) n++
      return n
    }],
    ['for await over db.values()', async () => {
      let n = 0
      for await (const _value of db.values({ lte: keyOf(N - 1) })) n++
      return n
    }],
    ['iterator.all()', async () => (await db.iterator({ lte: keyOf(N - 1) }).all()).length],
    ['a nextv(10000) loop', async () => {
      const it = db.iterator({ lte: keyOf(N - 1) })
      let n = 0
      for (let batch = await it.nextv(10000); batch.length > 0; batch = await it.nextv(10000)) n += batch.length
      await it.close()
      return n
    }],
    ['iterator.next() loop', async () => {
      const it = db.iterator({ lte: keyOf(N - 1) })
      let n = 0
      while (await it.next() !== undefined) n++
      await it.close()
      return n
    }]
  ]
  for (const [what, run] of cases) {
    const ticker = startTicker(db)
    const count = await run()
    const { immediates, intervals, writes } = ticker.stop()
    t.equal(count, N, `${what}: saw all ${N} entries (its snapshot ignores the writes made meanwhile)`)
    t.ok(immediates >= 10, `${what}: setImmediate ran ${immediates} times meanwhile`)
    t.ok(intervals >= 2, `${what}: a 1 ms setInterval ticked ${intervals} times meanwhile`)
    t.ok(writes >= 1, `${what}: ${writes} puts completed meanwhile`)
  }
  await db.close()
})

test('clear() over 100k keys lets the event loop run', async (t) => {
  const db = await populate(tempLocation('loop-clear'))

  let ticker = startTicker()
  await db.clear({ gte: keyOf(0), lt: keyOf(N / 2) })
  let counts = ticker.stop()
  t.ok(counts.immediates >= 10, `clear of half the range: setImmediate ran ${counts.immediates} times meanwhile`)
  t.equal((await db.keys({ lt: keyOf(N / 2) }).all()).length, 0, 'the cleared range is empty')
  t.equal(await db.get(keyOf(N / 2)), `value ${N / 2}`, 'the rest is intact')

  await db.batch(Array.from({ length: 1000 }, (_v, i) => ({ type: 'put' as const, key: keyOf(i), value: 'again' })))
  ticker = startTicker(db)
  await db.clear()
  counts = ticker.stop()
  t.ok(counts.immediates >= 10, `clear of everything: setImmediate ran ${counts.immediates} times meanwhile`)
  t.ok(counts.intervals >= 2, `clear of everything: a 1 ms setInterval ticked ${counts.intervals} times meanwhile`)
  t.ok(counts.writes >= 1, `clear of everything: ${counts.writes} puts completed meanwhile`)
  const left = await db.keys().all()
  t.ok(left.every((key) => key.startsWith('side-')), `only writes made after clear() started may remain (${left.length})`)

  await db.close()
  await db.open()
  t.equal((await db.keys({ lte: keyOf(N) }).all()).length, 0, 'still empty after reopen')
  await db.close()
})
