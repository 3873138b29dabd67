// The human-readable LOG file in the database directory (leveldb-format.md §9). Nothing
// reads it back; it is for people. At open the previous LOG becomes LOG.old, as in LevelDB.
// Each line: "YYYY/MM/DD-HH:MM:SS.uuuuuu <pid> message" in local time.
//
// Writes are synchronous (they are rare: opens, flushes, compactions) and best effort: a
// failed write to the info log never fails a database operation.

import * as fs from 'fs'
import * as path from 'path'
import { ioError } from '../errors'

export class InfoLog {
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

  write (message: string): void {
    if (this.fd < 0) return
    const line = `${timestamp()} ${process.pid} ${message}${message.endsWith('\n') ? '' : '\n'}`
    try {
      fs.writeSync(this.fd, line)
    } catch {}
  }

  /** Idempotent. */
  close (): void {
    if (this.fd < 0) return
    const fd = this.fd
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
