// Compaction gives space back: overwritten and deleted versions are dropped, so the
// directory ends close to the size of the live data (within 1.2x) as soon as compactRange()
// resolves, and a database whose keys are all deleted shrinks to almost nothing.

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'

const KEYS = 200000
const ROUNDS = 6

function directoryBytes (location: string): number {
  let total = 0
  for (const name of fs.readdirSync(location)) {
    const stat = fs.statSync(path.join(location, name))
    if (stat.isFile()) total += stat.size
  }
  return total
}

function key (i: number): string {
  return 'key' + String(i).padStart(8, '0')
}

// Incompressible-ish values, so sizes reflect the data rather than snappy's luck.
function value (i: number, round: number): string {
  let x = (i * 2654435761 + round * 40503) >>> 0
  let out = ''
  for (let j = 0; j < 12; j++) {
    x = (x * 1103515245 + 12345) >>> 0
    out += (x >>> 8).toString(36)
  }
  return out.slice(0, 64)
}

test('overwrite 200k keys 6 times, delete half, compactRange: within 1.2x of live data when it resolves', async (t) => {
  const location = tempLocation()
  const db = new LsmLevel(location)
  await db.open()
  for (let round = 0; round < ROUNDS; round++) {
    for (let start = 0; start < KEYS; start += 1000) {
      const ops = []
      for (let i = start; i < start + 1000; i++) ops.push({ type: 'put' as const, key: key(i), value: value(i, round) })
      await db.batch(ops)
    }
  }
  for (let start = 0; start < KEYS; start += 2000) {
    const ops = []
    for (let i = start; i < start + 2000; i += 2) ops.push({ type: 'del' as const, key: key(i) })
    await db.batch(ops)
  }
  await db.compactRange(key(0), key(KEYS))
  // Measured at once: users call compactRange to get space back and look right away.
  const sizeAtResolve = directoryBytes(location)
  let live = 0
  let count = 0
  for await (const [k, v] of db.iterator()) {
    live += Buffer.byteLength(k) + Buffer.byteLength(v)
    count++
  }
  t.is(count, KEYS / 2, 'half the keys remain')
  t.is(await db.get(key(1)), value(1, ROUNDS - 1), 'the last round wins')
  t.is(await db.get(key(2)), undefined)
  t.ok(sizeAtResolve <= live * 1.2, `when compactRange resolved: directory ${sizeAtResolve} bytes for ${live} bytes of live keys and values (${(sizeAtResolve / live).toFixed(3)}x)`)
  await db.close()
  const size = directoryBytes(location)
  t.ok(size <= live * 1.2, `after close: directory ${size} bytes (${(size / live).toFixed(3)}x)`)
})

test('delete everything and compact: under 1 MiB remains', async (t) => {
  const location = tempLocation()
  const db = new LsmLevel(location)
  await db.open()
  for (let start = 0; start < KEYS; start += 1000) {
    const ops = []
    for (let i = start; i < start + 1000; i++) ops.push({ type: 'put' as const, key: key(i), value: value(i, 0) })
    await db.batch(ops)
  }
  await db.clear()
  await db.compactRange(key(0), key(KEYS))
  t.same(await db.keys().all(), [])
  await db.close()
  const size = directoryBytes(location)
  t.ok(size < 1024 * 1024, `directory ${size} bytes`)
})
