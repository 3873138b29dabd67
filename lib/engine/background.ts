// Background work: flushing the sealed memtables and leveled compaction, both run by the
// worker pool (compaction/worker-pool.ts), plus compactRange. The decisions stay here, on
// the main thread: file numbers, the level a flush goes to, the VersionEdit; a job only
// writes files.
//
// One flush and one compaction may run at once. A failure of either puts the database in
// the background-error state (background-errors.ts); the promises kept here never reject,
// so no failure can surface as an unhandled rejection.

import type { Env } from '../env/env'
import type { InfoLog } from '../env/info-log'
import { compareBytes } from '../format/bytes'
import { compactionJob, fileNumbersNeeded, flushJob } from '../compaction/jobs'
import { compactionEdit, isTrivialMove, pickCompaction, pickRangeCompaction, type CompactionTask, type PickerOptions } from '../compaction/picker'
import { runInBackground } from '../compaction/worker-pool'
import { maxGrandparentOverlapBytes, NUM_LEVELS } from '../version/constants'
import { type FileMeta, largestUserKey, smallestUserKey } from '../version/file-meta'
import { emptyEdit } from '../version/version-edit'
import type { VersionSet } from '../version/version-set'
import type { Activity, FlushInfo } from './activity'
import type { BackgroundErrors } from './background-errors'
import type { MemTables } from './memtables'
import type { EngineOptions } from './options'
import type { LevelStats } from './properties'
import type { SnapshotList } from './snapshot-list'
import type { FileSweeper } from './obsolete-files'
import type { WalManager } from './wal-manager'

export interface BackgroundContext {
  env: Env
  location: string
  options: EngineOptions
  versions: VersionSet
  memtables: MemTables
  wal: () => WalManager
  snapshots: SnapshotList
  /** File numbers of outputs not installed yet: the sweeper keeps them. */
  pending: Set<number>
  infoLog: InfoLog
  errors: BackgroundErrors
  sweeper: FileSweeper
  stats: LevelStats
  /** Hears of each flush and compaction installed ('flush' and 'compaction' events). */
  activity: Activity
}

export class BackgroundWork {
  /** The flush under way; resolves (never rejects) when it ended, well or not. */
  flushing: Promise<void> | undefined
  /** The compaction under way; never rejects. */
  compacting: Promise<void> | undefined
  // Set while a flush has chosen its output level but not yet installed it: a compaction
  // picked meanwhile could write outputs overlapping that file.
  private flushInstalling = false
  private compactionStop: Int32Array | undefined
  // compactRange calls waiting for their turn: automatic compactions do not start meanwhile,
  // or a steady write load would keep one running and the manual one would never get in.
  private manualWaiting = 0
  // A file whose seek allowance ran out (point-read.ts): compacted when no level is over size.
  private seekCandidate: { level: number, file: FileMeta } | undefined
  private readonly picker: PickerOptions
  private stopped = false

  constructor (private readonly ctx: BackgroundContext) {
    this.picker = { maxFileSize: ctx.options.maxFileSize }
  }

  /**
   * Seals the memtable, starts a new WAL and flushes the sealed memtable in the background.
   * Throws (and changes nothing) if the new WAL cannot be created.
   */
  switchMemTable (): void {
    const nextLog = this.ctx.wal().switch()
    this.ctx.memtables.seal(nextLog)
    this.startFlush()
  }

  /**
   * Flushes the sealed memtables, oldest first, if there are any and no flush runs. After a
   * failure the rest wait for retryFlush() (background-error recovery). Close lets them all
   * finish (idle() waits), so that a reopen has at most the mutable memtable's WAL to replay.
   */
  startFlush (): void {
    if (this.flushing !== undefined || this.ctx.memtables.imm === undefined) return
    this.flushing = this.flushImmutable().then(() => true, () => false).then((flushed) => {
      this.flushing = undefined
      if (flushed) this.startFlush()
    })
  }

  /** Starts the next automatic compaction if one is due and none is running. */
  maybeScheduleCompaction (): void {
    if (this.compacting !== undefined || this.stopped || this.ctx.errors.error !== undefined || this.flushInstalling || this.manualWaiting > 0) return
    const task = pickCompaction(this.ctx.versions.current, this.ctx.versions.compactPointers, this.picker, this.seekCandidate)
    if (task === undefined) return
    if (task.reason === 'seek') this.seekCandidate = undefined
    this.startCompaction(task).catch(() => {})
  }

  /** A file used up its seeks: it becomes the seek-compaction candidate if there is none. */
  noteSeeksUsedUp (file: FileMeta, level: number): void {
    const current = this.seekCandidate
    if (current !== undefined && this.ctx.versions.current.files[current.level].includes(current.file)) return
    this.seekCandidate = { level, file }
    this.maybeScheduleCompaction()
  }

  /**
   * Flushes the memtable, then compacts every level's files that overlap [begin, end]
   * (user keys, inclusive; undefined = open), level by level, as LevelDB's CompactRange.
   * Resolves once the files it made obsolete are deleted (those no iterator still reads).
   */
  async compactRange (begin: Uint8Array | undefined, end: Uint8Array | undefined, flushMemTable: () => Promise<void>): Promise<void> {
    await flushMemTable()
    const { versions, errors } = this.ctx
    let deepest = 0
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (versions.current.overlapsLevel(level, begin, end)) deepest = level
    }
    // Level by level down to the one above the deepest that holds part of the range.
    for (let level = 0; level < Math.max(1, deepest); level++) {
      let from = begin
      for (;;) {
        this.manualWaiting++
        try {
          while (this.compacting !== undefined) await this.compacting
        } finally {
          this.manualWaiting--
        }
        if (errors.error !== undefined) throw errors.error
        if (this.stopped) return
        const task = pickRangeCompaction(versions.current, level, from, end, this.picker)
        if (task === undefined) break
        await this.startCompaction(task)
        // Level-0 inputs overlap and are not in key order: go on past the largest of them.
        let lastKey = largestUserKey(task.inputs[0][0])
        for (const file of task.inputs[0]) if (compareBytes(largestUserKey(file), lastKey) > 0) lastKey = largestUserKey(file)
        if (end !== undefined && compareBytes(lastKey, end) >= 0) break
        // Continue just past the last input; a key equal to lastKey was fully included.
        from = Buffer.concat([lastKey, Buffer.from([0])])
      }
    }
    // Automatic compactions held back while this one waited may be due.
    this.maybeScheduleCompaction()
    // Space is what users call this for: hand it back before resolving.
    this.ctx.sweeper.request()
    await this.ctx.sweeper.idle()
  }

  /** Redoes a failed flush (background-error recovery); rejects if it fails again. */
  async retryFlush (): Promise<void> {
    while (this.flushing !== undefined) await this.flushing
    if (this.ctx.memtables.imm === undefined) return
    const flush = this.flushImmutable()
    this.flushing = flush.catch(() => {}).finally(() => { this.flushing = undefined })
    await flush
    // The sealed memtables after it.
    this.startFlush()
    while (this.flushing !== undefined) await this.flushing
    if (this.ctx.errors.error !== undefined && this.ctx.memtables.imm !== undefined) throw this.ctx.errors.error
  }

  /** Stops starting work and asks a running compaction to give up; see idle(). */
  stop (): void {
    this.stopped = true
    if (this.compactionStop !== undefined) Atomics.store(this.compactionStop, 0, 1)
  }

  /** Resolves once no flush or compaction runs. */
  async idle (): Promise<void> {
    while (this.flushing !== undefined || this.compacting !== undefined) {
      await Promise.all([this.flushing, this.compacting])
    }
  }

  private async flushImmutable (): Promise<void> {
    const { env, location, options, versions, memtables, pending, infoLog, errors } = this.ctx
    const imm = memtables.imm
    if (imm === undefined) return
    const number = versions.newFileNumber()
    pending.add(number)
    let flushed: FlushInfo | undefined
    try {
      const started = process.hrtime.bigint()
      const result = await runInBackground(flushJob(location, options, number, imm), 'flush', env)
      const meta = result.outputs[0]
      const edit = emptyEdit()
      // Logs before the one that followed this memtable hold nothing that is not in tables
      // once this is installed (later sealed memtables' records are in that log and after).
      edit.logNumber = memtables.logAfterOldest
      if (meta !== undefined) {
        // While a compaction runs, its outputs are not in the version yet: only level 0 is
        // sure not to collide with them.
        const level = this.compacting !== undefined
          ? 0
          : versions.current.pickLevelForMemTableOutput(
            smallestUserKey(meta), largestUserKey(meta), maxGrandparentOverlapBytes(options.maxFileSize))
        edit.newFiles.push({ level, file: meta })
        flushed = { file: number, level, bytes: meta.size, entries: imm.count, ms: 0 }
        this.ctx.stats.record(level, Number(process.hrtime.bigint() - started) / 1000, 0, meta.size)
        infoLog.write(`Level-${level} table #${number}: ${meta.size} bytes`)
      }
      this.flushInstalling = true
      try {
        await versions.logAndApply(edit)
      } finally {
        this.flushInstalling = false
      }
      memtables.flushed()
      if (flushed !== undefined) {
        flushed.ms = Number(process.hrtime.bigint() - started) / 1e6
        this.ctx.activity.flushed(flushed)
      }
    } catch (err) {
      infoLog.write(`Flush failed: ${(err as Error).message}`)
      errors.set(err as Error, 'flush')
      throw err
    } finally {
      // A table whose MANIFEST record failed stays on disk: nothing is deleted in the error
      // state, and the next open removes it if the MANIFEST does not name it.
      pending.delete(number)
    }
    this.ctx.sweeper.request()
    this.maybeScheduleCompaction()
  }

  private startCompaction (task: CompactionTask): Promise<void> {
    const running = this.runCompaction(task).catch((err) => {
      // Stopped by close(): the inputs are intact and the next open carries on.
      if (this.stopped) {
        this.ctx.infoLog.write(`Compaction given up at close (${(err as Error).message}): its inputs stay, the next open carries on`)
        return
      }
      this.ctx.infoLog.write(`Compaction failed: ${(err as Error).message}`)
      this.ctx.errors.set(err as Error, 'compaction')
      throw err
    }).finally(() => {
      this.compacting = undefined
      this.compactionStop = undefined
      this.maybeScheduleCompaction()
    })
    this.compacting = running.catch(() => {})
    return running
  }

  private async runCompaction (task: CompactionTask): Promise<void> {
    const { env, location, options, versions, pending, infoLog, snapshots } = this.ctx
    const started = process.hrtime.bigint()
    const inputs = task.inputs[0].length + task.inputs[1].length
    const report = (outputs: readonly FileMeta[], bytesRead: number, bytesWritten: number): void => {
      this.ctx.activity.compacted({
        inputLevel: task.level,
        outputLevel: task.level + 1,
        inputFiles: task.inputs[0].concat(task.inputs[1]).map((file) => file.number),
        outputFiles: outputs.map((file) => file.number),
        bytesRead,
        bytesWritten,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        reason: task.reason
      })
    }
    if (isTrivialMove(task)) {
      await versions.logAndApply(compactionEdit(task, task.inputs[0]))
      infoLog.write(`Moved #${task.inputs[0][0].number} to level-${task.level + 1}`)
      report(task.inputs[0], 0, 0)
      return
    }
    const version = versions.current
    versions.pin(version)
    infoLog.write(`Compacting ${task.inputs[0].length}@${task.level} + ${task.inputs[1].length}@${task.level + 1} files (${task.reason})`)
    const numbers: number[] = []
    for (let i = fileNumbersNeeded(task); i > 0; i--) {
      const number = versions.newFileNumber()
      numbers.push(number)
      pending.add(number)
    }
    const stop = new SharedArrayBuffer(4)
    this.compactionStop = new Int32Array(stop)
    try {
      const smallestSnapshot = snapshots.oldest(versions.lastSequence)
      const job = compactionJob(location, options, task, version, smallestSnapshot, numbers, stop)
      const result = await runInBackground(job, 'compaction', env)
      await versions.logAndApply(compactionEdit(task, result.outputs))
      this.ctx.stats.record(task.level + 1, Number(process.hrtime.bigint() - started) / 1000, result.bytesRead, result.bytesWritten)
      report(result.outputs, result.bytesRead, result.bytesWritten)
      infoLog.write(`Compacted ${inputs} files at level-${task.level} (${task.reason}) into ${result.outputs.length} files at level-${task.level + 1}, dropped ${result.droppedEntries} entries`)
    } finally {
      for (const number of numbers) pending.delete(number)
      versions.unpin(version)
      this.ctx.sweeper.request()
    }
  }
}
