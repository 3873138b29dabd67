// The write-ahead logs: the current one that write groups append to, the next one (created
// ahead of time, off the main thread, for the next memtable switch), and the chain of syncs
// of the ones before.
//
// Appends are synchronous write(2)s into the page cache, which is what makes single writes
// fast. While a worker syncs a finished table, and for ASYNC_APPEND_WINDOW_MS after an
// append that took longer than SLOW_APPEND_MS, they go through the thread pool instead: a
// filesystem busy committing its journal can hold even a small write for tens of
// milliseconds, and the event loop must keep turning meanwhile. (Tables are synced a
// megabyte at a time as they are written, table-file.ts, so those windows stay short; a
// longer window, or going to the thread pool whenever a flush or compaction runs, cost a
// third of the write rate of a million random puts.)
//
// Durability: a sync write waits for fdatasync of the current WAL, and first for the syncs
// of every earlier WAL (started at each switch), so no write acknowledged with sync can
// survive a power loss that an earlier write does not. A failed sync is remembered for good:
// no later sync is reported as done.
//
// A failed append may leave part of a record at the end of the log. Nothing is appended
// after it until repair() cut the file back to its last whole record: a reader stops at
// damage in the middle of a log, and would lose every record written after it.
//
// Checkpoints (checkpoint.ts) copy the WAL bytes whose writes are applied: the write path
// calls markApplied() after each group reaches the memtable, and appliedLogs() tells where
// those bytes end, in the current WAL and in those sealed at the last MAX_IMMUTABLE switches
// (their memtables may still be waiting for a flush).

import { performance } from 'perf_hooks'
import type { Env, WritableFile } from '../env/env'
import { ByteWriter } from '../format/coding'
import { logFileName } from '../format/filename'
import { backgroundSyncInProgress } from '../compaction/sync-signal'
import { LogWriter } from '../wal/log-writer'
import { MAX_IMMUTABLE } from './memtables'

// A synchronous WAL append slower than this makes the next ones asynchronous for a while.
const SLOW_APPEND_MS = 2
const ASYNC_APPEND_WINDOW_MS = 50

/** A WAL and the byte length of its records whose writes are in a memtable. */
export interface AppliedLog {
  number: number
  size: number
}

interface PreparedWal {
  number: number
  file?: WritableFile
  creating?: Promise<void>
}

export class WalManager {
  private file: WritableFile
  private writer: LogWriter
  private directorySynced = false
  // Resolves when every earlier WAL is synced and closed; never rejects (see syncFailure).
  private previousSynced: Promise<void> = Promise.resolve()
  private syncFailure: Error | undefined
  private next: PreparedWal | undefined
  private asyncUntil = 0
  // The file's size after its last whole record, and whether bytes past it may be torn.
  private goodSize = 0
  private torn = false
  // Grows to the largest group's record (and back to 64 KiB past a MiB): an open with no
  // writes allocates little.
  private readonly out = new ByteWriter(4096)
  private closed = false
  // End of the last record whose writes were applied, and the WALs sealed at the last switches.
  private appliedSize = 0
  private readonly sealed: AppliedLog[] = []
  // Logs before a reused one whose records are in the memtable (until its first switch).
  private replayed: AppliedLog[] = []
  /** Bytes appended to WALs since open, framing included (the write-amplification figure). */
  bytesWritten = 0

  private constructor (
    private readonly env: Env,
    private readonly location: string,
    private readonly newFileNumber: () => number,
    /** Told of failures found in the background (the sync of an old WAL). */
    private readonly onFailure: (err: Error) => void,
    public number: number,
    file: WritableFile
  ) {
    this.file = file
    this.writer = new LogWriter(0)
  }

  /** Creates WAL `number` (synchronously: open needs it before accepting writes). */
  static create (env: Env, location: string, number: number, newFileNumber: () => number, onFailure: (err: Error) => void): WalManager {
    const file = env.createWritable(logFileName(location, number))
    return new WalManager(env, location, newFileNumber, onFailure, number, file)
  }

  /**
   * Goes on appending to existing WAL `number`, whose whole records end at `size`: bytes
   * beyond (a torn record left by a crash) are cut off first, since a reader stops at damage
   * in the middle of a log.
   */
  static reuse (
    env: Env, location: string, number: number, size: number, newFileNumber: () => number, onFailure: (err: Error) => void,
    older: AppliedLog[] = []
  ): WalManager {
    const file = env.openAppendable(logFileName(location, number))
    try {
      if (file.size !== size) file.truncate(size)
    } catch (err) {
      try { file.close() } catch {}
      throw err
    }
    const wal = new WalManager(env, location, newFileNumber, onFailure, number, file)
    wal.goodSize = size
    // Its records were replayed into the memtable: all applied. So were those of `older`.
    wal.appliedSize = size
    wal.replayed = older
    wal.writer = new LogWriter(size)
    return wal
  }

  /**
   * Creates the next WAL in the background if it is not there yet. Called once the memtable
   * is half full, so that a database opened and closed without filling one creates no file.
   */
  prepare (): void {
    if (this.next === undefined) this.prepareNext()
  }

  /** Numbers of the WAL files in use (current and prepared), which must not be deleted. */
  liveNumbers (): number[] {
    return this.next === undefined ? [this.number] : [this.number, this.next.number]
  }

  /**
   * Appends one record. Returns undefined when it was written synchronously, or a promise
   * when it went to the thread pool. Throws (or rejects) LEVEL_IO_ERROR on failure.
   */
  append (record: Buffer): Promise<void> | undefined {
    if (this.torn) throw new Error('WalManager.append: the log has a torn record; repair() first')
    const out = this.out
    out.reset()
    this.writer.append(record, out)
    const file = this.file
    if (backgroundSyncInProgress() || performance.now() < this.asyncUntil) {
      // No copy: the write queue sends nothing else until this append completes.
      const length = out.length
      return file.appendAsync(out.view()).then(() => {
        this.goodSize = file.size
        this.bytesWritten += length
      }, (err) => {
        this.appendFailed(file)
        throw err
      })
    }
    const started = performance.now()
    try {
      file.append(out.view())
    } catch (err) {
      this.appendFailed(file)
      throw err
    }
    this.goodSize = file.size
    this.bytesWritten += out.length
    const finished = performance.now()
    if (finished - started > SLOW_APPEND_MS) this.asyncUntil = finished + ASYNC_APPEND_WINDOW_MS
    if (out.buffer.length > 1024 * 1024) out.buffer = Buffer.allocUnsafe(64 * 1024)
    return undefined
  }

  /**
   * The write queue applied the record appended last: every byte of the log so far holds
   * writes that are in the memtable (one group is logged and applied at a time).
   */
  markApplied (): void {
    this.appliedSize = this.goodSize
  }

  /**
   * Where the applied writes end: in the WALs sealed at the last switches (their memtables
   * may still wait for a flush) and in the current one, oldest first. Which of them a copy needs is
   * the MANIFEST's log number's call.
   */
  appliedLogs (): AppliedLog[] {
    return [...this.replayed, ...this.sealed, { number: this.number, size: this.appliedSize }]
  }

  /** fdatasync of the current WAL, after every earlier WAL's. */
  async sync (): Promise<void> {
    const file = this.file
    await this.previousSynced
    if (this.syncFailure !== undefined) throw this.syncFailure
    try {
      if (!this.directorySynced) {
        // The first sync of a new WAL also makes its directory entry durable.
        await this.env.syncDirectoryAsync(this.location)
        this.directorySynced = true
      }
      await file.syncAsync()
    } catch (err) {
      this.syncFailure ??= err as Error
      throw err
    }
  }

  /**
   * Starts a new WAL for a new memtable and returns its number; the old one is synced and
   * closed in the background. Throws (and changes nothing) if the new WAL cannot be created.
   */
  switch (): number {
    if (this.torn) throw new Error('WalManager.switch: the log has a torn record; repair() first')
    const prepared = this.next
    let number: number
    let file: WritableFile
    if (prepared?.file !== undefined) {
      number = prepared.number
      file = prepared.file
    } else {
      // A creation still under way would open (and truncate) the file after we wrote to it:
      // leave that number to it, and take another.
      number = prepared !== undefined && prepared.creating === undefined ? prepared.number : this.newFileNumber()
      file = this.env.createWritable(logFileName(this.location, number))
    }
    this.next = undefined
    const old = this.file
    const previous = this.previousSynced
    this.previousSynced = previous.then(() => old.syncAsync()).then(() => old.closeAsync(), (err) => {
      this.syncFailure ??= err
      this.onFailure(err)
      return old.closeAsync()
    }).catch(() => {})
    // Only the memtables sealed at the last MAX_IMMUTABLE switches can be unflushed.
    this.sealed.push({ number: this.number, size: this.appliedSize })
    if (this.sealed.length > MAX_IMMUTABLE) this.sealed.shift()
    // (The sealed memtable holds the replayed logs' records too; the MANIFEST's log number
    // still names the oldest until its flush, and appliedLogs() keeps listing them till then.)
    this.file = file
    this.number = number
    this.writer = new LogWriter(0)
    this.goodSize = 0
    this.appliedSize = 0
    this.directorySynced = false
    return number
  }

  /** Makes the log appendable again after a failed append: cuts the torn record off. Throws if it cannot. */
  repair (): void {
    if (!this.torn) return
    this.file.truncate(this.goodSize)
    this.torn = false
    this.writer = new LogWriter(this.goodSize)
  }

  /**
   * Waits for the background syncs, then closes every file. With `tidy`, the prepared next
   * WAL, which holds nothing, is removed. The current one stays even when empty, as LevelDB's
   * does: the next open appends to it and so has no new log number to write to a MANIFEST.
   * The close itself is synchronous, as LevelDB's: close(2) of a local file takes about 2 µs
   * here, and the thread pool's round trip about 100 µs, which a database opened and closed
   * for each operation pays every time.
   */
  async close (tidy: boolean): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.previousSynced
    const next = this.next
    this.next = undefined
    if (next?.creating !== undefined) await next.creating
    const files: Array<[WritableFile, boolean]> = [[this.file, false]]
    if (next?.file !== undefined) files.push([next.file, tidy])
    for (const [file, remove] of files) {
      try { file.close() } catch {}
      if (remove) {
        try { await this.env.removeAsync(file.path) } catch {}
      }
    }
  }

  private appendFailed (file: WritableFile): void {
    // Whatever the framing advanced to is void; bytes past goodSize (if any) are a torn record.
    this.writer = new LogWriter(this.goodSize)
    if (file.size !== this.goodSize) this.torn = true
  }

  /**
   * Creates the next WAL in the background: creating a file can wait on the filesystem's
   * journal. If that fails, switch() tries again synchronously.
   */
  private prepareNext (): void {
    if (this.closed) return
    const next: PreparedWal = { number: this.newFileNumber() }
    this.next = next
    next.creating = this.env.createWritableAsync(logFileName(this.location, next.number)).then((file) => {
      next.creating = undefined
      if (this.next === next) next.file = file
      // switch() did not wait for it: the file is empty and named by nothing.
      else return file.closeAsync().then(() => this.env.removeAsync(file.path)).catch(() => {})
    }, () => {
      next.creating = undefined
    })
  }
}
