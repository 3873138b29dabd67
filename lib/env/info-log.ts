// The human-readable LOG file in the database directory (leveldb-format.md §9). Nothing
// reads it back; it is for people. Each line: "YYYY/MM/DD-HH:MM:SS.uuuuuu <pid> message" in
// local time.
//
// LevelDB moves LOG to LOG.old at every open. We keep appending to a LOG that lsm-level
// started (it begins with LSM_LEVEL_LOG_HEADER) until it reaches ROTATE_AT_BYTES, and only
// then rotate: on ext4 a rename over an existing file forces the renamed file's blocks out
// (auto_da_alloc), which cost 0.27 ms of every open here against 7 µs for an append. A LOG
// some other program started (LevelDB's) is rotated as before, so it survives as LOG.old.
//
// Writes are asynchronous, in order, and best effort: a failed write to the info log never
// fails a database operation. While a database opens, lines are held and then written with
// one synchronous append (writeHeld): the thread pool's round trip would cost a small open
// more than the write itself.

import * as path from 'path'
import type { Env, WritableFile } from './env'
import { isNotFound } from './io-error'

/**
 * The first line lsm-level writes to each LOG it starts (after the timestamp and pid). A
 * LevelDB process that opens the directory replaces LOG with its own first, so lock-file.ts
 * reads a LOG that still starts with this as "no LevelDB process has opened it since".
 */
export const LSM_LEVEL_LOG_HEADER = 'lsm-level opened the database'

/** Whether `text` (the start of a LOG file) begins with the line InfoLog.open writes first. */
export function startsWithLsmLevelHeader (text: string): boolean {
  const end = text.indexOf('\n')
  if (end < 0) return false
  const line = text.slice(0, end)
  return /^\S+ \d+ /.test(line) && line.endsWith(' ' + LSM_LEVEL_LOG_HEADER)
}

export class InfoLog {
  private pending: string[] = []
  private writing = false
  private held = false
  private idle: Array<() => void> = []
  private file: WritableFile | undefined

  private constructor (file: WritableFile | undefined) {
    this.file = file
  }

  /**
   * Appends to LOG if lsm-level started it and it is under ROTATE_AT_BYTES; otherwise rotates
   * LOG to LOG.old and starts a fresh LOG. Either way the next line is LSM_LEVEL_LOG_HEADER.
   * Only a holder of the database lock may call this. Throws LEVEL_IO_ERROR if it cannot.
   */
  static open (env: Env, location: string, options: { hold?: boolean } = {}): InfoLog {
    const log = InfoLog.openFile(env, location)
    log.held = options.hold === true
    log.write(LSM_LEVEL_LOG_HEADER)
    return log
  }

  private static openFile (env: Env, location: string): InfoLog {
    const file = path.join(location, 'LOG')
    const kept = appendableLog(env, file)
    if (kept !== undefined) {
      const log = new InfoLog(kept.file)
      // A line cut short by a crash ends here, so that ours starts on a line of its own.
      if (!kept.endsWithNewline) log.pending.push('\n')
      return log
    }
    try {
      env.rename(file, path.join(location, 'LOG.old'))
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
    return new InfoLog(env.createWritable(file))
  }

  /** An info log that writes nothing (read-only directories, or logging turned off). */
  static noop (): InfoLog {
    return new InfoLog(undefined)
  }

  /**
   * Appends a line, off the main thread: a write can wait tens of milliseconds on a busy
   * filesystem, and the log is only for people. Lines stay in order (one write at a time).
   */
  write (message: string): void {
    if (this.file === undefined) return
    this.pending.push(`${timestamp()} ${process.pid} ${message}${message.endsWith('\n') ? '' : '\n'}`)
    if (!this.writing && !this.held) this.writeNext()
  }

  /** Writes the lines held since open (hold: true) synchronously, and goes on writing as usual. */
  writeHeld (): void {
    if (!this.held) return
    this.held = false
    this.appendPendingNow()
  }

  /** Appends the pending lines with one synchronous write (best effort). No write may be in flight. */
  private appendPendingNow (): void {
    const file = this.file
    if (file === undefined || this.pending.length === 0) return
    const text = Buffer.from(this.pending.join(''))
    this.pending = []
    try { file.append(text) } catch {}
  }

  private writeNext (): void {
    const file = this.file
    if (this.pending.length === 0 || file === undefined) {
      this.writing = false
      return
    }
    this.writing = true
    const text = Buffer.from(this.pending.join(''))
    this.pending = []
    const next = (): void => {
      this.writeNext()
      if (!this.writing) {
        const idle = this.idle
        this.idle = []
        for (const resolve of idle) resolve()
      }
    }
    // Best effort: a line that cannot be written (disk full) is dropped.
    file.appendAsync(text).then(next, next)
  }

  /**
   * Writes what is pending, then closes. A file must never be closed under a write in
   * flight: its descriptor number could be reused by a file the application opens next.
   */
  async closeAsync (): Promise<void> {
    await this.flush()
    this.close()
  }

  /** Resolves once every line written so far is in the file. */
  async flush (): Promise<void> {
    this.writeHeld()
    while (this.writing) await new Promise<void>((resolve) => this.idle.push(resolve))
  }

  /** Idempotent. Lines not yet written are written synchronously first. Use closeAsync while writes may be in flight. */
  close (): void {
    const file = this.file
    if (file === undefined || this.writing) return
    this.appendPendingNow()
    this.file = undefined
    try {
      file.close()
    } catch {}
  }
}

/** LOG is rotated to LOG.old at an open that finds it this big. */
export const ROTATE_AT_BYTES = 1024 * 1024

/** LOG opened for appending, if lsm-level started it and it is under ROTATE_AT_BYTES. */
function appendableLog (env: Env, file: string): { file: WritableFile, endsWithNewline: boolean } | undefined {
  let head: string
  let endsWithNewline: boolean
  try {
    const reader = env.openRandomAccess(file)
    try {
      const size = reader.size
      if (size >= ROTATE_AT_BYTES || size === 0) return undefined
      head = reader.read(0, Math.min(size, HEAD_BYTES)).toString('latin1')
      endsWithNewline = reader.read(size - 1, 1)[0] === 0x0a
    } finally {
      reader.close()
    }
  } catch {
    // Missing or unreadable: rotating (or creating) it is the way on.
    return undefined
  }
  if (!startsWithLsmLevelHeader(head)) return undefined
  return { file: env.openAppendable(file), endsWithNewline }
}

// Enough for the first line (timestamp, pid and LSM_LEVEL_LOG_HEADER).
const HEAD_BYTES = 256

function timestamp (): string {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000)
  const date = new Date(Math.floor(micros / 1000))
  return `${date.getFullYear()}/${pad(date.getMonth() + 1, 2)}/${pad(date.getDate(), 2)}-` +
    `${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}.${pad(micros % 1000000, 6)}`
}

function pad (value: number, width: number): string {
  return String(value).padStart(width, '0')
}
