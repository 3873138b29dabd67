// Recovery: replaying write-ahead logs into memtables. One replay (replayLog) serves open
// and repair; they differ only in what happens at damage:
//
//   open    stops at the first damaged record and skips every later log: replaying past
//           damage would leave a hole (later writes present, earlier ones lost). What it kept
//           and dropped goes to LOG.
//   repair  skips the damaged bytes and carries on: salvaging is its purpose.
//
// Either way a batch whose sequence does not go past what was already replayed is skipped
// and noted in LOG (a log copied to a higher number replays nothing twice), and a sequence
// past 2^53 - 1 (the largest a JS number holds exactly) is damage: open fails with
// LEVEL_CORRUPTION naming the file, so such a sequence is never written back.

import { corruption, levelError } from '../base/errors'
import { flushJob } from '../compaction/jobs'
import { runInBackground } from '../compaction/worker-pool'
import type { Env } from '../env/env'
import type { InfoLog } from '../env/info-log'
import { legacyTableFileName, logFileName, manifestFileName, parseFileName, tableFileName } from '../format/filename'
import { MAX_USABLE_SEQUENCE, TRAILER_SIZE, trailerSequence } from '../format/internal-key'
import { emptyEdit, type VersionEdit } from '../version/version-edit'
import type { VersionSet } from '../version/version-set'
import { LogReader } from '../wal/log-reader'
import { BLOCK_SIZE } from '../wal/log-format'
import { applyBatch, batchSequence, checkBatch } from '../wal/write-batch'
import * as path from 'path'
import { performance } from 'perf_hooks'
import type { MemTables } from './memtables'
import type { EngineOptions } from './options'
import { nextTurn } from './pacer'

export interface ReplayOptions {
  /** Open: stop at damage. Repair: skip it. */
  stopAtDamage: boolean
  /** Where in the file to start: the end of the last whole record an earlier replay read (default 0). */
  from?: number
  /**
   * The log's bytes from the start of the block holding `from` on, read beforehand
   * (readLogFrom); by default replayLog reads them itself.
   */
  data?: Buffer
  /** The highest sequence replayed before this log; batches not past it are skipped. */
  appliedSequence: number
  /** Takes one checked batch; may wait (recovery flushes a full memtable). */
  apply: (batch: Buffer, firstSequence: number, count: number) => void | Promise<void>
}

export interface ReplayResult {
  /** The log had damage (open stopped there; repair skipped it). */
  damaged: boolean
  /** File offset just past the last whole record read (a torn tail lies beyond). */
  end: number
  /** The highest sequence replayed so far (appliedSequence if this log added nothing). */
  appliedSequence: number
  batches: number
  skippedBatches: number
}

/** Replays WAL `number` of `location`. */
export async function replayLog (env: Env, location: string, number: number, infoLog: InfoLog, options: ReplayOptions): Promise<ReplayResult> {
  const file = logFileName(location, number)
  const name = path.basename(file)
  // Reading on in a log: from the start of the block that holds `from` (offsets below are
  // relative to `base`).
  const from = options.from ?? 0
  const base = from - (from % BLOCK_SIZE)
  // Bytes read here are this replay's own: fragmented batches are put together in place.
  const owned = options.data === undefined
  const data = options.data ?? await readLogFrom(env, location, number, from, SMALL_LOG_BYTES)
  let damage: string | undefined
  const reader = new LogReader(data, (c) => {
    const what = `${c.reason} at offset ${base + c.offset} (${c.bytes} bytes)`
    if (options.stopAtDamage) damage ??= what
    else infoLog.write(`Log #${number}: dropped ${what}`)
  }, from - base, owned)
  const result: ReplayResult = { damaged: false, end: 0, appliedSequence: options.appliedSequence, batches: 0, skippedBatches: 0 }
  let appliedEnd = 0
  let opsSinceCheck = 0
  let sliceStart = performance.now()
  for (let record = reader.next(); record !== undefined && damage === undefined; record = reader.next()) {
    let count: number
    try {
      count = checkBatch(record, file)
    } catch (err) {
      if (options.stopAtDamage) {
        damage = (err as Error).message
        break
      }
      result.damaged = true
      infoLog.write(`Log #${number}: skipping a damaged batch: ${(err as Error).message}`)
      continue
    }
    const first = batchSequence(record)
    const last = first + count - 1
    if (count === 0) continue
    if (last > MAX_USABLE_SEQUENCE) {
      const err = corruption(file, `sequence number ${last} past 2^53 - 1 at offset ${reader.lastRecordEnd - record.length}`)
      if (options.stopAtDamage) throw err
      result.damaged = true
      infoLog.write(`Log #${number}: skipping a batch: ${err.message}`)
      continue
    }
    if (first <= result.appliedSequence) {
      result.skippedBatches++
      infoLog.write(`Log #${number}: skipped a batch of ${count} ops at sequence ${first}: not after sequence ${result.appliedSequence}, already recovered`)
      appliedEnd = reader.lastRecordEnd
      continue
    }
    // Most batches apply synchronously: awaiting each would cost a promise per record.
    const applying = options.apply(record, first, count)
    if (applying !== undefined) await applying
    // A log of megabytes takes tens of milliseconds to replay: let the event loop turn now
    // and then. (The clock is read every REPLAY_CHECK_OPS ops, not per record.)
    opsSinceCheck += count
    if (opsSinceCheck >= REPLAY_CHECK_OPS) {
      opsSinceCheck = 0
      if (performance.now() - sliceStart > REPLAY_SLICE_MS) {
        await nextTurn()
        sliceStart = performance.now()
      }
    }
    result.batches++
    result.appliedSequence = last
    appliedEnd = reader.lastRecordEnd
  }
  result.end = base + reader.lastRecordEnd
  if (damage !== undefined) {
    result.damaged = true
    infoLog.write(`Log #${number} (${name}): ${damage}; kept the records before it and dropped the remaining ${data.length - appliedEnd} bytes of this log`)
  }
  return result
}

/** The bytes of WAL `number` from the start of the block that holds `from` on. */
export async function readLogFrom (env: Env, location: string, number: number, from: number, readAtOnceUpTo = 0): Promise<Buffer> {
  const file = logFileName(location, number)
  const base = from - (from % BLOCK_SIZE)
  if (base !== 0) return readTail(env, file, base)
  if (readAtOnceUpTo === 0) return await env.readFileAsync(file)
  // The log a close left empty (wal-manager.ts) needs no read at all.
  const size = env.fileSize(file)
  if (size === 0) return Buffer.alloc(0)
  return size <= readAtOnceUpTo ? env.readFile(file) : await env.readFileAsync(file)
}

// Replay hands the event loop a turn after this long, checked every REPLAY_CHECK_OPS ops.
const REPLAY_SLICE_MS = 2
const REPLAY_CHECK_OPS = 256

// Open reads a log this small at once: the thread pool's round trip would cost more than the
// read (a tenth of opening a database with 2,000 keys in its log). A read-only view keeps
// reading asynchronously: it runs beside the application's own work.
const SMALL_LOG_BYTES = 256 * 1024

/** The bytes of `file` from `offset` to its end (empty if it is shorter). */
function readTail (env: Env, file: string, offset: number): Buffer {
  const reader = env.openRandomAccess(file)
  try {
    return reader.size > offset ? reader.read(offset, reader.size - offset) : Buffer.alloc(0)
  } finally {
    reader.close()
  }
}

/** The WALs open must replay, oldest first: those from the MANIFEST's log number on. */
export function logsToReplay (names: readonly string[], versions: VersionSet): number[] {
  const logs: number[] = []
  for (const name of names) {
    const parsed = parseFileName(name)
    if (parsed === undefined) continue
    versions.markFileNumberUsed(parsed.number)
    if (parsed.type === 'log' && (parsed.number >= versions.logNumber || parsed.number === versions.prevLogNumber)) {
      logs.push(parsed.number)
    }
  }
  return logs.sort((a, b) => a - b)
}

/**
 * Checks the state the MANIFEST recovered against the directory: every table it names must
 * be there (LevelDB refuses to open otherwise), and no key bound may carry a sequence past
 * MAX_USABLE_SEQUENCE. Throws LEVEL_CORRUPTION naming the file.
 */
export function checkVersion (names: readonly string[], location: string, versions: VersionSet): void {
  const present = new Set(names)
  const missing: string[] = []
  const manifest = manifestFileName(location, versions.manifestNumber)
  for (const level of versions.current.files) {
    for (const file of level) {
      const ldb = path.basename(tableFileName(location, file.number))
      const sst = path.basename(legacyTableFileName(location, file.number))
      if (!present.has(ldb) && !present.has(sst)) missing.push(path.join(location, ldb))
      for (const key of [file.smallest, file.largest]) {
        if (trailerSequence(key, key.length - TRAILER_SIZE) > MAX_USABLE_SEQUENCE) {
          throw corruption(manifest, `table #${file.number} has a key with a sequence number past 2^53 - 1`)
        }
      }
    }
  }
  if (missing.length > 0) {
    throw levelError('LEVEL_CORRUPTION', `Corruption: ${missing.length} missing files; e.g.: ${missing[0]}`)
  }
}

export interface RecoveryContext {
  env: Env
  location: string
  options: EngineOptions
  versions: VersionSet
  infoLog: InfoLog
  memtables: MemTables
  /** Numbers of the tables written here stay in it until the edit is installed. */
  pending: Set<number>
}

/** A WAL that open keeps appending to, its records staying in the memtable. */
export interface ReusedLog {
  /** The oldest log whose records are in the memtable: the MANIFEST's log number. */
  logNumber: number
  /** The newest log, which writes append to. */
  number: number
  /** Its size up to the end of its last whole record (a torn tail beyond is cut off). */
  size: number
  /** The logs before it whose records are in the memtable too, with their sizes. */
  older: Array<{ number: number, size: number }>
}

export interface Recovered {
  /** Installs the tables recovery wrote. */
  edit: VersionEdit
  reuse: ReusedLog | undefined
  /** The directory's listing recovery worked from. */
  names: readonly string[]
}

/**
 * Open's recovery: checks the recovered version against the directory and replays the WALs
 * into the memtable. When that went cleanly, the memtable keeps what it holds and writes go
 * on appending to the newest log (LevelDB's reuse_logs), so an open writes no table and
 * starts no worker. Otherwise (damage, a batch skipped, or a flush in the middle of a log
 * because the memtable filled up) the replayed data goes to level-0 tables, written on the
 * flush worker, and the caller starts a new log: a later open must never replay past damage.
 */
export async function replayLogs (ctx: RecoveryContext): Promise<Recovered> {
  const { env, location, versions, infoLog, memtables } = ctx
  const names = env.list(location)
  checkVersion(names, location, versions)
  const edit = emptyEdit()
  let applied = 0
  let damaged = false
  let skipped = false
  // The log whose batch went first into the (empty) memtable, and whether that batch was the
  // first of its log: a log whose earlier batches are in a table cannot stay the log number.
  let memSince: number | undefined
  let memFromLogStart = false
  let last: { number: number, end: number } | undefined
  const replayed: Array<{ number: number, size: number }> = []
  for (const number of logsToReplay(names, versions)) {
    if (damaged) {
      infoLog.write(`Skipping log #${number}: an earlier log was damaged, and replaying later records would leave a hole`)
      continue
    }
    let batchesOfLog = 0
    const result = await replayLog(env, location, number, infoLog, {
      stopAtDamage: true,
      appliedSequence: applied,
      apply: (batch, first, count) => {
        if (memtables.mem.empty) {
          memSince = number
          memFromLogStart = batchesOfLog === 0
        }
        batchesOfLog++
        applyBatch(memtables.mem, batch, first)
        const lastSequence = first + count - 1
        if (lastSequence > versions.lastSequence) versions.lastSequence = lastSequence
        return memtables.full ? flushRecovered(ctx, edit) : undefined
      }
    })
    applied = result.appliedSequence
    damaged = result.damaged
    skipped ||= result.skippedBatches > 0
    last = { number, end: result.end }
    replayed.push({ number, size: result.end })
  }
  // Every log replayed cleanly and held nothing (a reopen after a close that flushed): the
  // newest goes on as the log, so the open records no new log number.
  if (memtables.mem.empty && edit.newFiles.length === 0 && last !== undefined && !damaged && !skipped) {
    return { edit, names, reuse: { logNumber: last.number, number: last.number, size: last.end, older: [] } }
  }
  if (!memtables.mem.empty && memSince !== undefined && memFromLogStart && last !== undefined && !damaged && !skipped) {
    const since = memSince
    const older = replayed.filter((log) => log.number >= since && log.number < (last as { number: number }).number)
    return { edit, names, reuse: { logNumber: memSince, number: last.number, size: last.end, older } }
  }
  if (!memtables.mem.empty) await flushRecovered(ctx, edit)
  return { edit, names, reuse: undefined }
}

/** Writes the recovered memtable as a level-0 table, on the flush worker. */
async function flushRecovered (ctx: RecoveryContext, edit: VersionEdit): Promise<void> {
  const number = ctx.versions.newFileNumber()
  ctx.pending.add(number)
  const result = await runInBackground(flushJob(ctx.location, ctx.options, number, ctx.memtables.mem), 'flush', ctx.env)
  const meta = result.outputs[0]
  if (meta !== undefined) {
    edit.newFiles.push({ level: 0, file: meta })
    ctx.infoLog.write(`Level-0 table #${number}: ${meta.size} bytes (recovered)`)
  }
  ctx.memtables.replaceMutable()
}
