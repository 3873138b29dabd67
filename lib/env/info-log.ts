// The human-readable LOG file in the database directory (leveldb-format.md §9). Nothing
// reads it back; it is for people. At open the previous LOG becomes LOG.old, as in LevelDB.
// Each line: "YYYY/MM/DD-HH:MM:SS.uuuuuu <pid> message" in local time.
//
// Writes are synchronous (they are rare: opens, flushes, compactions) and best effort: a
// failed write to the info log never fails a database operation.

import * as fs from 'fs'
import * as path from 'path'
import { ioError } from '../base/errors'

export class InfoLog {
  private pending: string[] = []
  private writing = false
  private idle: Array<() => void> = []
  private fd: number

  private constructor (fd: number) {
    this.fd = fd
  }

  /** Rotates LOG to LOG.old and starts a fresh LOG. Throws LEVEL_IO_ERROR if it cannot. */
  static open (location: string): InfoLog {
    const file = path.join(location, 'LOG')
    try {
      try {
        fs.renameSync(file, path.join(location, 'LOG.old'))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
      return new InfoLog(fs.openSync(file, 'w'))
    } catch (err) {
      throw ioError(`info log ${file}: ${(err as Error).message}`, err)
    }
  }

  /** An info log that writes nothing (read-only directories, or logging turned off). */
  static noop (): InfoLog {
    return new InfoLog(-1)
  }

  /**
   * Appends a line, off the main thread: a write can wait tens of milliseconds on a busy
   * filesystem, and the log is only for people. Lines stay in order (one write at a time).
   */
  write (message: string): void {
    if (this.fd < 0) return
    this.pending.push(`${timestamp()} ${process.pid} ${message}${message.endsWith('\n') ? '' : '\n'}`)
    if (!this.writing) this.writeNext()
  }

  private writeNext (): void {
    const fd = this.fd
    if (this.pending.length === 0 || fd < 0) {
      this.writing = false
      return
    }
    this.writing = true
    const text = this.pending.join('')
    this.pending = []
    fs.write(fd, text, () => {
      this.writeNext()
      if (!this.writing) {
        const idle = this.idle
        this.idle = []
        for (const resolve of idle) resolve()
      }
    })
  }

  /**
   * Writes what is pending, then closes. A descriptor must never be closed under a write in
   * flight: the number could be reused by a file the application opens next.
   */
  async closeAsync (): Promise<void> {
    await this.flush()
    this.close()
  }

  /** Resolves once every line written so far is in the file. */
  async flush (): Promise<void> {
    while (this.writing) await new Promise<void>((resolve) => this.idle.push(resolve))
  }

  /** Idempotent. Lines not yet written are written synchronously first. Use closeAsync while writes may be in flight. */
  close (): void {
    if (this.fd < 0 || this.writing) return
    const fd = this.fd
    if (this.pending.length > 0) {
      try { fs.writeSync(fd, this.pending.join('')) } catch {}
      this.pending = []
    }
    this.fd = -1
    try {
      fs.closeSync(fd)
    } catch {}
  }
}

function timestamp (): string {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000)
  const date = new Date(Math.floor(micros / 1000))
  return `${date.getFullYear()}/${pad(date.getMonth() + 1, 2)}/${pad(date.getDate(), 2)}-` +
    `${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}.${pad(micros % 1000000, 6)}`
}

function pad (value: number, width: number): string {
  return String(value).padStart(width, '0')
}
