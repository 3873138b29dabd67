import test = require('tape')
import { nodeEnv } from '../../lib/env/node-env'
import fs = require('fs')
import path = require('path')
import { spawn } from 'child_process'
import {
  type Job, type JobResult, compactionJob, executeJob, fileNumbersNeeded, flushJob, portableFileMeta, reviveFileMeta
} from '../../lib/compaction/jobs'
import { pickCompaction } from '../../lib/compaction/picker'
import { laneStarted, runInBackground, setWorkerIdleExit, terminateWorkerPool } from '../../lib/compaction/worker-pool'
import { writeTable } from '../../lib/compaction/table-file'
import { tableFileName } from '../../lib/format/filename'
import { ValueKind } from '../../lib/format/internal-key'
import { MemTable } from '../../lib/memtable/memtable'
import type { TableBuildOptions } from '../../lib/sstable/table-builder'
import type { FileMeta } from '../../lib/version/file-meta'
import { Version, applyEdit } from '../../lib/version/version'
import { emptyEdit } from '../../lib/version/version-edit'
import { random, randomBytes } from '../sstable/table-fixture'
import { tempLocation } from '../support/temp'

const TABLE_OPTIONS: TableBuildOptions = { blockSize: 4096, blockRestartInterval: 16, compression: true }

function randomMemTable (seed: number, count: number, firstSequence = 1): MemTable {
  const rand = random(seed)
  const mem = new MemTable()
  for (let i = 0; i < count; i++) {
    const key = Buffer.from(`key${String(Math.floor(rand() * count * 2)).padStart(8, '0')}`)
    const kind = rand() < 0.2 ? ValueKind.Deletion : ValueKind.Value
    // Repetitive values, so snappy has something to do.
    const value = kind === ValueKind.Value ? Buffer.from(randomBytes(rand, 8).toString('hex').repeat(1 + Math.floor(rand() * 4))) : Buffer.alloc(0)
    mem.add(firstSequence + i, kind, key, 0, key.length, value, 0, value.length)
  }
  return mem
}

function freshDir (name: string): string {
  const location = tempLocation(name)
  fs.mkdirSync(location)
  return location
}

/** Output metadata and file bytes, for comparing two runs of the same job. */
function fingerprint (location: string, result: JobResult): string[] {
  return result.outputs.map((f) => {
    const bytes = fs.readFileSync(tableFileName(location, f.number))
    return `${f.number}:${f.size}:${f.smallest.toString('hex')}:${f.largest.toString('hex')}:${bytes.toString('base64')}`
  })
}

function buffersRevived (result: JobResult): boolean {
  return result.outputs.every((f) => Buffer.isBuffer(f.smallest) && Buffer.isBuffer(f.largest) && typeof f.allowedSeeks === 'number')
}

/** Writes three overlapping L0 tables into `location` and picks their compaction. */
function compactionFixture (location: string): { version: Version, files: FileMeta[] } {
  const edit = emptyEdit()
  const files: FileMeta[] = []
  for (let f = 0; f < 3; f++) {
    const meta = writeTable(nodeEnv, location, 10 + f, randomMemTable(100 + f, 3000, 1 + f * 3000).iterator(), TABLE_OPTIONS)
    if (meta === undefined) throw new Error('empty')
    files.push(meta)
    edit.newFiles.push({ level: 0, file: meta })
  }
  return { version: applyEdit(new Version(), edit), files }
}

function jobFor (location: string, version: Version, smallestSnapshot = 4000): Job {
  const task = pickCompaction(version, [], { maxFileSize: 32 * 1024, l0CompactionTrigger: 2 })
  if (task === undefined) throw new Error('no task')
  const numbers = Array.from({ length: fileNumbersNeeded(task) }, (_, i) => 100 + i)
  return compactionJob(location, TABLE_OPTIONS, task, version, smallestSnapshot, numbers)
}

function copyDir (from: string, to: string): void {
  fs.mkdirSync(to)
  for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name))
}

test('a flush job gives the same table in the worker as inline', async (t) => {
  const mem = randomMemTable(1, 5000)
  const a = freshDir('flush-worker')
  const b = freshDir('flush-inline')
  const viaWorker = await runInBackground(flushJob(a, TABLE_OPTIONS, 7, mem), 'flush', nodeEnv)
  const inline = executeJob(flushJob(b, TABLE_OPTIONS, 7, mem), nodeEnv)
  t.is(viaWorker.outputs.length, 1, 'one table')
  t.is(viaWorker.outputs[0].number, 7, 'with the job\'s number')
  t.ok(buffersRevived(viaWorker), 'keys come back as Buffers')
  t.same(fingerprint(a, viaWorker), fingerprint(b, inline), 'same metadata and bytes')
  t.same({ ...viaWorker, outputs: [] }, { ...inline, outputs: [] }, 'same accounting')
  t.is(viaWorker.bytesWritten, viaWorker.outputs[0].size, 'bytesWritten is the table size')
  t.is(viaWorker.usedFileNumbers, 1, 'one number used')

  const empty = await runInBackground(flushJob(a, TABLE_OPTIONS, 8, new MemTable()), 'flush', nodeEnv)
  t.same(empty.outputs, [], 'an empty memtable writes nothing')
  t.notOk(fs.existsSync(tableFileName(a, 8)), 'and leaves no file')
})

test('a compaction job gives the same tables in the worker as inline', async (t) => {
  const a = freshDir('compact-worker')
  const { version, files } = compactionFixture(a)
  const b = path.join(path.dirname(a), path.basename(a) + '-copy')
  copyDir(a, b)
  const job = jobFor(a, version)
  if (job.kind !== 'compaction') throw new Error('unreachable')
  t.is(job.task.inputs[0].length, 3, 'all three L0 files are inputs')
  t.ok(job.versionFiles.every((level) => level.length === 0), 'no deeper files to send')

  const viaWorker = await runInBackground(job, 'compaction', nodeEnv)
  const inline = executeJob(jobFor(b, version), nodeEnv)
  t.ok(viaWorker.outputs.length > 1, `${viaWorker.outputs.length} outputs`)
  t.ok(buffersRevived(viaWorker), 'keys come back as Buffers')
  t.same(fingerprint(a, viaWorker), fingerprint(b, inline), 'same metadata and bytes')
  t.same({ ...viaWorker, outputs: [] }, { ...inline, outputs: [] }, 'same accounting')
  t.ok(viaWorker.droppedEntries > 0, `dropped ${viaWorker.droppedEntries} entries`)
  t.is(viaWorker.usedFileNumbers, viaWorker.outputs.length, 'one number per output')
  t.same(viaWorker.outputs.map((f) => f.number), job.fileNumbers.slice(0, viaWorker.outputs.length), 'the first numbers, in order')
  t.is(viaWorker.bytesRead, files.reduce((sum, f) => sum + f.size, 0), 'bytesRead is the input size')
})

test('a compaction job sends only the deeper files in its key range', (t) => {
  const a = freshDir('compact-deeper')
  const { version } = compactionFixture(a)
  const edit = emptyEdit()
  const far = reviveFileMeta({ number: 50, size: 10, smallest: Buffer.from('zzzz\x01\x00\x00\x00\x00\x00\x00\x00', 'latin1'), largest: Buffer.from('zzzz\x01\x00\x00\x00\x00\x00\x00\x00', 'latin1'), allowedSeeks: 100 })
  const near = reviveFileMeta({ number: 51, size: 10, smallest: Buffer.from('key0\x01\x00\x00\x00\x00\x00\x00\x00', 'latin1'), largest: Buffer.from('key1\x01\x00\x00\x00\x00\x00\x00\x00', 'latin1'), allowedSeeks: 100 })
  edit.newFiles.push({ level: 3, file: far }, { level: 3, file: near })
  const job = jobFor(a, applyEdit(version, edit))
  if (job.kind !== 'compaction') throw new Error('unreachable')
  t.same(job.versionFiles.map((level) => level.map((f) => f.number)), [[], [], [], [51], [], [], []])
  t.end()
})

test('FileMeta survives structured clone', (t) => {
  const file = { number: 3, size: 100, smallest: Buffer.from('a\x01\x00\x00\x00\x00\x00\x00\x00', 'latin1'), largest: Buffer.from('b\x01\x00\x00\x00\x00\x00\x00\x00', 'latin1'), allowedSeeks: 7 }
  const cloned = structuredClone(portableFileMeta(file))
  t.notOk(Buffer.isBuffer(cloned.smallest), 'clone loses the Buffer class')
  const revived = reviveFileMeta(cloned)
  t.ok(Buffer.isBuffer(revived.smallest) && Buffer.isBuffer(revived.largest), 'revived as Buffers')
  t.same([revived.smallest, revived.largest, revived.allowedSeeks], [file.smallest, file.largest, 7], 'same contents')
  t.is(portableFileMeta(file).smallest.buffer.byteLength, file.smallest.length, 'portable keys own exact-size memory')
  t.is(reviveFileMeta(file), file, 'a FileMeta with Buffers is returned as is')
  t.end()
})

test('a corrupt input rejects with LEVEL_CORRUPTION naming the file', async (t) => {
  const a = freshDir('compact-corrupt')
  const { version, files } = compactionFixture(a)
  const damaged = tableFileName(a, files[1].number)
  const bytes = fs.readFileSync(damaged)
  bytes[100] ^= 0x55
  fs.writeFileSync(damaged, bytes)
  const before = fs.readdirSync(a).sort()

  const err = await runInBackground(jobFor(a, version), 'compaction', nodeEnv).then(() => undefined, (e: Error & { code?: string }) => e)
  t.ok(err instanceof Error, 'rejects with an Error')
  t.is(err?.code, 'LEVEL_CORRUPTION', 'LEVEL_CORRUPTION')
  t.ok(err?.message.includes(damaged), `names the file: ${err?.message}`)
  t.ok(err?.stack?.includes('worker') || err?.stack?.includes('run.js'), 'keeps the worker-side stack')
  t.same(fs.readdirSync(a).sort(), before, 'no partial output left')

  let inlineErr: (Error & { code?: string }) | undefined
  try { executeJob(jobFor(a, version), nodeEnv) } catch (e) { inlineErr = e as Error & { code?: string } }
  t.is(inlineErr?.code, 'LEVEL_CORRUPTION', 'inline: same code')

  const missing = await runInBackground(jobFor(freshDir('compact-missing'), version), 'compaction', nodeEnv).catch((e: Error & { code?: string }) => e)
  t.is((missing as { code?: string }).code, 'LEVEL_CORRUPTION', `missing inputs: ${(missing as Error).message}`)
  const good = await runInBackground(flushJob(freshDir('flush-after-error'), TABLE_OPTIONS, 3, randomMemTable(2, 10)), 'compaction', nodeEnv)
  t.is(good.outputs.length, 1, 'the worker keeps serving after a failed job')
})

test('filesystem errors come back as LEVEL_IO_ERROR', async (t) => {
  const missing = path.join(freshDir('io'), 'no', 'such', 'dir')
  const err = await runInBackground(flushJob(missing, TABLE_OPTIONS, 3, randomMemTable(3, 10)), 'flush', nodeEnv).catch((e: Error & { code?: string }) => e)
  t.is((err as { code?: string }).code, 'LEVEL_IO_ERROR', 'LEVEL_IO_ERROR')
  t.ok((err as Error).message.includes('ENOENT'), (err as Error).message)
})

test('jobs in a lane run in order; the lanes run side by side', async (t) => {
  const order: string[] = []
  // Keep the compaction lane busy with a queue of compactions (each in its own copy).
  const big = freshDir('lanes-big')
  const { version } = compactionFixture(big)
  const compactions = [1, 2, 3].map((n) => {
    const copy = `${big}-${n}`
    copyDir(big, copy)
    return runInBackground(jobFor(copy, version, 0), 'compaction', nodeEnv).then(() => { order.push(`compaction ${n}`) })
  })
  const small = freshDir('lanes-small')
  const flushes = [1, 2, 3].map((n) =>
    runInBackground(flushJob(small, TABLE_OPTIONS, n, randomMemTable(n, 20)), 'flush', nodeEnv).then(() => { order.push(`flush ${n}`) }))
  await Promise.all([...compactions, ...flushes])
  t.same(order.filter((s) => s.startsWith('flush')), ['flush 1', 'flush 2', 'flush 3'], 'flushes finish in submission order')
  t.same(order.filter((s) => s.startsWith('compaction')), ['compaction 1', 'compaction 2', 'compaction 3'], 'so do compactions')
  t.is(order[order.length - 1], 'compaction 3', `the flushes did not wait for the compaction queue: ${order.join(', ')}`)
})

test('a stop signal makes a compaction job give up', async (t) => {
  const location = freshDir('stop-signal')
  const { version } = compactionFixture(location)
  const job = jobFor(location, version)
  if (job.kind !== 'compaction') throw new Error('unreachable')
  const signal = new SharedArrayBuffer(4)
  job.stopSignal = signal
  const before = fs.readdirSync(location).sort()
  Atomics.store(new Int32Array(signal), 0, 1)
  const err = await runInBackground(job, 'compaction', nodeEnv).catch((e: Error & { code?: string }) => e)
  t.is((err as { code?: string }).code, 'LEVEL_DATABASE_NOT_OPEN', (err as Error).message)
  t.same(fs.readdirSync(location).sort(), before, 'no output left')
})

test('a worker that dies fails its job and is replaced', async (t) => {
  const location = freshDir('terminate')
  const running = runInBackground(flushJob(location, TABLE_OPTIONS, 1, randomMemTable(4, 20000)), 'flush', nodeEnv).catch((e: Error) => e)
  const queued = runInBackground(flushJob(location, TABLE_OPTIONS, 2, randomMemTable(5, 10)), 'flush', nodeEnv).catch((e: Error) => e)
  await terminateWorkerPool()
  const [first, second] = await Promise.all([running, queued])
  t.ok(first instanceof Error && /exited/.test(first.message), `the running job is rejected: ${(first as Error).message}`)
  t.ok(second instanceof Error && /cancelled/.test(second.message), 'the queued job is rejected')
  const next = await runInBackground(flushJob(location, TABLE_OPTIONS, 3, randomMemTable(6, 10)), 'flush', nodeEnv)
  t.is(next.outputs.length, 1, 'the next job gets a fresh worker')
})

test('a worker with no job for a while exits, and the next job starts a new one', async (t) => {
  const location = freshDir('idle-exit')
  setWorkerIdleExit(50)
  try {
    const mem = randomMemTable(7, 500)
    const first = await runInBackground(flushJob(location, TABLE_OPTIONS, 1, mem), 'flush', nodeEnv)
    t.ok(laneStarted('flush'), 'the job started a worker')
    // Jobs one after another keep it: each reschedules the exit.
    for (let number = 2; number <= 4; number++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      await runInBackground(flushJob(location, TABLE_OPTIONS, number, mem), 'flush', nodeEnv)
    }
    t.ok(laneStarted('flush'), 'jobs 20 ms apart keep it')
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.notOk(laneStarted('flush'), 'idle for 300 ms: it exited')
    const again = await runInBackground(flushJob(location, TABLE_OPTIONS, 5, mem), 'flush', nodeEnv)
    t.ok(laneStarted('flush'), 'the next job started a new one')
    t.same(fs.readFileSync(tableFileName(location, 5)), fs.readFileSync(tableFileName(location, 1)), 'which wrote the same table')
    t.is(again.outputs[0].size, first.outputs[0].size, 'of the same size')
  } finally {
    setWorkerIdleExit(1000)
  }
})

test('LSM_LEVEL_INLINE_JOBS=1 runs jobs on the calling thread', async (t) => {
  process.env.LSM_LEVEL_INLINE_JOBS = '1'
  try {
    const mem = randomMemTable(9, 1000)
    const a = freshDir('inline-env')
    const b = freshDir('inline-ref')
    const promise = runInBackground(flushJob(a, TABLE_OPTIONS, 4, mem), 'flush', nodeEnv)
    t.notOk(fs.existsSync(tableFileName(a, 4)), 'not run before the caller yields')
    const result = await promise
    t.same(fingerprint(a, result), fingerprint(b, executeJob(flushJob(b, TABLE_OPTIONS, 4, mem), nodeEnv)), 'same table')
    const err = await runInBackground(flushJob(path.join(a, 'missing'), TABLE_OPTIONS, 5, mem), 'flush', nodeEnv).catch((e: Error & { code?: string }) => e)
    t.is((err as { code?: string }).code, 'LEVEL_IO_ERROR', 'errors still carry their code')
  } finally {
    delete process.env.LSM_LEVEL_INLINE_JOBS
  }
})

test('the pool does not keep the process alive', (t) => {
  const lib = path.join(__dirname, '..', '..', 'lib')
  const location = freshDir('exit')
  const script = `
    const { MemTable } = require(${JSON.stringify(path.join(lib, 'memtable', 'memtable.js'))})
    const { flushJob } = require(${JSON.stringify(path.join(lib, 'compaction', 'jobs.js'))})
    const { runInBackground } = require(${JSON.stringify(path.join(lib, 'compaction', 'worker-pool.js'))})
    const { nodeEnv } = require(${JSON.stringify(path.join(lib, 'env', 'node-env.js'))})
    const mem = new MemTable()
    for (let i = 0; i < 1000; i++) {
      const key = Buffer.from('key' + String(i).padStart(5, '0'))
      mem.add(i + 1, 1, key, 0, key.length, key, 0, key.length)
    }
    runInBackground(flushJob(${JSON.stringify(location)}, { blockSize: 4096, blockRestartInterval: 16, compression: false }, 9, mem), 'flush', nodeEnv)
      .then((r) => console.log('done ' + r.outputs.length), (e) => { console.log('failed ' + e.message); process.exitCode = 1 })
  `
  const started = Date.now()
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15000 })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { out += d })
  child.on('close', (code, signal) => {
    const seconds = (Date.now() - started) / 1000
    t.is(signal, null, `exits by itself (${seconds.toFixed(2)} s)`)
    t.is(code, 0, 'exit code 0')
    t.ok(out.includes('done 1'), `the job ran to completion first: ${out.trim()}`)
    t.ok(seconds < 5, 'within a few seconds')
    t.ok(fs.existsSync(tableFileName(location, 9)), 'the table was written')
    t.end()
  })
})
