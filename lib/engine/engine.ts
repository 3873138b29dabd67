// The engine: open, the write path, the read path and close. It knows nothing of
// abstract-level; lib/adapter/level.ts adapts it.
//
// State, newest first: the mutable memtable (with its WAL), the sealed memtables waiting for
// their flush (memtables.ts), then the table files of the current Version. A read at sequence S looks
// at each in that order and takes the first version with sequence <= S.
//
// Durability: a write is acknowledged after its WAL record reached the kernel (or the disk,
// with sync). A flush writes the table, syncs it, records it in the MANIFEST (synced), and
// only then may the WAL it replaces be deleted.
//
// The pieces, one file each: memtables.ts, wal-manager.ts, write-queue.ts (group commit),
// recovery.ts (log replay), background.ts (flush and compaction), obsolete-files.ts,
// background-errors.ts (the error state and its recovery), properties.ts, checkpoint.ts,
// activity.ts and write-stalls.ts (events and stats).

import type { InternalIterator } from '../base/internal-iterator'
import { BlockCache } from '../cache/block-cache'
import { TableCache } from '../cache/table-cache'
import { laneStarted } from '../compaction/worker-pool'
import type { Env, FileLock } from '../env/env'
import { InfoLog } from '../env/info-log'
import { currentFileName } from '../format/filename'
import { ValueKind } from '../format/internal-key'
import { DbIterator, type KeyRange } from '../iterator/db-iterator'
import { LevelIterator } from '../iterator/level-iterator'
import { mergeIterators } from '../iterator/merging-iterator'
import type { Block } from '../sstable/block'
import type { FillCache } from '../sstable/table'
import { NUM_LEVELS } from '../version/constants'
import type { FileMeta } from '../version/file-meta'
import { VersionSet } from '../version/version-set'
import { Activity, type EngineStats, guardListeners } from './activity'
import { BackgroundWork } from './background'
import { levelError } from '../base/errors'
import { BackgroundErrors } from './background-errors'
import { type CheckpointResult, Checkpoints } from './checkpoint'
import { MemTables, NOT_IN_MEMTABLES, findInMemTables } from './memtables'
import { PointReader } from './point-read'
import { ReadOnlyView, readOnlyError } from './read-only'
import { FileSweeper } from './obsolete-files'
import type { EngineOptions } from './options'
import { approximateSize, LevelStats, property } from './properties'
import { replayLogs } from './recovery'
import { SnapshotList } from './snapshot-list'
import { WalManager } from './wal-manager'
import { WritePath } from './write-path'

/** At close, a memtable this big goes to a table rather than waiting in the log for the next open. */
const CLOSE_FLUSH_BYTES = 1024 * 1024

export interface ReadOptions {
  /** Read as of this sequence (an explicit snapshot); default: the latest. */
  sequence?: number
  fillCache?: boolean
}

export interface IteratorOptions extends KeyRange {
  sequence?: number
  reverse?: boolean
  /** true: cache every block read; false: none; default: the first blocks of each table (see table.ts). */
  fillCache?: boolean
}

/** Where the engine reports what happens in the background (the adapter re-emits it). */
export type EngineEvents = (event: string, payload: object) => void

const MAX_STORED_BLOCK_BYTES = 256 * 1024 * 1024
export class Engine {
  private readonly writes: WritePath
  readonly snapshots = new SnapshotList()
  private readonly env: Env
  private readonly memtables: MemTables
  private wal: WalManager | undefined
  private readonly blockCache: BlockCache<Block>
  private readonly tableCache: TableCache
  private readonly pending = new Set<number>()
  private readonly errors: BackgroundErrors
  private readonly sweeper: FileSweeper
  private readonly background: BackgroundWork
  private readonly stats = new LevelStats()
  private readonly view: ReadOnlyView | undefined
  private refreshing: Promise<void> = Promise.resolve()
  private readonly pointReader: PointReader
  private readonly checkpoints: Checkpoints
  private readonly activity: Activity
  private closed = false

  private constructor (
    readonly location: string,
    readonly options: EngineOptions,
    private readonly lock: FileLock,
    private readonly infoLog: InfoLog,
    readonly versions: VersionSet,
    events: EngineEvents,
    readOnly = false
  ) {
    this.env = options.env
    this.memtables = new MemTables(options.writeBufferSize)
    // Twice cacheSize of decoded blocks. LevelDB memory-maps its tables, so a block its cache
    // let go of comes back from the page cache (counted in its RSS) without a system call; we
    // cannot map files, and the second cacheSize served reads best as more decoded blocks:
    // against a cache of blocks as stored of that size, getSync on 100k keys went from 242k
    // to 284k-382k a second, 1M keys from 78k to 85k, at a lower peak RSS.
    // Beside it, four times cacheSize (at most 256 MiB) of blocks as stored, for the gets it
    // turns away once full (cache/stored-block-ring.ts): on 1M keys, 64 MiB of tables, that
    // took getSync from 7.4 to 6.4 us of CPU.
    this.blockCache = new BlockCache(2 * options.cacheSize, undefined, Math.min(4 * options.cacheSize, MAX_STORED_BLOCK_BYTES))
    // As LevelDB, keep ten descriptors of maxOpenFiles for the WAL, MANIFEST and others.
    // (A read-only view keeps every table of the versions it uses open: see read-only.ts.)
    const openTables = readOnly ? Infinity : options.maxOpenFiles - 10
    this.tableCache = new TableCache(this.env, location, openTables, this.blockCache)
    if (readOnly) this.view = new ReadOnlyView(this.env, location, infoLog, this.tableCache, options.writeBufferSize)
    const emit = guardListeners(events)
    this.activity = new Activity(emit)
    this.errors = new BackgroundErrors(() => this.resume(), (event, payload) => {
      if (event === 'resumed') {
        this.background.maybeScheduleCompaction()
        this.sweeper.request()
      }
      emit(event, payload)
    }, (message) => infoLog.write(message))
    this.sweeper = new FileSweeper(this.env, location, infoLog, () => ({
      tables: versions.liveTableNumbers(),
      pending: this.pending,
      logNumber: versions.logNumber,
      prevLogNumber: versions.prevLogNumber,
      logs: this.wal?.liveNumbers() ?? [],
      manifestNumber: versions.manifestNumber
    }), () => this.errors.error === undefined, (number) => this.tableCache.evict(number))
    this.background = new BackgroundWork({
      env: this.env,
      location,
      options,
      versions,
      memtables: this.memtables,
      wal: () => this.currentWal,
      snapshots: this.snapshots,
      pending: this.pending,
      infoLog,
      errors: this.errors,
      sweeper: this.sweeper,
      stats: this.stats,
      activity: this.activity
    })
    this.writes = new WritePath(this.memtables, versions, this.background, this.errors, () => this.currentWal, this.activity)
    this.checkpoints = new Checkpoints({
      env: this.env,
      location,
      versions,
      wal: () => this.currentWal,
      unpin: (version) => {
        if (versions.unpin(version) && !this.closed) this.sweeper.request()
      }
    })
    // Point reads count seeks toward a seek compaction: not on a read-only instance, which
    // must never compact (nor write a table or a MANIFEST, nor delete the writer's files).
    this.pointReader = new PointReader(this.tableCache, readOnly ? () => {} : (file, level) => this.background.noteSeeksUsedUp(file, level))
    if (readOnly) {
      this.background.stop()
      this.sweeper.stop()
    }
  }

  static async open (location: string, options: EngineOptions, events: EngineEvents = () => {}): Promise<Engine> {
    const env = options.env
    if (options.createIfMissing) {
      env.makeDirectory(location)
    } else if (!env.exists(currentFileName(location))) {
      throw new Error(`Invalid argument: ${location}: does not exist (create_if_missing is false)`)
    }
    const lock = env.lock(location)
    let infoLog: InfoLog | undefined
    let engine: Engine | undefined
    try {
      infoLog = InfoLog.open(env, location, { hold: true })
      const versions = new VersionSet(env, location)
      if (versions.exists()) {
        if (options.errorIfExists) throw new Error(`Invalid argument: ${location}: exists (error_if_exists is true)`)
        versions.recover()
      }
      engine = new Engine(location, options, lock, infoLog, versions, events)
      await engine.recover()
      return engine
    } catch (err) {
      if (engine !== undefined) {
        await engine.close()
      } else {
        await infoLog?.closeAsync()
        lock.release()
      }
      throw err
    }
  }

  /**
   * Opens `location` read-only: no lock, not a byte written (read-only.ts). A missing
   * database fails as with createIfMissing: false.
   */
  static async openReadOnly (location: string, options: EngineOptions, events: EngineEvents = () => {}): Promise<Engine> {
    if (!options.env.exists(currentFileName(location))) {
      throw new Error(`Invalid argument: ${location}: does not exist (create_if_missing is false)`)
    }
    const engine = new Engine(location, options, { release: () => {} }, InfoLog.noop(), new VersionSet(options.env, location), events, true)
    try {
      await engine.refresh()
    } catch (err) {
      await engine.close()
      throw err
    }
    return engine
  }

  /** Read-only instances: catches up with what the writer has written since (read-only.ts). */
  async refresh (): Promise<void> {
    const view = this.view
    if (view === undefined) return
    // One refresh at a time; a refresh asked for meanwhile waits for it, then runs.
    const previous = this.refreshing
    const run = previous.then(async () => {
      if (this.closed) return
      const state = await view.load(this.memtables.mem)
      if (this.closed) return
      this.versions.adopt(state.versions, state.lastSequence)
      if (!state.sameMemTable) this.memtables.replaceAll(state.mem)
      view.committed(state)
      this.forgetUnusedTables()
    })
    this.refreshing = run.catch(() => {})
    return await run
  }

  /**
   * Read-only: closes tables no version in use names any more (the writer may have deleted
   * them), except those of a refresh in progress, whose version is not installed yet.
   */
  private forgetUnusedTables (): void {
    const live = this.versions.liveTableNumbers()
    for (const number of this.tableCache.fileNumbers()) {
      if (!live.has(number) && this.view?.keeps(number) !== true) this.tableCache.evict(number)
    }
  }

  get isReadOnly (): boolean {
    return this.view !== undefined
  }

  private get currentWal (): WalManager {
    if (this.wal === undefined) throw new Error('Engine: no WAL before recovery finished')
    return this.wal
  }

  // --- recovery ---

  /** Replays the WALs into tables, starts a new WAL and MANIFEST (as LevelDB does). */
  private async recover (): Promise<void> {
    const { versions, env, location, infoLog } = this
    const { edit, reuse, names } = await replayLogs({ env, location, options: this.options, versions, infoLog, memtables: this.memtables, pending: this.pending })
    const newFileNumber = (): number => versions.newFileNumber()
    const onFailure = (err: Error): void => this.errors.set(err, 'wal')
    if (reuse !== undefined) {
      this.wal = WalManager.reuse(env, location, reuse.number, reuse.size, newFileNumber, onFailure, reuse.older)
      edit.logNumber = reuse.logNumber
    } else {
      const walNumber = versions.newFileNumber()
      this.wal = WalManager.create(env, location, walNumber, newFileNumber, onFailure)
      edit.logNumber = walNumber
    }
    // Nothing to record (a clean reopen): the MANIFEST stays as it is, appended to later.
    const unchanged = edit.newFiles.length === 0 && edit.logNumber === versions.logNumber
    if (!unchanged || !versions.reuseManifest()) versions.writeNewManifest(edit)
    for (const { file } of edit.newFiles) this.pending.delete(file.number)
    // What recovery kept and dropped is in LOG by the time open() resolves.
    infoLog.writeHeld()
    this.sweeper.requestIfObsolete(names)
    this.background.maybeScheduleCompaction()
  }

  /** Background-error recovery: redoes what failed; throws if it still cannot. */
  private async resume (): Promise<void> {
    const wal = this.currentWal
    wal.repair()
    await this.background.retryFlush()
    // A memtable switch failed (no new WAL could be created): do it now.
    if (this.memtables.full && this.memtables.canSeal) {
      this.background.switchMemTable()
      await this.background.retryFlush()
    }
  }

  // --- write path (write-path.ts) ---

  put (key: string | Uint8Array, value: string | Uint8Array, sync: boolean): Promise<void> {
    if (this.view !== undefined) return Promise.reject(readOnlyError())
    return this.writes.put(key, value, sync)
  }

  del (key: string | Uint8Array, sync: boolean): Promise<void> {
    if (this.view !== undefined) return Promise.reject(readOnlyError())
    return this.writes.del(key, sync)
  }

  batch (operations: ReadonlyArray<{ type: 'put' | 'del', key: string | Uint8Array, value?: string | Uint8Array }>, sync: boolean): Promise<void> {
    if (this.view !== undefined) return Promise.reject(readOnlyError())
    return this.writes.batch(operations, sync)
  }

  writeEncoded (encoded: Uint8Array, sync: boolean): Promise<void> {
    if (this.view !== undefined) return Promise.reject(readOnlyError())
    return this.writes.writeEncoded(encoded, sync)
  }

  compactRange (begin: Uint8Array | undefined, end: Uint8Array | undefined): Promise<void> {
    if (this.view !== undefined) return Promise.reject(readOnlyError())
    return this.background.compactRange(begin, end, () => this.writes.flushMemTable())
  }

  /** A consistent copy of the database in `target`, made while writes go on (checkpoint.ts). */
  checkpoint (target: string): Promise<CheckpointResult> {
    // A checkpoint needs the writer's WAL positions, which only the writer knows.
    if (this.view !== undefined) {
      return Promise.reject(levelError('LEVEL_NOT_SUPPORTED', 'checkpoint() is not supported on a read-only instance: make the checkpoint from the process that writes the database'))
    }
    return this.checkpoints.create(target)
  }

  // --- read path ---

  /**
   * The newest value of `key` visible at the read sequence, as a view (copy it before the
   * next engine call), or undefined when absent or deleted. Synchronous.
   */
  get (key: Uint8Array, options: ReadOptions): Buffer | undefined {
    const sequence = options.sequence ?? this.versions.lastSequence
    // A read-only instance's snapshot reads the state it was taken in (a refresh moves on).
    const held = options.sequence === undefined ? undefined : this.snapshots.stateOf(options.sequence)
    const found = held === undefined ? this.memtables.find(key, sequence) : findInMemTables(held.memtables, key, sequence)
    if (found !== NOT_IN_MEMTABLES) return found
    return this.pointReader.get(held?.version ?? this.versions.current, key, sequence, options.fillCache !== false)
  }

  /** A snapshot of everything, synchronously: iterate it with valid/key/value/advance. */
  iterator (options: IteratorOptions): DbIterator {
    const sequence = options.sequence ?? this.versions.lastSequence
    const fillCache: FillCache = options.fillCache === undefined ? 'first-blocks' : options.fillCache
    const held = options.sequence === undefined ? undefined : this.snapshots.stateOf(options.sequence)
    const version = held?.version ?? this.versions.current
    const memtables = this.memtables.pin(held?.memtables)
    const children: InternalIterator[] = memtables.map((mem) => mem.iterator())
    const source = {
      open: (file: FileMeta): InternalIterator => this.tableCache.iterator(file, fillCache)
    }
    for (const file of version.files[0]) children.push(new LevelIterator([file], source))
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (version.files[level].length > 0) children.push(new LevelIterator(version.files[level], source))
    }
    this.versions.pin(version)
    return new DbIterator(mergeIterators(children), sequence, options, options.reverse === true, () => {
      this.memtables.unpin(memtables)
      if (this.versions.unpin(version) && !this.closed) this.versionReleased()
    })
  }

  /** The last reader of an old version let go: its files may go now. */
  private versionReleased (): void {
    if (this.view !== undefined) this.forgetUnusedTables()
    else this.sweeper.request()
  }

  /**
   * Pins the latest sequence for an explicit snapshot. A read-only instance also pins the
   * version and memtables, which its next refresh replaces: the writer compacts away what
   * only the reader's snapshot still needed, so the snapshot keeps reading the old state.
   */
  snapshot (): number {
    const sequence = this.versions.lastSequence
    if (this.view === undefined) return this.snapshots.acquire(sequence)
    const version = this.versions.current
    this.versions.pin(version)
    return this.snapshots.acquire(sequence, { version, memtables: this.memtables.pin() })
  }

  releaseSnapshot (sequence: number): void {
    const held = this.snapshots.release(sequence)
    if (held === undefined) return
    this.memtables.unpin(held.memtables)
    if (this.versions.unpin(held.version) && !this.closed) this.versionReleased()
  }

  approximateSize (start: Uint8Array, end: Uint8Array): number {
    return approximateSize(this.versions.current, this.tableCache, start, end)
  }

  property (name: string): string {
    return property(name, this.versions.current, this.stats, () => this.approximateMemoryUsage())
  }

  /** Counters since open and the live state, as a plain object (activity.ts). */
  statistics (): EngineStats {
    return this.activity.stats({
      wal: this.wal,
      blockCache: this.blockCache,
      tableCache: this.tableCache,
      memtables: this.memtables,
      version: this.versions.current,
      lastSequence: this.versions.lastSequence,
      errors: this.errors
    })
  }

  approximateMemoryUsage (): number {
    return this.memtables.approximateMemoryUsage() + this.blockCache.totalCharge + this.blockCache.stored.bytesHeld
  }

  /** The background-error state, if the database is in it. */
  get backgroundError (): Error | undefined {
    return this.errors.error
  }

  get isClosed (): boolean {
    return this.closed
  }

  // --- lifecycle ---

  /**
   * At close, a memtable of CLOSE_FLUSH_BYTES or more is sealed so that close's wait for
   * background work writes it to a level-0 table, and the next open replays nothing (LevelDB
   * turns the log into a table at open instead), provided the flush worker is running. A
   * worker that had to start first (they exit when idle, worker-pool.ts) would cost close
   * about 40 ms, and its first flush runs cold: more than the next open spends replaying the
   * log, which it does in slices that let the event loop turn (recovery.ts). A smaller memtable
   * always stays in its log, which the next open keeps appending to. If the switch fails,
   * the log still holds everything and the next open replays it.
   */
  private sealLargeMemTable (): void {
    if (this.view !== undefined || this.errors.error !== undefined) return
    const { memtables } = this
    if (memtables.mem.approximateMemoryUsage() < CLOSE_FLUSH_BYTES || !memtables.canSeal || !laneStarted('flush')) return
    try {
      this.background.switchMemTable()
    } catch (err) {
      this.infoLog.write(`Close: kept the memtable in its log: ${(err as Error).message}`)
    }
  }

  /**
   * Settles whatever state the database is in, and always releases the LOCK and every file
   * descriptor: writes accepted so far settle, background work ends (a compaction is asked
   * to give up), then files close.
   */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.refreshing
      // A checkpoint in progress still reads this directory: let it finish under the LOCK.
      this.checkpoints.stop()
      await this.checkpoints.idle()
      this.errors.stop()
      this.writes.queue.close()
      await this.writes.queue.idle()
      this.sealLargeMemTable()
      this.background.stop()
      await this.background.idle()
      this.sweeper.stop()
      await this.sweeper.idle()
      // In the error state nothing is deleted, not even an empty WAL.
      await this.wal?.close(this.errors.error === undefined)
    } finally {
      this.memtables.release()
      this.versions.close()
      this.tableCache.close()
      await this.infoLog.closeAsync()
      this.lock.release()
    }
  }
}


