// What get, scan and dump read through (openForReading: the engine's read-only open): the
// same as the database itself (tables, WAL, deletions, ranges both ways), and one consistent
// state even while a writer flushes, compacts and deletes files underneath it.

import test = require('tape')
import { LsmLevel } from '../../index'
import { openForReading } from '../../lib/cli/open'
import type { ReadSource, ScanOptions } from '../../lib/cli/read-source'
import { nodeEnv } from '../../lib/env/node-env'
import { prng } from '../support/prng'
import { tempLocation } from '../support/temp'

async function scanAll (source: ReadSource, options: ScanOptions): Promise<Array<[string, string | undefined]>> {
  const stream = source.scan(options)
  const out: Array<[string, string | undefined]> = []
  try {
    for (let batch = await stream.next(); batch.length > 0; batch = await stream.next()) {
      for (const [key, value] of batch) out.push([key.toString('utf8'), value?.toString('utf8')])
    }
  } finally {
    await stream.close()
  }
  return out
}

test('openForReading reads through the engine\'s read-only open', async (t) => {
  const location = tempLocation('cli-direct-choice')
  const db = new LsmLevel(location)
  await db.open()
  await db.put('a', '1')
  await db.close()
  const source = await openForReading(location)
  t.match(source.how, /readOnly/, source.how)
  t.is((await source.get(Buffer.from('a')))?.toString(), '1', 'and reads')
  await source.close()
})

test('random writes, overwrites and deletions across flushes, compactions and the WAL: the same as the engine', async (t) => {
  const location = tempLocation('cli-direct-random')
  const random = prng(7)
  const db = new LsmLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  await db.open()
  const key = (): string => `k${Math.floor(random() * 3000)}`
  for (let i = 0; i < 20000; i++) {
    if (random() < 0.2) await db.del(key())
    else await db.put(key(), `v${i}`.padEnd(Math.floor(random() * 80), '.'))
  }
  await db.close()
  const tail = new LsmLevel<string, string>(location, { writeBufferSize: 64 * 1024 * 1024 })
  await tail.open()
  for (let i = 0; i < 500; i++) {
    if (i % 5 === 0) await tail.del(key())
    else await tail.put(key(), `wal${i}`)
  }
  const expected = await tail.iterator().all()
  const probes = Array.from({ length: 200 }, key)
  const expectedGets = await tail.getMany(probes)
  const bounds: ScanOptions[] = [
    { reverse: false, values: true },
    { reverse: true, values: true },
    { gte: Buffer.from('k1'), lt: Buffer.from('k2'), reverse: false, values: true },
    { gt: Buffer.from('k1'), lte: Buffer.from('k2'), reverse: true, values: false },
    { gte: Buffer.from('k5'), reverse: false, values: true, limit: 7 }
  ]
  const engineScans = []
  for (const b of bounds) {
    const entries = await tail.iterator({ ...b, keyEncoding: 'utf8', limit: b.limit ?? -1 } as any).all() as Array<[string, string]>
    engineScans.push(entries.map(([k, v]) => [k, b.values ? v : undefined]))
  }
  // The reader runs while the database is open in this process, as it would beside an application.
  const reader = await openForReading(location)
  t.same(await scanAll(reader, { reverse: false, values: true }), expected, `a full scan: ${expected.length} entries`)
  for (let i = 0; i < bounds.length; i++) {
    t.same(await scanAll(reader, bounds[i]), engineScans[i], `scan ${JSON.stringify({ ...bounds[i], gt: bounds[i].gt?.toString(), gte: bounds[i].gte?.toString(), lt: bounds[i].lt?.toString(), lte: bounds[i].lte?.toString() })}`)
  }
  const gets = []
  for (const probe of probes) gets.push((await reader.get(Buffer.from(probe)))?.toString('utf8'))
  t.same(gets, expectedGets, '200 gets: values, deletions and absent keys')
  t.ok(await reader.bytesBefore(Buffer.from('k5')) > 0, 'bytesBefore: table bytes before a key')
  await reader.close()
  await tail.close()
})

test('while a writer flushes and compacts: every read sees one consistent prefix of the writes', async (t) => {
  const location = tempLocation('cli-direct-live')
  const db = new LsmLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  await db.open()
  const key = (i: number): string => `k${String(i).padStart(6, '0')}`
  const value = (i: number): string => `value-${i}`.padEnd(200, '*')
  for (let i = 0; i < 2000; i++) await db.put(key(i), value(i))
  let stop = false
  let written = 2000
  const writer = (async () => {
    while (!stop && written < 60000) {
      await db.put(key(written), value(written))
      written++
    }
  })()
  let reads = 0
  let longest = 0
  try {
    while (reads < 15) {
      const reader = await openForReading(location)
      const entries = await scanAll(reader, { reverse: false, values: true })
      await reader.close()
      reads++
      longest = Math.max(longest, entries.length)
      const bad = entries.findIndex(([k, v], i) => k !== key(i) || v !== value(i))
      if (bad >= 0) {
        t.fail(`read ${reads}: entry ${bad} is ${entries[bad][0]}, not ${key(bad)}: a hole or a wrong value`)
        break
      }
    }
  } finally {
    stop = true
    await writer
  }
  t.is(reads, 15, `15 reads, each a prefix of the writes (longest ${longest} of ${written} written)`)
  t.ok(longest >= 2000, 'each read sees at least what was written before it started')
  // 200-byte values in a 64 KiB write buffer: a flush every ~300 writes.
  t.ok(written - 2000 > 900, `${written - 2000} writes (a few flushes, with their WAL deletions) happened during the reads`)
  await db.close()
})
