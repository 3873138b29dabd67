// The engine: open and recovery, the write path, the read path and the background flush.
// It knows nothing of abstract-level; lib/adapter/level.ts adapts it.
//
// State, newest first: the mutable memtable `mem` (with its WAL), at most one immutable
// memtable `imm` being flushed, then the table files of the current Version. A read at
// sequence S looks at each in that order and takes the first version with sequence <= S.
//
// Durability: a write is acknowledged after its WAL record reached the kernel (or the disk,
// with sync). A flush writes the table, fsyncs it, records it in the MANIFEST (fsync), and
// only then deletes the WAL it replaces.

import * as fs from 'fs'
import * as path from 'path'
import { ioError, levelError } from '../base/errors'
import { compareBytes } from '../format/bytes'
import { ByteWriter } from '../format/coding'
import { logFileName, parseFileName, tableFileName, legacyTableFileName } from '../format/filename'
import { ValueKind } from '../format/internal-key'
import { DbIterator, type KeyRange } from '../iterator/db-iterator'
import type { InternalIterator } from '../base/internal-iterator'
import { LevelIterator } from '../iterator/level-iterator'
import { mergeIterators } from '../iterator/merging-iterator'
import { InfoLog } from '../env/info-log'
import { LockFile } from '../env/lock-file'
import { applyBatch } from '../memtable/apply-batch'
import { MemTable } from '../memtable/memtable'
import { type EngineOptions } from './options'
import { SnapshotList } from './snapshot-list'
import { BlockCache } from '../cache/lru-cache'
import { TableCache } from '../cache/table-cache'
import { compactionJob, fileNumbersNeeded, flushJob } from '../compaction/jobs'
import { compactionEdit, isTrivialMove, pickCompaction, pickRangeCompaction, type CompactionTask, type PickerOptions } from '../compaction/picker'
import { backgroundJobsInFlight, runInBackground } from '../compaction/worker-pool'
import { performance } from 'perf_hooks'
import { backgroundSyncInProgress } from '../compaction/sync-signal'
import { L0_SLOWDOWN_WRITES_TRIGGER, L0_STOP_WRITES_TRIGGER, maxGrandparentOverlapBytes, NUM_LEVELS } from '../version/constants'
import { smallestUserKey, largestUserKey, type FileMeta } from '../version/file-meta'
import type { Version } from '../version/version'
import { emptyEdit } from '../version/version-edit'
import { VersionSet, syncDirectoryAsync, writeFully } from '../version/version-set'
import { LogReader } from '../wal/log-reader'
import { LogWriter } from '../wal/log-writer'
import { WriteQueue, type WriteTarget } from './write-queue'
import { batchSequence } from '../wal/write-batch'

// A synchronous WAL append slower than this makes the next ones asynchronous for a while.
const SLOW_APPEND_MS = 2
const ASYNC_APPEND_WINDOW_MS = 1000

export interface ReadOptions {
  /** Read as of this sequence (an explicit snapshot); default: the latest. */
  sequence?: number
  fillCache?: boolean
}

export interface IteratorOptions extends KeyRange {
  sequence?: number
  reverse?: boolean
  fillCache?: boolean
}

export class Engine implements WriteTarget {
  private mem: MemTable
  private imm: MemTable | undefined
  private walFd = -1
  private walNumber = 0
  private walWriter = new LogWriter(0)
  private walDirectorySynced = false
  private previousWalsSynced: Promise<void> = Promise.resolve()
  private spareMemTable: MemTable | undefined
  private readonly retired = new Set<MemTable>()
  // The WAL the next memtable switch will use, being created in the background.
  private nextWal: { number: number, fd?: number } | undefined
  private asyncAppendsUntil = 0
  private readonly walOut = new ByteWriter(64 * 1024)
  readonly writes: WriteQueue
  readonly snapshots = new SnapshotList()
  private readonly tableCache: TableCache
  private readonly blockCache: BlockCache
  private readonly pendingOutputs = new Set<number>()
  private flushing: Promise<void> | undefined
  // Set while a flush has chosen its output level but not yet installed it: a compaction
  // picked meanwhile could write outputs overlapping that file.
  private flushInstalling = false
  private compacting: Promise<void> | undefined
  private compactionStop: Int32Array | undefined
  private readonly pickerOptions: PickerOptions
  private backgroundError: Error | undefined
  private closed = false
  private sweeping: Promise<void> | undefined
  private sweepAgain = false
  private readonly levelStats = Array.from({ length: NUM_LEVELS }, () => ({ micros: 0, bytesRead: 0, bytesWritten: 0 }))

  private constructor (
    readonly location: string,
    readonly options: EngineOptions,
    private readonly lock: LockFile,
    private readonly infoLog: InfoLog,
    readonly versions: VersionSet
  ) {
    this.mem = this.newMemTable()
    this.writes = new WriteQueue(this)
    this.pickerOptions = { maxFileSize: options.maxFileSize }
    this.blockCache = new BlockCache(options.cacheSize)
    // As LevelDB, keep ten descriptors of maxOpenFiles for the WAL, MANIFEST and others.
    this.tableCache = new TableCache(location, options.maxOpenFiles - 10, this.blockCache)
  }

  static async open (location: string, options: EngineOptions): Promise<Engine> {
    if (options.createIfMissing) {
      await fs.promises.mkdir(location, { recursive: true })
    } else if (!fs.existsSync(path.join(location, 'CURRENT'))) {
      throw new Error(`Invalid argument: ${location}: does not exist (create_if_missing is false)`)
    }
    const lock = LockFile.acquire(location)
    let infoLog: InfoLog | undefined
    try {
      infoLog = InfoLog.open(location)
      const versions = new VersionSet(location)
      if (versions.exists()) {
        if (options.errorIfExists) throw new Error(`Invalid argument: ${location}: exists (error_if_exists is true)`)
        versions.recover()
      }
      const engine = new Engine(location, options, lock, infoLog, versions)
      await engine.recover()
      return engine
    } catch (err) {
      await infoLog?.closeAsync()
      lock.release()
      throw err
    }
  }

  // --- recovery ---

  private async recover (): Promise<void> {
    const versions = this.versions
    const names = fs.readdirSync(this.location)
    const present = new Set(names)
    const missing: string[] = []
    for (const level of versions.current.files) {
      for (const file of level) {
        const ldb = path.basename(tableFileName(this.location, file.number))
        const sst = path.basename(legacyTableFileName(this.location, file.number))
        if (!present.has(ldb) && !present.has(sst)) missing.push(path.join(this.location, ldb))
      }
    }
    if (missing.length > 0) {
      throw levelError('LEVEL_CORRUPTION', `Corruption: ${missing.length} missing files; e.g.: ${missing[0]}`)
    }

    const logs: number[] = []
    for (const name of names) {
      const parsed = parseFileName(name)
      if (parsed === undefined) continue
      versions.markFileNumberUsed(parsed.number)
      if (parsed.type === 'log' && (parsed.number >= versions.logNumber || parsed.number === versions.prevLogNumber)) {
        logs.push(parsed.number)
      }
    }
    logs.sort((a, b) => a - b)

    const edit = emptyEdit()
    let stopped = false
    for (const number of logs) {
      if (stopped) {
        this.infoLog.write(`Skipping log #${number}: an earlier log was damaged, and replaying later records would leave a hole`)
        continue
      }
      stopped = !(await this.replayLog(number, edit))
    }
    // As LevelDB does, the replayed data goes to a table and the old logs are dropped: a
    // damaged log then cannot be replayed beyond its damage by a later open (a hole), and
    // a directory's data is in tables after a reopen, as classic-level users expect.
    if (!this.mem.empty) await this.flushDuringRecovery(edit)

    this.walNumber = versions.newFileNumber()
    this.walFd = fs.openSync(logFileName(this.location, this.walNumber), 'w')
    this.walWriter = new LogWriter(0)
    edit.logNumber = this.walNumber
    versions.writeNewManifest(edit)
    for (const { file } of edit.newFiles) this.pendingOutputs.delete(file.number)
    this.prepareNextWal()
    // What recovery kept and dropped is in LOG by the time open() resolves.
    await this.infoLog.flush()
    this.deleteObsoleteFiles()
    this.maybeScheduleCompaction()
  }

  /** Replays one WAL into the memtable; returns false if it stopped at damage. */
  private async replayLog (number: number, edit: ReturnType<typeof emptyEdit>): Promise<boolean> {
    const file = logFileName(this.location, number)
    this.infoLog.write(`Recovering log #${number}`)
    const data = fs.readFileSync(file)
    let damage: string | undefined
    const reader = new LogReader(data, (c) => {
      if (damage === undefined) damage = `${c.reason} at offset ${c.offset} (${c.bytes} bytes)`
    })
    const versions = this.versions
    let appliedEnd = 0
    for (let record = reader.next(); record !== undefined && damage === undefined; record = reader.next()) {
      let count: number
      try {
        count = applyBatch(undefined, record, 0, file)
      } catch (err) {
        damage = (err as Error).message
        break
      }
      const first = batchSequence(record)
      applyBatch(this.mem, record, first, file)
      const last = first + count - 1
      if (last > versions.lastSequence) versions.lastSequence = last
      appliedEnd = reader.lastRecordEnd
      if (this.mem.approximateMemoryUsage() >= this.options.writeBufferSize) await this.flushDuringRecovery(edit)
    }
    if (damage !== undefined) {
      const dropped = data.length - appliedEnd
      this.infoLog.write(`Log #${number}: ${damage}; kept the records before it and dropped the remaining ${dropped} bytes of this log`)
      return false
    }
    return true
  }

  /** Writes the recovered memtable as a level-0 table, on the flush worker. */
  private async flushDuringRecovery (edit: ReturnType<typeof emptyEdit>): Promise<void> {
    const number = this.versions.newFileNumber()
    this.pendingOutputs.add(number)
    const result = await runInBackground(flushJob(this.location, this.options, number, this.mem), 'flush')
    const meta = result.outputs[0]
    if (meta !== undefined) {
      edit.newFiles.push({ level: 0, file: meta })
      this.infoLog.write(`Level-0 table #${number}: ${meta.size} bytes (recovered)`)
    }
    this.mem = this.newMemTable()
  }

  /**
   * A memtable whose arena already has room for a full write buffer: shared memory is
   * zeroed lazily by the OS, so the reservation costs nothing until used, and the memtable
   * never pauses the event loop to copy itself into a bigger arena.
   */
  private newMemTable (): MemTable {
    const spare = this.spareMemTable
    if (spare !== undefined) {
      this.spareMemTable = undefined
      spare.reset()
      return spare
    }
    return new MemTable(this.options.writeBufferSize + 64 * 1024)
  }

  /** Keeps a flushed memtable's storage for the next one, once no iterator reads it. */
  private retireMemTable (mem: MemTable): void {
    this.retired.add(mem)
    this.recycleIfUnused(mem)
  }

  private recycleIfUnused (mem: MemTable): void {
    if (mem.refs > 0 || !this.retired.has(mem)) return
    this.retired.delete(mem)
    // An arena that grew for a huge value is not worth keeping.
    if (this.spareMemTable === undefined && mem.arenaCapacity <= 2 * (this.options.writeBufferSize + 64 * 1024)) {
      this.spareMemTable = mem
    }
  }

  // --- write path ---

  put (key: string | Uint8Array, value: string | Uint8Array, sync: boolean): Promise<void> {
    const group = this.writes.current()
    group.builder.put(key, value)
    return this.writes.commit(group, sync)
  }

  del (key: string | Uint8Array, sync: boolean): Promise<void> {
    const group = this.writes.current()
    group.builder.del(key)
    return this.writes.commit(group, sync)
  }

  /** Applies the ops atomically: they share one WAL record with the rest of their group. */
  batch (operations: ReadonlyArray<{ type: 'put' | 'del', key: string | Uint8Array, value?: string | Uint8Array }>, sync: boolean): Promise<void> {
    // Check every op before encoding any, so a bad one cannot leave half a batch in the group.
    for (const op of operations) {
      if (!isBytes(op.key) || (op.type === 'put' && !isBytes(op.value))) {
        return Promise.reject(new TypeError('Batch keys and values must be strings, Buffers or Uint8Arrays'))
      }
    }
    const group = this.writes.current()
    for (const op of operations) {
      if (op.type === 'put') group.builder.put(op.key, op.value as string | Uint8Array)
      else group.builder.del(op.key)
    }
    return this.writes.commit(group, sync)
  }

  /** Writes an already encoded WriteBatch (a chained batch) atomically. */
  writeEncoded (encoded: Uint8Array, sync: boolean): Promise<void> {
    const group = this.writes.current()
    group.builder.appendBatch(encoded)
    return this.writes.commit(group, sync)
  }

  // --- WriteTarget: driven by the WriteQueue ---

  makeRoom (allowDelay: boolean): Promise<void> | undefined {
    if (this.backgroundError !== undefined) return Promise.reject(this.backgroundError)
    const level0Files = this.versions.current.numFiles(0)
    if (allowDelay && level0Files >= L0_SLOWDOWN_WRITES_TRIGGER) {
      // Many level-0 files: give compaction a millisecond per write group rather than stall
      // the writers outright later (LevelDB's slowdown, as a timer instead of a sleep).
      return new Promise((resolve) => setTimeout(resolve, 1))
    }
    if (this.mem.approximateMemoryUsage() < this.options.writeBufferSize) return undefined
    if (this.imm !== undefined) {
      // Back-pressure: the previous memtable is still being flushed.
      return this.flushing ?? Promise.resolve()
    }
    if (level0Files >= L0_STOP_WRITES_TRIGGER) {
      this.maybeScheduleCompaction()
      return this.compacting ?? this.flushing ?? new Promise((resolve) => setTimeout(resolve, 1))
    }
    this.switchMemTable()
    return undefined
  }

  appendToLog (batch: Buffer): Promise<void> | undefined {
    const out = this.walOut
    out.reset()
    this.walWriter.append(batch, out)
    if (backgroundJobsInFlight() || backgroundSyncInProgress() || performance.now() < this.asyncAppendsUntil) {
      // While tables are being written, or right after a slow write, the filesystem may hold a
      // write for tens of milliseconds (its journal commits): send the append to the thread
      // pool so the event loop keeps turning. Otherwise append synchronously, which is what
      // makes single writes fast.
      // No copy: the queue sends nothing else until this append completes.
      return appendAsync(this.walFd, out.view())
    }
    const started = performance.now()
    writeFully(this.walFd, out.view())
    const finished = performance.now()
    if (finished - started > SLOW_APPEND_MS) this.asyncAppendsUntil = finished + ASYNC_APPEND_WINDOW_MS
    if (out.buffer.length > 1024 * 1024) out.buffer = Buffer.allocUnsafe(64 * 1024)
    return undefined
  }

  async syncLog (): Promise<void> {
    const fd = this.walFd
    await this.previousWalsSynced
    if (!this.walDirectorySynced) {
      // The first sync of a new WAL also makes its directory entry durable.
      await syncDirectoryAsync(this.location)
      this.walDirectorySynced = true
    }
    await new Promise<void>((resolve, reject) => {
      fs.fdatasync(fd, (err) => err === null ? resolve() : reject(ioError(`WAL sync: ${err.message}`, err)))
    })
  }

  apply (batch: Buffer, firstSequence: number, count: number): void {
    applyBatch(this.mem, batch, firstSequence, 'write batch')
    this.versions.lastSequence = firstSequence + count - 1
  }

  lastSequence (): number {
    return this.versions.lastSequence
  }

  /** Seals the memtable, starts a new WAL, and flushes the old memtable in the background. */
  private switchMemTable (): void {
    const { number, fd } = this.takeNextWal()
    // The old WAL is synced before it is closed, and a later sync write waits for that: a
    // write acknowledged with sync must not survive power loss while earlier writes do not.
    const oldFd = this.walFd
    const previous = this.previousWalsSynced
    this.previousWalsSynced = new Promise<void>((resolve) => {
      fs.fdatasync(oldFd, () => fs.close(oldFd, () => { previous.then(resolve, resolve) }))
    })
    this.walFd = fd
    this.walNumber = number
    this.walWriter = new LogWriter(0)
    this.walDirectorySynced = false
    this.imm = this.mem
    this.mem = this.newMemTable()
    this.flushing = this.flushImmutable().finally(() => { this.flushing = undefined })
  }

  /**
   * The WAL for the next memtable. Creating a file can wait on the filesystem journal, so
   * the next one is created ahead of time off the main thread; only if it is not ready yet
   * is it created synchronously.
   */
  private takeNextWal (): { number: number, fd: number } {
    const prepared = this.nextWal
    this.nextWal = undefined
    if (prepared !== undefined) this.pendingOutputs.delete(prepared.number)
    const wal = prepared?.fd !== undefined ? prepared as { number: number, fd: number } : this.createWal(prepared?.number)
    this.prepareNextWal()
    return wal
  }

  private createWal (number = this.versions.newFileNumber()): { number: number, fd: number } {
    return { number, fd: fs.openSync(logFileName(this.location, number), 'w') }
  }

  private prepareNextWal (): void {
    const next: { number: number, fd?: number } = { number: this.versions.newFileNumber() }
    this.nextWal = next
    this.pendingOutputs.add(next.number)
    fs.open(logFileName(this.location, next.number), 'w', (err, fd) => {
      if (err !== null) return
      if (this.nextWal === next && !this.closed) next.fd = fd
      else fs.close(fd, () => {})
    })
  }

  private async flushImmutable (): Promise<void> {
    const imm = this.imm as MemTable
    const number = this.versions.newFileNumber()
    this.pendingOutputs.add(number)
    try {
      const started = process.hrtime.bigint()
      const result = await runInBackground(flushJob(this.location, this.options, number, imm), 'flush')
      const meta = result.outputs[0]
      const edit = emptyEdit()
      edit.logNumber = this.walNumber
      if (meta !== undefined) {
        // While a compaction runs, its outputs are not in the version yet: only level 0 is
        // sure not to collide with them.
        const level = this.compacting !== undefined
          ? 0
          : this.versions.current.pickLevelForMemTableOutput(
            smallestUserKey(meta), largestUserKey(meta), maxGrandparentOverlapBytes(this.options.maxFileSize))
        edit.newFiles.push({ level, file: meta })
        this.recordStats(level, Number(process.hrtime.bigint() - started) / 1000, 0, meta.size)
        this.infoLog.write(`Level-${level} table #${number}: ${meta.size} bytes`)
      }
      this.flushInstalling = true
      try {
        await this.versions.logAndApply(edit)
      } finally {
        this.flushInstalling = false
      }
      this.imm = undefined
      this.retireMemTable(imm)
    } catch (err) {
      this.backgroundError = err as Error
      this.infoLog.write(`Flush failed: ${(err as Error).message}`)
      throw err
    } finally {
      this.pendingOutputs.delete(number)
    }
    this.deleteObsoleteFiles()
    this.maybeScheduleCompaction()
  }

  // --- compaction ---

  /** Starts the next automatic compaction if one is due and none is running. */
  private maybeScheduleCompaction (): void {
    if (this.compacting !== undefined || this.closed || this.backgroundError !== undefined || this.flushInstalling) return
    const task = pickCompaction(this.versions.current, this.versions.compactPointers, this.pickerOptions)
    if (task === undefined) return
    this.startCompaction(task)
  }

  private startCompaction (task: CompactionTask): Promise<void> {
    const running = this.runCompaction(task).catch((err) => {
      this.infoLog.write(`Compaction failed: ${(err as Error).message}`)
      // Stopped by close(): the inputs are intact and the next open carries on.
      if (this.closed) return
      this.backgroundError = err as Error
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
    const versions = this.versions
    const started = process.hrtime.bigint()
    const inputs = task.inputs[0].length + task.inputs[1].length
    if (isTrivialMove(task)) {
      await versions.logAndApply(compactionEdit(task, task.inputs[0]))
      this.infoLog.write(`Moved #${task.inputs[0][0].number} to level-${task.level + 1}`)
      return
    }
    const version = versions.current
    versions.pin(version)
    this.infoLog.write(`Compacting ${task.inputs[0].length}@${task.level} + ${task.inputs[1].length}@${task.level + 1} files (${task.reason})`)
    const numbers: number[] = []
    for (let i = fileNumbersNeeded(task); i > 0; i--) {
      const number = versions.newFileNumber()
      numbers.push(number)
      this.pendingOutputs.add(number)
    }
    const stop = new SharedArrayBuffer(4)
    this.compactionStop = new Int32Array(stop)
    try {
      const smallestSnapshot = this.snapshots.oldest(versions.lastSequence)
      const job = compactionJob(this.location, this.options, task, version, smallestSnapshot, numbers, stop)
      const result = await runInBackground(job, 'compaction')
      await versions.logAndApply(compactionEdit(task, result.outputs))
      this.recordStats(task.level + 1, Number(process.hrtime.bigint() - started) / 1000, result.bytesRead, result.bytesWritten)
      this.infoLog.write(`Compacted ${inputs} files at level-${task.level} (${task.reason}) into ${result.outputs.length} files at level-${task.level + 1}, dropped ${result.droppedEntries} entries`)
    } finally {
      for (const number of numbers) this.pendingOutputs.delete(number)
      versions.unpin(version)
      this.deleteObsoleteFiles()
    }
  }

  /**
   * Flushes the memtable, then compacts every level's files that overlap [begin, end]
   * (user keys, inclusive; undefined = open), level by level, as LevelDB's CompactRange.
   */
  async compactRange (begin: Uint8Array | undefined, end: Uint8Array | undefined): Promise<void> {
    await this.flushMemTable()
    let deepest = 0
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (this.versions.current.overlapsLevel(level, begin, end)) deepest = level
    }
    // Level by level down to the one above the deepest that holds part of the range.
    for (let level = 0; level < Math.max(1, deepest); level++) {
      let from = begin
      for (;;) {
        while (this.compacting !== undefined) await this.compacting
        if (this.backgroundError !== undefined) throw this.backgroundError
        if (this.closed) return
        const task = pickRangeCompaction(this.versions.current, level, from, end, this.pickerOptions)
        if (task === undefined) break
        await this.startCompaction(task)
        const last = task.inputs[0][task.inputs[0].length - 1]
        const lastKey = largestUserKey(last)
        if (end !== undefined && compareBytes(lastKey, end) >= 0) break
        // Continue just past the last input; a key equal to lastKey was fully included.
        from = Buffer.concat([lastKey, Buffer.from([0])])
      }
    }
  }

  /** Seals and flushes the memtable (if it holds anything) and waits until that is done. */
  private async flushMemTable (): Promise<void> {
    await this.writes.idle()
    while (this.flushing !== undefined) await this.flushing.catch(() => {})
    if (this.backgroundError !== undefined) throw this.backgroundError
    if (!this.mem.empty) this.switchMemTable()
    while (this.flushing !== undefined) await this.flushing
  }

  /**
   * Removes files that no version, pending output or live WAL needs. Unlinking a file of
   * megabytes can take milliseconds, so it happens off the main thread; sweeps run one at a
   * time, and a sweep asked for meanwhile runs once the current one ends.
   */
  deleteObsoleteFiles (): void {
    if (this.sweeping !== undefined) {
      this.sweepAgain = true
      return
    }
    this.sweeping = this.sweep().catch(() => {}).finally(() => {
      this.sweeping = undefined
      if (this.sweepAgain && !this.closed) {
        this.sweepAgain = false
        this.deleteObsoleteFiles()
      }
    })
  }

  private async sweep (): Promise<void> {
    const names = await fs.promises.readdir(this.location)
    // Decide against the state after the listing: files created since are not in it.
    const versions = this.versions
    const live = versions.liveTableNumbers()
    const doomed: Array<{ name: string, type: string, number: number }> = []
    for (const name of names) {
      const parsed = parseFileName(name)
      if (parsed === undefined) continue
      let keep = true
      switch (parsed.type) {
        case 'log': keep = parsed.number >= versions.logNumber || parsed.number === versions.prevLogNumber || parsed.number === this.walNumber; break
        case 'manifest': keep = parsed.number >= versions.manifestNumber; break
        case 'table': keep = live.has(parsed.number) || this.pendingOutputs.has(parsed.number); break
        case 'temp': keep = this.pendingOutputs.has(parsed.number); break
        default: keep = true
      }
      if (!keep) doomed.push({ name, ...parsed })
    }
    for (const file of doomed) {
      if (file.type === 'table') this.tableCache.evict(file.number)
      try {
        await fs.promises.unlink(path.join(this.location, file.name))
        this.infoLog.write(`Delete type=${file.type} #${file.number}`)
      } catch {}
    }
  }

  // --- read path ---

  /**
   * The newest value of `key` visible at the read sequence, as a view (copy it before the
   * next engine call), or undefined when absent or deleted. Synchronous.
   */
  get (key: Uint8Array, options: ReadOptions): Buffer | undefined {
    const sequence = options.sequence ?? this.versions.lastSequence
    let node = this.mem.find(key, 0, key.length, sequence)
    if (node !== 0) return this.mem.kindOf(node) === ValueKind.Value ? this.mem.valueOf(node) : undefined
    const imm = this.imm
    if (imm !== undefined) {
      node = imm.find(key, 0, key.length, sequence)
      if (node !== 0) return imm.kindOf(node) === ValueKind.Value ? imm.valueOf(node) : undefined
    }
    const fillCache = options.fillCache !== false
    let result: Buffer | undefined
    this.versions.current.forEachFileForGet(key, sequence, (file) => {
      const table = this.tableCache.acquire(file.number, file.size)
      try {
        const found = table.get(key, sequence, fillCache)
        if (found === undefined) return false
        if (found.kind === ValueKind.Value) result = found.value
        return true
      } finally {
        this.tableCache.release(table)
      }
    })
    return result
  }

  /** A snapshot of everything, synchronously: iterate it with valid/key/value/advance. */
  iterator (options: IteratorOptions): DbIterator {
    const sequence = options.sequence ?? this.versions.lastSequence
    const fillCache = options.fillCache === true
    const version = this.versions.current
    const memtables = this.imm === undefined ? [this.mem] : [this.mem, this.imm]
    const children: InternalIterator[] = []
    for (const mem of memtables) {
      mem.refs++
      children.push(mem.iterator())
    }
    const source = {
      open: (file: FileMeta): InternalIterator => this.tableIterator(file, fillCache)
    }
    for (const file of version.files[0]) children.push(new LevelIterator([file], source))
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (version.files[level].length > 0) children.push(new LevelIterator(version.files[level], source))
    }
    this.versions.pin(version)
    return new DbIterator(mergeIterators(children), sequence, options, options.reverse === true, () => {
      if (this.versions.unpin(version) && !this.closed) this.deleteObsoleteFiles()
      for (const mem of memtables) {
        mem.refs--
        this.recycleIfUnused(mem)
      }
    })
  }

  private tableIterator (file: FileMeta, fillCache: boolean): InternalIterator {
    const table = this.tableCache.acquire(file.number, file.size)
    const inner = table.iterator(fillCache)
    const cache = this.tableCache
    let released = false
    const close = inner.close.bind(inner)
    inner.close = () => {
      close()
      if (!released) {
        released = true
        cache.release(table)
      }
    }
    return inner
  }

  /** Pins the latest sequence for an explicit snapshot. */
  snapshot (): number {
    return this.snapshots.acquire(this.versions.lastSequence)
  }

  releaseSnapshot (sequence: number): void {
    this.snapshots.release(sequence)
  }

  // --- lifecycle ---

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.writes.close()
    await this.writes.idle()
    if (this.compactionStop !== undefined) Atomics.store(this.compactionStop, 0, 1)
    while (this.flushing !== undefined || this.compacting !== undefined) {
      await Promise.all([this.flushing?.catch(() => {}), this.compacting])
    }
    while (this.sweeping !== undefined) await this.sweeping
    await this.previousWalsSynced
    try { fs.closeSync(this.walFd) } catch {}
    if (this.nextWal?.fd !== undefined) {
      try { fs.closeSync(this.nextWal.fd) } catch {}
    }
    this.versions.close()
    this.tableCache.close()
    await this.infoLog.closeAsync()
    this.lock.release()
  }

  /**
   * Bytes of table files that hold keys in [start, end), estimated from the tables' index
   * blocks as LevelDB does. Data still in memtables counts nothing.
   */
  approximateSize (start: Uint8Array, end: Uint8Array): number {
    if (compareBytes(start, end) >= 0) return 0
    const version = this.versions.current
    return Math.max(0, this.approximateOffsetOf(version, end) - this.approximateOffsetOf(version, start))
  }

  private approximateOffsetOf (version: Version, key: Uint8Array): number {
    let offset = 0
    for (let level = 0; level < NUM_LEVELS; level++) {
      for (const file of version.files[level]) {
        if (compareBytes(largestUserKey(file), key) < 0) {
          offset += file.size
        } else if (compareBytes(smallestUserKey(file), key) > 0) {
          // Sorted levels hold nothing further before `key`; level-0 files may.
          if (level > 0) break
        } else {
          const table = this.tableCache.acquire(file.number, file.size)
          try {
            offset += table.approximateOffsetOf(key)
          } finally {
            this.tableCache.release(table)
          }
        }
      }
    }
    return offset
  }

  /** LevelDB's GetProperty names; '' for unknown ones, as classic-level answers. */
  property (name: string): string {
    const version = this.versions.current
    const prefix = 'leveldb.'
    if (!name.startsWith(prefix)) return ''
    const rest = name.slice(prefix.length)
    const levelMatch = /^num-files-at-level(\d+)$/.exec(rest)
    if (levelMatch !== null) {
      const level = Number(levelMatch[1])
      return level < NUM_LEVELS ? String(version.numFiles(level)) : ''
    }
    switch (rest) {
      case 'stats': return this.describeStats(version)
      case 'sstables': return version.describe()
      case 'approximate-memory-usage': return String(this.approximateMemoryUsage())
      default: return ''
    }
  }

  private describeStats (version: Version): string {
    const mb = (bytes: number): string => (bytes / 1048576).toFixed(0)
    let out = '                               Compactions\n' +
      'Level  Files Size(MB) Time(sec) Read(MB) Write(MB)\n' +
      '--------------------------------------------------\n'
    for (let level = 0; level < NUM_LEVELS; level++) {
      const stats = this.levelStats[level]
      const files = version.numFiles(level)
      if (files === 0 && stats.micros === 0) continue
      out += `${String(level).padStart(3)} ${String(files).padStart(8)} ${mb(version.levelBytes(level)).padStart(8)} ` +
        `${(stats.micros / 1e6).toFixed(0).padStart(9)} ${mb(stats.bytesRead).padStart(8)} ${mb(stats.bytesWritten).padStart(9)}\n`
    }
    return out
  }

  /** Adds a finished flush or compaction's work to the level's `leveldb.stats` row. */
  private recordStats (level: number, micros: number, bytesRead: number, bytesWritten: number): void {
    const stats = this.levelStats[level]
    stats.micros += micros
    stats.bytesRead += bytesRead
    stats.bytesWritten += bytesWritten
  }

  get isClosed (): boolean {
    return this.closed
  }

  approximateMemoryUsage (): number {
    return this.mem.approximateMemoryUsage() + (this.imm?.approximateMemoryUsage() ?? 0) + this.blockCache.totalCharge
  }
}

function isBytes (data: unknown): data is string | Uint8Array {
  return typeof data === 'string' || data instanceof Uint8Array
}

/** Appends through the thread pool (fs.write), resolving once every byte was written. */
function appendAsync (fd: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (offset: number): void => {
      fs.write(fd, bytes, offset, bytes.length - offset, null, (err, written) => {
        if (err !== null) return reject(err)
        if (offset + written < bytes.length) from(offset + written)
        else resolve()
      })
    }
    from(0)
  })
}
