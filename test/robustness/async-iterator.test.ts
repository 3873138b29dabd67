// `for await` over an lsm-level iterator takes entries in nextv() batches. Whatever a loop
// does meanwhile (read count, call next()/nextv()/all()/seek()/close() on the same
// iterator, abort, meet an entry that fails to decode or a damaged block) must look
// exactly as with abstract-level's next()-per-entry walk. Each scenario records what the
// loop saw and is compared with the same scenario run on classic-level, and on lsm-level
// through abstract-level's default async iterator.

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { AbstractIterator } from 'abstract-level'
import { ClassicLevel } from 'classic-level'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'

type Trace = unknown[]
type AnyIterator = AbstractIterator<any, any, any>
interface AnyDb {
  iterator: (options?: Record<string, unknown>) => AnyIterator
  batch: (operations: Array<{ type: 'put', key: string, value: string }>) => Promise<void>
}
type Walk = (it: AnyIterator) => AsyncIterable<any>

const ENTRIES = 300

function keyOf (i: number): string {
  return 'k' + String(i).padStart(3, '0')
}

async function fill (db: AnyDb): Promise<void> {
  const ops = []
  for (let i = 0; i < ENTRIES; i++) ops.push({ type: 'put' as const, key: keyOf(i), value: JSON.stringify({ i }) })
  // One value that is not JSON, for the decode-error scenario.
  ops.push({ type: 'put' as const, key: 'k150', value: 'not json' })
  await db.batch(ops)
}

/** Runs a loop body over `walk(it)`, recording entries, counts and the error that ended it. */
async function run (it: AnyIterator, walk: Walk, body: (entry: any, trace: Trace) => Promise<boolean | undefined>): Promise<Trace> {
  const trace: Trace = []
  try {
    for await (const entry of walk(it)) {
      trace.push(Array.isArray(entry) ? entry[0] : entry, it.count)
      if (await body(entry, trace) === true) break
    }
    trace.push('end', it.count)
  } catch (err: any) {
    trace.push('error', err.code ?? err.name, it.count)
  }
  // The loop always closes the iterator.
  try {
    await it.next()
    trace.push('still open')
  } catch (err: any) {
    trace.push('closed', err.code)
  }
  return trace
}

const scenarios: Record<string, (db: AnyDb, walk: Walk) => Promise<Trace>> = {
  'whole range with count': async (db, walk) => run(db.iterator(), walk, async () => undefined),

  'reverse with a range': async (db, walk) => run(db.iterator({ reverse: true, gte: 'k020', lt: 'k290' }), walk, async () => undefined),

  'next() inside the loop': async (db, walk) => {
    const it = db.iterator()
    return await run(it, walk, async (entry, trace) => {
      if (entry[0].endsWith('7')) {
        const extra = await it.next()
        trace.push('next', extra?.[0], it.count)
      }
      return undefined
    })
  },

  'nextv() inside the loop': async (db, walk) => {
    const it = db.iterator()
    return await run(it, walk, async (entry, trace) => {
      if (entry[0].endsWith('3')) {
        const extra = await it.nextv(4)
        trace.push('nextv', extra.map((e: any) => e[0]).join(','), it.count)
      }
      return undefined
    })
  },

  'all() inside the loop': async (db, walk) => {
    const it = db.iterator()
    return await run(it, walk, async (entry, trace) => {
      if (entry[0] === 'k100') {
        const rest = await it.all()
        trace.push('all', rest.length, rest[0]?.[0], it.count)
      }
      return undefined
    })
  },

  'seek() inside the loop': async (db, walk) => {
    const it = db.iterator()
    let seeks = 0
    return await run(it, walk, async (entry) => {
      if (entry[0] === 'k050' && seeks === 0) { seeks++; it.seek('k200') }
      if (entry[0] === 'k210' && seeks === 1) { seeks++; it.seek('k010') }
      if (entry[0] === 'k012' && seeks === 2) { seeks++; it.seek('k999') }
      return undefined
    })
  },

  'close() inside the loop': async (db, walk) => {
    const it = db.iterator()
    return await run(it, walk, async (entry) => {
      if (entry[0] === 'k080') await it.close()
      return undefined
    })
  },

  'abort inside the loop': async (db, walk) => {
    const controller = new AbortController()
    const it = db.iterator({ signal: controller.signal })
    return await run(it, walk, async (entry) => {
      if (entry[0] === 'k120') controller.abort()
      return undefined
    })
  },

  'break': async (db, walk) => {
    const it = db.iterator()
    return await run(it, walk, async (entry) => entry[0] === 'k030')
  },

  'a value that fails to decode': async (db, walk) => run(db.iterator({ valueEncoding: 'json' }), walk, async () => undefined),

  'limit with next() inside the loop': async (db, walk) => {
    const it = db.iterator({ limit: 123 })
    return await run(it, walk, async (entry, trace) => {
      if (entry[0].endsWith('5')) trace.push('next', (await it.next())?.[0], it.count)
      return undefined
    })
  },

  'keys and values only': async (db, walk) => {
    const keys = await run(db.iterator({ values: false, gt: 'k250' }), walk, async () => undefined)
    const values = await run(db.iterator({ keys: false, lt: 'k010' }), walk, async () => undefined)
    return [...keys, ...values]
  }
}

const ownWalk: Walk = (it) => it
const defaultWalk: Walk = (it) => ({ [Symbol.asyncIterator]: () => AbstractIterator.prototype[Symbol.asyncIterator].call(it) })

test('for await over lsm-level behaves as next() per entry does, and as classic-level', async (t) => {
  const lsm = new LsmLevel<string, any>(tempLocation())
  const classic = new ClassicLevel<string, any>(tempLocation())
  await Promise.all([lsm.open(), classic.open()])
  await Promise.all([fill(lsm as unknown as AnyDb), fill(classic as unknown as AnyDb)])
  // A small memtable would not matter here; a flush makes some scenarios read tables too.
  await lsm.compactRange('k000', 'k150')

  for (const [name, scenario] of Object.entries(scenarios)) {
    const reference = await scenario(classic as unknown as AnyDb, ownWalk)
    const ours = await scenario(lsm as unknown as AnyDb, ownWalk)
    const oursDefault = await scenario(lsm as unknown as AnyDb, defaultWalk)
    t.same(ours, reference, `${name}: same as classic-level (${reference.length} events)`)
    t.same(oursDefault, reference, `${name}: abstract-level's default walk agrees`)
  }
  await Promise.all([lsm.close(), classic.close()])
})

test('a damaged block met mid-scan: the entries before it arrive first', async (t) => {
  const location = tempLocation()
  const db = new LsmLevel(location, { compression: false })
  await db.open()
  const ops = []
  for (let i = 0; i < 3000; i++) ops.push({ type: 'put' as const, key: 'key' + String(i).padStart(5, '0'), value: 'value'.repeat(8) })
  await db.batch(ops)
  await db.compactRange('key', 'kez')
  await db.close()

  const table = fs.readdirSync(location).filter((n) => n.endsWith('.ldb'))[0]
  const file = path.join(location, table)
  const bytes = fs.readFileSync(file)
  bytes[Math.floor(bytes.length * 0.4)] ^= 0xff // a data block in the middle
  fs.writeFileSync(file, bytes)

  const damaged = new LsmLevel(location)
  await damaged.open()
  const walks: Record<string, Walk> = { batched: ownWalk, 'next() per entry': defaultWalk }
  const seen: Record<string, { keys: string[], code: string | undefined, message: string }> = {}
  for (const [name, walk] of Object.entries(walks)) {
    const keys: string[] = []
    let code: string | undefined
    let message = ''
    try {
      for await (const [key] of walk(damaged.iterator())) keys.push(key)
    } catch (err: any) {
      code = err.code
      message = err.message
    }
    seen[name] = { keys, code, message }
  }
  const batched = seen.batched
  t.is(batched.code, 'LEVEL_CORRUPTION', 'the scan fails with LEVEL_CORRUPTION')
  t.ok(batched.message.includes(table), 'naming the file')
  t.ok(batched.keys.length > 500 && batched.keys.length < 3000, `after the ${batched.keys.length} entries before the damage`)
  const perEntry = seen['next() per entry']
  t.ok(batched.keys.length === perEntry.keys.length && batched.keys.every((k, i) => k === perEntry.keys[i]) &&
    batched.code === perEntry.code && batched.message === perEntry.message, 'exactly as with next() per entry')
  await damaged.close()
})
