// Events and stats for background work: 'flush' and 'compaction' with their payloads during a
// load with a 64 KiB write buffer, stats() counters that agree with the events and with what
// the test wrote, write stalls as level 0 fills, the background-error state in stats(), and
// a listener that throws.

import test = require('tape')
import fs = require('fs')
import path = require('path')
import { once } from 'events'
import { LsmLevel, type CompactionEvent, type FlushEvent, type LsmLevelStats, type WriteStallEndEvent, type WriteStallEvent } from '../../index'
import type { CompactionInfo, FlushInfo } from '../../lib/engine/activity'
import type { WriteStallEndInfo, WriteStallInfo } from '../../lib/engine/write-stalls'
import { FaultEnv } from '../../lib/env/fault-env'
import { MemEnv } from '../../lib/env/mem-env'
import { parseSstables } from '../interop/table-check'
import { prng } from '../support/prng'
import { tempLocation } from '../support/temp'
import { until } from '../support/fault-workload'

// Compile-time check: what the engine emits is what the public types say.
export function enginePayloadsArePublic (f: FlushInfo, c: CompactionInfo, s: WriteStallInfo, e: WriteStallEndInfo): [FlushEvent, CompactionEvent, WriteStallEvent, WriteStallEndEvent] {
  return [f, c, s, e]
}

const tableFile = (location: string, number: number): string => path.join(location, `${String(number).padStart(6, '0')}.ldb`)
const sizeOf = (file: string): number | undefined => fs.statSync(file, { throwIfNoEntry: false })?.size

test('events: flush and compaction fire with their payloads during a load; stats() agrees with their sums and with what was written', async (t) => {
  const location = tempLocation('events')
  const db = new LsmLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  t.equal(db.supports.events.flush && db.supports.events.compaction && db.supports.events['write-stall'], true, 'the manifest lists the events')
  const flushes: FlushEvent[] = []
  const compactions: CompactionEvent[] = []
  const problems: string[] = []
  db.on('flush', (info) => {
    flushes.push(info)
    // Installed this very tick: the table is there, with the size the event gives.
    const size = sizeOf(tableFile(location, info.file))
    if (size !== info.bytes) problems.push(`flush #${info.file}: ${info.bytes} bytes, the file has ${size}`)
  })
  db.on('compaction', (info) => {
    compactions.push(info)
    const written = info.outputFiles.reduce((sum, n) => sum + (sizeOf(tableFile(location, n)) ?? NaN), 0)
    const read = info.inputFiles.reduce((sum, n) => sum + (sizeOf(tableFile(location, n)) ?? NaN), 0)
    const moved = info.inputFiles.length === 1 && info.outputFiles[0] === info.inputFiles[0]
    if (!moved && written !== info.bytesWritten) problems.push(`compaction to #${info.outputFiles.join(',')}: bytesWritten ${info.bytesWritten}, the files have ${written}`)
    if (!moved && read !== info.bytesRead) problems.push(`compaction of #${info.inputFiles.join(',')}: bytesRead ${info.bytesRead}, the inputs have ${read}`)
    if (moved && (info.bytesRead !== 0 || info.bytesWritten !== 0)) problems.push(`move of #${info.inputFiles[0]} read or wrote bytes`)
  })
  await db.open()

  // Keys and values of every kind the write path takes: ASCII and multi-byte strings,
  // Buffers, deletes (a key and no value), chained batches.
  const random = prng(41)
  let userBytes = 0
  let ops = 0
  const count = (key: string | Buffer, value?: string | Buffer): void => {
    userBytes += Buffer.byteLength(key) + (value === undefined ? 0 : Buffer.byteLength(value))
    ops++
  }
  const firstFlush = once(db, 'flush')
  for (let round = 0; round < 400; round++) {
    const batch: Array<{ type: 'put', key: string, value: string } | { type: 'del', key: string }> = []
    for (let j = 0; j < 50; j++) {
      const key = `k${Math.floor(random() * 20000)}${j % 7 === 0 ? '€é' : ''}`
      if (j % 10 === 9) {
        batch.push({ type: 'del', key })
        count(key)
      } else {
        const value = 'v'.repeat(20 + Math.floor(random() * 100)) + (j % 5 === 0 ? 'ü' : '')
        batch.push({ type: 'put', key, value })
        count(key, value)
      }
    }
    await db.batch(batch)
    const key = Buffer.from([round & 0xff, 0x80, 0xfe])
    const value = Buffer.alloc(64, round)
    await db.put(key as any, value as any, { keyEncoding: 'buffer', valueEncoding: 'buffer' } as any)
    count(key, value)
    const chained = db.batch()
    chained.put(`chained${round}`, 'x'.repeat(30))
    chained.del('gone')
    await chained.write()
    count(`chained${round}`, 'x'.repeat(30))
    count('gone')
  }
  const [first] = await firstFlush as [FlushEvent]
  t.equal(first, flushes[0], 'once(db, \'flush\') resolves with the first flush\'s payload')
  t.ok(flushes.length >= 10, `${flushes.length} flushes`)
  t.ok(compactions.length >= 1, `${compactions.length} compactions`)
  const shape = (o: object): string => Object.keys(o).sort().join(',')
  t.ok(flushes.every((f) => shape(f) === 'bytes,entries,file,level,ms' && Number.isInteger(f.file) && f.level >= 0 && f.level <= 2 && f.bytes > 0 && f.entries > 0 && f.ms >= 0), 'every flush: { file, level, bytes, entries, ms }')
  t.ok(compactions.every((c) => shape(c) === 'bytesRead,bytesWritten,inputFiles,inputLevel,ms,outputFiles,outputLevel,reason' &&
    c.outputLevel === c.inputLevel + 1 && c.inputFiles.length > 0 && c.inputFiles.every(Number.isInteger) && c.outputFiles.every(Number.isInteger) &&
    c.ms >= 0 && ['size', 'seek', 'manual'].includes(c.reason)), 'every compaction: { inputLevel, outputLevel, inputFiles, outputFiles, bytesRead, bytesWritten, ms, reason }')
  t.deepEqual(problems.slice(0, 5), [], 'the events\' file numbers and byte counts match the files')

  const stats: LsmLevelStats = db.stats()
  const sum = <T> (list: T[], of: (item: T) => number): number => list.reduce((total, item) => total + of(item), 0)
  t.equal(stats.flushes, flushes.length, 'flushes: the number of flush events')
  t.equal(stats.flushBytesWritten, sum(flushes, (f) => f.bytes), 'flushBytesWritten: the sum of the flush events\' bytes')
  t.equal(stats.compactions, compactions.length, 'compactions: the number of compaction events')
  t.equal(stats.compactionBytesWritten, sum(compactions, (c) => c.bytesWritten), 'compactionBytesWritten: their sum')
  t.equal(stats.compactionBytesRead, sum(compactions, (c) => c.bytesRead), 'compactionBytesRead: their sum')
  t.equal(stats.userBytesWritten, userBytes, `userBytesWritten: the ${userBytes} key and value bytes written`)
  t.equal(stats.lastSequence, ops, `lastSequence: the ${ops} ops`)
  t.ok(stats.walBytesWritten > userBytes && stats.walBytesWritten < userBytes * 2, `walBytesWritten ${stats.walBytesWritten}: the records and their framing`)
  const amplification = (stats.walBytesWritten + stats.flushBytesWritten + stats.compactionBytesWritten) / stats.userBytesWritten
  t.ok(amplification > 1, `write amplification ${amplification.toFixed(2)}`)
  t.ok(stats.memtableBytes > 0, `memtableBytes ${stats.memtableBytes}`)
  t.equal(stats.levels.length, 7, 'levels 0..6')
  t.equal(stats.backgroundError, null, 'no background error')

  // The levels as leveldb.sstables lists them, at the same instant, and as the files are.
  const listed = parseSstables(db.getProperty('leveldb.sstables'))
  const now = db.stats()
  t.deepEqual(now.levels, [0, 1, 2, 3, 4, 5, 6].map((level) => {
    const files = listed.filter((f) => f.level === level)
    return { files: files.length, bytes: sum(files, (f) => f.size) }
  }), `levels: files and bytes per level as leveldb.sstables has them (${now.levels.map((l) => l.files).join(' ')})`)
  t.ok(listed.every((f) => sizeOf(tableFile(location, f.number)) === f.size), 'and as the table files are')

  // Block cache: a table read misses once, then hits.
  await db.compactRange('k', 'l')
  const before = db.stats()
  await db.get('k1234')
  const missed = db.stats()
  await db.get('k1234')
  const hit = db.stats()
  t.ok(missed.blockCacheMisses > before.blockCacheMisses, `the first read of a block misses (${missed.blockCacheMisses - before.blockCacheMisses})`)
  t.equal(hit.blockCacheMisses, missed.blockCacheMisses, 'the second read of it does not miss')
  t.ok(hit.blockCacheHits > missed.blockCacheHits, 'it hits')
  t.ok(hit.openTableFiles > 0, `openTableFiles ${hit.openTableFiles}`)
  await db.close()
  t.throws(() => db.stats(), /not open/, 'stats() on a closed database throws LEVEL_DATABASE_NOT_OPEN')
})

test('events: write-stall and write-stall-end as level 0 fills under a write load, and stats() counts them', async (t) => {
  const location = tempLocation('stalls')
  const db = new LsmLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  const seen: Array<{ event: string, info: WriteStallEvent | WriteStallEndEvent }> = []
  db.on('write-stall', (info) => seen.push({ event: 'write-stall', info }))
  db.on('write-stall-end', (info) => seen.push({ event: 'write-stall-end', info }))
  await db.open()
  const random = prng(7)
  const value = 'x'.repeat(100)
  const ended = (reason: string): boolean => seen.some((s) => s.event === 'write-stall-end' && s.info.reason === reason)
  const deadline = Date.now() + 60000
  // Random keys, so every level-0 compaction merges into all of level 1 and lags behind the
  // flushes of a 64 KiB memtable: level 0 grows past 8 files (slowdown) and 12 (stop).
  while (!(ended('level0-files') && ended('level0-slowdown') && ended('memtable-full')) && Date.now() < deadline) {
    const batch = Array.from({ length: 100 }, () => ({ type: 'put' as const, key: String(Math.floor(random() * 1e9)), value }))
    await Promise.all([db.batch(batch), db.batch(batch.map((op) => ({ ...op, key: op.key + 'b' })))])
  }
  for (const reason of ['memtable-full', 'level0-slowdown', 'level0-files']) t.ok(ended(reason), `a '${reason}' stall started and ended`)
  const problems: string[] = []
  let open: WriteStallEvent | undefined
  for (const { event, info } of seen) {
    if (event === 'write-stall') {
      if (open !== undefined) problems.push(`'${info.reason}' started while '${open.reason}' was under way`)
      open = info
    } else {
      const end = info as WriteStallEndEvent
      if (open === undefined || open.reason !== end.reason) problems.push(`'${end.reason}' ended, ${open === undefined ? 'none' : `'${open.reason}'`} was under way`)
      if (!(end.ms >= 0)) problems.push(`'${end.reason}' ended after ${end.ms} ms`)
      open = undefined
    }
  }
  t.deepEqual(problems.slice(0, 5), [], 'each end follows the start of the same reason, with its duration')
  const stats = db.stats()
  const starts = seen.filter((s) => s.event === 'write-stall').length
  const endedMs = seen.reduce((total, s) => total + (s.event === 'write-stall-end' ? (s.info as WriteStallEndEvent).ms : 0), 0)
  t.equal(stats.writeStalls, starts, `writeStalls: the ${starts} stalls started`)
  t.ok(stats.writeStallMs >= endedMs - 1e-6 && (open !== undefined || Math.abs(stats.writeStallMs - endedMs) < 1e-6),
    `writeStallMs ${stats.writeStallMs.toFixed(1)}: the ended stalls' time (${endedMs.toFixed(1)}), plus the one under way if any`)
  await db.close()
})

test('stats: the background-error state while the disk is full, null again once resumed', async (t) => {
  const env = new FaultEnv(new MemEnv())
  const db = new LsmLevel<string, string>('/stats/db', { env })
  await db.open()
  await db.put('a', '1')
  const full = env.inject({ op: 'append', file: /\.log$/, error: 'ENOSPC' })
  const failed = once(db, 'background-error')
  await db.put('b', '2').catch(() => {})
  const [event] = await failed
  const stats = db.stats()
  t.equal(stats.backgroundError?.retryable, true, 'backgroundError.retryable: a full disk is retried')
  t.equal(stats.backgroundError?.message, event.error.message, `backgroundError.message: ${stats.backgroundError?.message}`)
  env.clear(full)
  let resumed = false
  db.once('resumed', () => { resumed = true })
  // (The retry timer is unref'd: polling keeps the process alive meanwhile.)
  t.ok(await until(() => resumed, 10000), "'resumed'")
  t.equal(db.stats().backgroundError, null, 'null once writes resume')
  await db.close()
})

test('events: a listener that throws does not break the engine; its error is rethrown on a later tick', async (t) => {
  const db = new LsmLevel<string, string>('/listener/db', { env: new MemEnv(), writeBufferSize: 64 * 1024 })
  const thrown: Error[] = []
  const listeners = process.listeners('uncaughtException')
  process.removeAllListeners('uncaughtException')
  const catcher = (err: Error): void => { thrown.push(err) }
  process.on('uncaughtException', catcher)
  let flushEvents = 0
  db.on('flush', () => { flushEvents++ })
  db.on('flush', () => { throw new Error('a listener failed') })
  try {
    await db.open()
    for (let i = 0; i < 3000; i++) await db.put(`k${i}`, 'v'.repeat(100))
    t.ok(await until(() => thrown.length > 0, 10000), 'the listener\'s error surfaced as an uncaught exception')
    t.equal(thrown[0]?.message, 'a listener failed', 'the listener\'s own error')
    await db.put('after', 'x')
    t.equal(await db.get('after'), 'x', 'writes go on')
    t.equal(await db.get('k2999'), 'v'.repeat(100), 'and reads')
    t.equal(db.stats().flushes, flushEvents, `flushes are counted as before (${flushEvents})`)
    t.equal(db.stats().backgroundError, null, 'no background error')
    await db.close()
  } finally {
    process.off('uncaughtException', catcher)
    for (const listener of listeners) process.on('uncaughtException', listener)
  }
})
