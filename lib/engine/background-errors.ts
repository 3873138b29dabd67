// The background-error state, as LevelDB's bg_error_ and RocksDB's ErrorHandler have it.
//
// Any failed WAL append or sync, flush, compaction or MANIFEST write puts the database in
// the error state: writes reject with that error (a LEVEL_IO_ERROR naming the file and the
// errno), reads go on serving what is there, and no file is deleted.
//
// Two kinds of failure:
//   retryable  the disk was full (ENOSPC, EDQUOT) on a write or a create. Nothing is lost
//              that was acknowledged, and the engine can redo what failed once space is back.
//              It retries after RETRY_FIRST_MS, doubling the wait up to RETRY_MAX_MS, for as
//              long as the database is open; the first attempt that succeeds clears the
//              state and emits 'resumed'.
//   permanent  everything else: a failed fsync (the kernel may have dropped the dirty pages,
//              so a retry could report success for data that is gone), EIO, EROFS, damage.
//              The state lasts until the database is closed and opened again.
//
// The first error wins: a later failure while in the error state changes nothing, except
// that a permanent one ends the retries.

import { errnoCode, errnoSyscall } from '../env/io-error'

export const RETRY_FIRST_MS = 100
export const RETRY_MAX_MS = 5000

const RETRYABLE_CODES = new Set(['ENOSPC', 'EDQUOT'])
const SYNC_CALLS = new Set(['fsync', 'fdatasync', 'fsyncSync', 'fdatasyncSync'])

/** Whether redoing the failed operation may succeed once the cause is gone (disk full). */
export function isRetryable (err: unknown): boolean {
  const code = errnoCode(err)
  if (code === undefined || !RETRYABLE_CODES.has(code)) return false
  const syscall = errnoSyscall(err)
  return syscall === undefined || !SYNC_CALLS.has(syscall)
}

export interface BackgroundErrorEvent {
  error: Error
  /** What failed: 'wal', 'flush', 'compaction', 'manifest'. */
  operation: string
  retryable: boolean
}

export class BackgroundErrors {
  private failure: Error | undefined
  private retryable = false
  private retryDelay = RETRY_FIRST_MS
  private timer: NodeJS.Timeout | undefined
  private retrying = false
  private stopped = false

  /**
   * `recover` redoes whatever failed (it throws if it cannot yet); `emit` reports the state
   * changes ('background-error', 'resumed').
   */
  constructor (
    private readonly recover: () => Promise<void>,
    private readonly emit: (event: 'background-error' | 'resumed', payload: object) => void,
    private readonly note: (message: string) => void
  ) {}

  /** The error writes reject with, or undefined when the database is healthy. */
  get error (): Error | undefined {
    return this.failure
  }

  get isRetryable (): boolean {
    return this.failure !== undefined && this.retryable
  }

  /** Records a failure of `operation`; the first one sets the state. */
  set (err: Error, operation: string): void {
    const retryable = isRetryable(err)
    if (this.failure !== undefined) {
      if (!retryable && this.retryable) {
        // A permanent failure while recovering from a retryable one ends the retries.
        this.failure = err
        this.retryable = false
        this.cancelRetry()
        this.note(`Background error, now permanent (${operation}): ${err.message}`)
      }
      return
    }
    this.failure = err
    this.retryable = retryable
    this.retryDelay = RETRY_FIRST_MS
    this.note(`Background error (${operation}${retryable ? ', will retry' : ''}): ${err.message}`)
    const event: BackgroundErrorEvent = { error: err, operation, retryable }
    this.emit('background-error', event)
    if (retryable) this.scheduleRetry()
  }

  /** Stops retrying (the database is closing). */
  stop (): void {
    this.stopped = true
    this.cancelRetry()
  }

  private scheduleRetry (): void {
    if (this.stopped || this.timer !== undefined || this.retrying) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.retry()
    }, this.retryDelay)
    // A database waiting for disk space must not keep the process alive by itself.
    this.timer.unref()
  }

  private cancelRetry (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private retry (): void {
    if (this.stopped || !this.isRetryable) return
    this.retrying = true
    this.recover().then(() => {
      this.retrying = false
      if (this.stopped || !this.isRetryable) return
      this.failure = undefined
      this.retryable = false
      this.note('Background error cleared: writes resume')
      this.emit('resumed', {})
    }, (err: Error) => {
      this.retrying = false
      if (!isRetryable(err)) {
        // Permanent: set() ends the retries.
        this.set(err, 'recovery')
        return
      }
      this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2)
      this.scheduleRetry()
    })
  }
}
