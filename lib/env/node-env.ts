// The default environment: Node's fs. Synchronous calls block the calling thread (the
// engine makes them where it must: getSync, worker threads, open); the Async variants go
// through libuv's thread pool. fs is always called through the module object, so that
// test wrappers of its functions (test/support/fd-watch.ts) see every call.

import * as fs from 'fs'
import { corruption } from '../base/errors'
import type { Env, FileLock, RandomAccessFile, WritableFile } from './env'
import { fileError } from './io-error'
import { LockFile } from './lock-file'

// Errors of fsync on a directory where the platform cannot do it; the rename or create is
// still atomic there, so they are not failures.
const UNSYNCABLE_DIRECTORY = new Set(['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM', 'EBADF', 'EACCES'])

class NodeWritableFile implements WritableFile {
  private fd: number
  size: number

  constructor (readonly path: string, fd: number, size: number) {
    this.fd = fd
    this.size = size
  }

  append (data: Uint8Array): void {
    let offset = 0
    try {
      while (offset < data.length) {
        const written = fs.writeSync(this.fd, data, offset, data.length - offset)
        offset += written
        this.size += written
      }
    } catch (err) {
      throw fileError('write', this.path, err)
    }
  }

  appendAsync (data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      const from = (offset: number): void => {
        fs.write(this.fd, data, offset, data.length - offset, null, (err, written) => {
          if (err !== null) return reject(fileError('write', this.path, err))
          this.size += written
          if (offset + written < data.length) from(offset + written)
          else resolve()
        })
      }
      from(0)
    })
  }

  sync (): void {
    try {
      fs.fdatasyncSync(this.fd)
    } catch (err) {
      throw fileError('fdatasync', this.path, err)
    }
  }

  syncAsync (): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.fd, (err) => err === null ? resolve() : reject(fileError('fdatasync', this.path, err)))
    })
  }

  truncate (length: number): void {
    try {
      fs.ftruncateSync(this.fd, length)
      this.size = length
    } catch (err) {
      throw fileError('ftruncate', this.path, err)
    }
  }

  close (): void {
    if (this.fd < 0) return
    const fd = this.fd
    this.fd = -1
    try {
      fs.closeSync(fd)
    } catch (err) {
      throw fileError('close', this.path, err)
    }
  }

  closeAsync (): Promise<void> {
    if (this.fd < 0) return Promise.resolve()
    const fd = this.fd
    this.fd = -1
    return new Promise((resolve, reject) => {
      fs.close(fd, (err) => err === null || err === undefined ? resolve() : reject(fileError('close', this.path, err)))
    })
  }
}

class NodeRandomAccessFile implements RandomAccessFile {
  private fd: number

  constructor (readonly path: string, fd: number, readonly size: number) {
    this.fd = fd
  }

  read (offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length)
    this.readInto(offset, length, buf)
    return buf
  }

  readInto (offset: number, length: number, buf: Buffer): void {
    if (this.fd < 0) throw fileError('read', this.path, new Error('EBADF: the file is closed'))
    let done = 0
    while (done < length) {
      let n: number
      try {
        n = fs.readSync(this.fd, buf, done, length - done, offset + done)
      } catch (err) {
        throw fileError('read', this.path, err)
      }
      if (n === 0) throw corruption(this.path, `truncated read at offset ${offset + done}`)
      done += n
    }
  }

  close (): void {
    if (this.fd < 0) return
    const fd = this.fd
    this.fd = -1
    try {
      fs.closeSync(fd)
    } catch (err) {
      throw fileError('close', this.path, err)
    }
  }
}

export class NodeEnv implements Env {
  readonly threading = 'node' as const

  createWritable (path: string): WritableFile {
    let fd: number
    try {
      fd = fs.openSync(path, 'w')
    } catch (err) {
      throw fileError('create', path, err)
    }
    return new NodeWritableFile(path, fd, 0)
  }

  createWritableAsync (path: string): Promise<WritableFile> {
    return new Promise((resolve, reject) => {
      fs.open(path, 'w', (err, fd) => err === null ? resolve(new NodeWritableFile(path, fd, 0)) : reject(fileError('create', path, err)))
    })
  }

  openAppendable (path: string): WritableFile {
    let fd: number
    try {
      fd = fs.openSync(path, 'a')
    } catch (err) {
      throw fileError('open', path, err)
    }
    try {
      return new NodeWritableFile(path, fd, fs.fstatSync(fd).size)
    } catch (err) {
      fs.closeSync(fd)
      throw fileError('stat', path, err)
    }
  }

  openRandomAccess (path: string): RandomAccessFile {
    let fd: number
    try {
      fd = fs.openSync(path, 'r')
    } catch (err) {
      throw fileError('open', path, err)
    }
    try {
      return new NodeRandomAccessFile(path, fd, fs.fstatSync(fd).size)
    } catch (err) {
      fs.closeSync(fd)
      throw fileError('stat', path, err)
    }
  }

  readFile (path: string): Buffer {
    try {
      return fs.readFileSync(path)
    } catch (err) {
      throw fileError('read', path, err)
    }
  }

  readFileAsync (path: string): Promise<Buffer> {
    return fs.promises.readFile(path).catch((err) => { throw fileError('read', path, err) })
  }

  exists (path: string): boolean {
    return fs.existsSync(path)
  }

  fileSize (path: string): number {
    try {
      return fs.statSync(path).size
    } catch (err) {
      throw fileError('stat', path, err)
    }
  }

  list (directory: string): string[] {
    try {
      return fs.readdirSync(directory)
    } catch (err) {
      throw fileError('list', directory, err)
    }
  }

  listAsync (directory: string): Promise<string[]> {
    return fs.promises.readdir(directory).catch((err) => { throw fileError('list', directory, err) })
  }

  makeDirectory (directory: string): void {
    try {
      fs.mkdirSync(directory, { recursive: true })
    } catch (err) {
      throw fileError('mkdir', directory, err)
    }
  }

  removeDirectory (directory: string): void {
    try {
      fs.rmdirSync(directory)
    } catch (err) {
      throw fileError('rmdir', directory, err)
    }
  }

  rename (from: string, to: string): void {
    try {
      fs.renameSync(from, to)
    } catch (err) {
      throw fileError('rename', `${from} to ${to}`, err)
    }
  }

  remove (path: string): void {
    try {
      fs.unlinkSync(path)
    } catch (err) {
      throw fileError('unlink', path, err)
    }
  }

  removeAsync (path: string): Promise<void> {
    return fs.promises.unlink(path).catch((err) => { throw fileError('unlink', path, err) })
  }

  link (from: string, to: string): void {
    try {
      fs.linkSync(from, to)
    } catch (err) {
      throw fileError('link', `${from} to ${to}`, err)
    }
  }

  syncDirectory (directory: string): void {
    let fd = -1
    try {
      fd = fs.openSync(directory, 'r')
      fs.fsyncSync(fd)
    } catch (err) {
      if (!UNSYNCABLE_DIRECTORY.has((err as NodeJS.ErrnoException).code ?? '')) throw fileError('fsync', directory, err)
    } finally {
      if (fd >= 0) fs.closeSync(fd)
    }
  }

  syncDirectoryAsync (directory: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (err: NodeJS.ErrnoException): void => {
        if (UNSYNCABLE_DIRECTORY.has(err.code ?? '')) resolve()
        else reject(fileError('fsync', directory, err))
      }
      fs.open(directory, 'r', (err, fd) => {
        if (err !== null) return fail(err)
        fs.fsync(fd, (syncErr) => fs.close(fd, () => syncErr === null ? resolve() : fail(syncErr)))
      })
    })
  }

  lock (location: string): FileLock {
    return LockFile.acquire(location)
  }
}

/** The process's default environment. */
export const nodeEnv = new NodeEnv()
