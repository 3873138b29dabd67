// An in-memory environment for tests, that can crash: as LevelDB's fault_injection_test and
// Pebble's MemFS, it tracks what is durable, so a test can cut the power at any moment and
// see exactly what a disk would have kept.
//
// Durability model (the strict POSIX one):
//   - a file's contents are durable up to its last sync(); bytes appended or cut since are not
//   - a directory's entries (files created, renamed, linked or removed in it) are durable as
//     of its last syncDirectory(); directories themselves are durable once made
// crash('power') returns an environment over what is durable: files created since their
// directory's last sync are gone, removed ones are back, each file holds what its last sync
// made durable. crash('process') keeps everything (the kernel outlives the process). Either
// way the environment crash() was called on is dead from then on: every call on it, or on a
// file opened through it, fails with EIO, as the files of a killed process would be gone
// from under it. The database that was using it can then be closed (to settle its promises)
// without touching the new environment.

import * as path from 'path'
import { corruption, levelError } from '../base/errors'
import type { Env, FileLock, RandomAccessFile, WritableFile } from './env'
import { errnoError, fileError } from './io-error'

class Inode {
  data: Buffer = Buffer.alloc(0)
  length = 0
  /** The contents as of the last sync. */
  durable: Buffer = Buffer.alloc(0)

  content (): Buffer {
    return this.data.subarray(0, this.length)
  }

  append (bytes: Uint8Array): void {
    const needed = this.length + bytes.length
    if (needed > this.data.length) {
      const grown = Buffer.alloc(Math.max(needed, this.data.length * 2, 256))
      this.data.copy(grown, 0, 0, this.length)
      this.data = grown
    }
    this.data.set(bytes, this.length)
    this.length = needed
  }

  truncate (length: number): void {
    if (length < this.length) {
      this.length = length
    } else if (length > this.length) {
      this.append(Buffer.alloc(length - this.length))
    }
  }

  sync (): void {
    this.durable = Buffer.from(this.content())
  }
}

/** The disk: shared by an environment and the ones its crashes return. */
class MemStorage {
  files = new Map<string, Inode>()
  durableFiles = new Map<string, Inode>()
  directories = new Set<string>([path.parse(process.cwd()).root])
  locks = new Set<string>()
}

export type CrashMode = 'power' | 'process'

export class MemEnv implements Env {
  readonly threading = 'remote' as const
  private alive = true
  private readonly storage: MemStorage
  private readonly heldLocks = new Set<string>()

  constructor (storage?: MemStorage) {
    this.storage = storage ?? new MemStorage()
  }

  /** Kills this environment and returns one over what survives (see the top of the file). */
  crash (mode: CrashMode): MemEnv {
    this.alive = false
    const storage = this.storage
    for (const lock of this.heldLocks) storage.locks.delete(lock)
    this.heldLocks.clear()
    if (mode === 'power') {
      const files = new Map<string, Inode>()
      for (const [name, inode] of storage.durableFiles) {
        inode.data = Buffer.from(inode.durable)
        inode.length = inode.durable.length
        files.set(name, inode)
      }
      storage.files = files
      storage.durableFiles = new Map(files)
    }
    return new MemEnv(storage)
  }

  /** Whether crash() has been called on this environment. */
  get crashed (): boolean {
    return !this.alive
  }

  /** A file's bytes (for tests that inspect or damage files). */
  contents (file: string): Buffer {
    return Buffer.from(this.inode('read', file).content())
  }

  /** Replaces a file's bytes, durably (for tests that damage files). */
  overwrite (file: string, bytes: Uint8Array): void {
    const inode = this.inode('write', file)
    inode.length = 0
    inode.append(bytes)
    inode.sync()
  }

  checkAlive (operation: string, file: string): void {
    if (!this.alive) throw fileError(operation, file, errnoError('EIO', operation, file, 'the environment crashed'))
  }

  private resolve (file: string): string {
    return path.resolve(file)
  }

  private inode (operation: string, file: string): Inode {
    this.checkAlive(operation, file)
    const inode = this.storage.files.get(this.resolve(file))
    if (inode === undefined) {
      const code = this.storage.directories.has(this.resolve(file)) ? 'EISDIR' : 'ENOENT'
      throw fileError(operation, file, errnoError(code, operation, file))
    }
    return inode
  }

  private checkParent (operation: string, file: string): string {
    this.checkAlive(operation, file)
    const full = this.resolve(file)
    if (!this.storage.directories.has(path.dirname(full))) throw fileError(operation, file, errnoError('ENOENT', operation, file))
    if (this.storage.directories.has(full)) throw fileError(operation, file, errnoError('EISDIR', operation, file))
    return full
  }

  createWritable (file: string): WritableFile {
    const full = this.checkParent('create', file)
    let inode = this.storage.files.get(full)
    if (inode === undefined) {
      inode = new Inode()
      this.storage.files.set(full, inode)
    } else {
      inode.truncate(0)
    }
    return new MemWritableFile(this, file, inode)
  }

  createWritableAsync (file: string): Promise<WritableFile> {
    return later(() => this.createWritable(file))
  }

  openAppendable (file: string): WritableFile {
    return new MemWritableFile(this, file, this.inode('open', file))
  }

  openRandomAccess (file: string): RandomAccessFile {
    return new MemRandomAccessFile(this, file, this.inode('open', file))
  }

  readFile (file: string): Buffer {
    return Buffer.from(this.inode('read', file).content())
  }

  readFileAsync (file: string): Promise<Buffer> {
    return later(() => this.readFile(file))
  }

  exists (file: string): boolean {
    this.checkAlive('stat', file)
    const full = this.resolve(file)
    return this.storage.files.has(full) || this.storage.directories.has(full)
  }

  fileSize (file: string): number {
    return this.inode('stat', file).length
  }

  list (directory: string): string[] {
    this.checkAlive('list', directory)
    const full = this.resolve(directory)
    if (!this.storage.directories.has(full)) {
      const code = this.storage.files.has(full) ? 'ENOTDIR' : 'ENOENT'
      throw fileError('list', directory, errnoError(code, 'scandir', directory))
    }
    const names: string[] = []
    for (const name of this.storage.files.keys()) if (path.dirname(name) === full) names.push(path.basename(name))
    for (const name of this.storage.directories) if (name !== full && path.dirname(name) === full) names.push(path.basename(name))
    return names.sort()
  }

  listAsync (directory: string): Promise<string[]> {
    return later(() => this.list(directory))
  }

  makeDirectory (directory: string): void {
    this.checkAlive('mkdir', directory)
    const full = this.resolve(directory)
    if (this.storage.files.has(full)) throw fileError('mkdir', directory, errnoError('EEXIST', 'mkdir', directory))
    for (let dir = full; !this.storage.directories.has(dir); dir = path.dirname(dir)) this.storage.directories.add(dir)
  }

  removeDirectory (directory: string): void {
    this.checkAlive('rmdir', directory)
    const full = this.resolve(directory)
    if (!this.storage.directories.has(full)) throw fileError('rmdir', directory, errnoError('ENOENT', 'rmdir', directory))
    if (this.list(directory).length > 0) throw fileError('rmdir', directory, errnoError('ENOTEMPTY', 'rmdir', directory))
    this.storage.directories.delete(full)
  }

  rename (from: string, to: string): void {
    const inode = this.inode('rename', from)
    const target = this.checkParent('rename', to)
    this.storage.files.delete(this.resolve(from))
    this.storage.files.set(target, inode)
  }

  remove (file: string): void {
    this.inode('unlink', file)
    this.storage.files.delete(this.resolve(file))
  }

  removeAsync (file: string): Promise<void> {
    return later(() => this.remove(file))
  }

  link (from: string, to: string): void {
    const inode = this.inode('link', from)
    const target = this.checkParent('link', to)
    if (this.storage.files.has(target)) throw fileError('link', `${from} to ${to}`, errnoError('EEXIST', 'link', to))
    this.storage.files.set(target, inode)
  }

  syncDirectory (directory: string): void {
    this.checkAlive('fsync', directory)
    const full = this.resolve(directory)
    const { files, durableFiles } = this.storage
    for (const name of Array.from(durableFiles.keys())) {
      if (path.dirname(name) === full && !files.has(name)) durableFiles.delete(name)
    }
    for (const [name, inode] of files) {
      if (path.dirname(name) === full) durableFiles.set(name, inode)
    }
  }

  syncDirectoryAsync (directory: string): Promise<void> {
    return later(() => this.syncDirectory(directory))
  }

  lock (location: string): FileLock {
    this.checkAlive('lock', location)
    const full = this.resolve(location)
    const lockPath = path.join(full, 'LOCK')
    if (this.storage.locks.has(full)) throw levelError('LEVEL_LOCKED', `IO error: lock ${lockPath}: already held by process`)
    if (!this.storage.files.has(lockPath)) this.createWritable(lockPath).close()
    this.storage.locks.add(full)
    this.heldLocks.add(full)
    let released = false
    return {
      release: () => {
        if (released) return
        released = true
        // A dead environment's locks went with it.
        if (this.heldLocks.delete(full)) this.storage.locks.delete(full)
      }
    }
  }
}

class MemWritableFile implements WritableFile {
  private closed = false

  constructor (private readonly env: MemEnv, readonly path: string, private readonly inode: Inode) {}

  get size (): number {
    return this.inode.length
  }

  private check (operation: string): void {
    this.env.checkAlive(operation, this.path)
    if (this.closed) throw fileError(operation, this.path, errnoError('EBADF', operation, this.path))
  }

  append (data: Uint8Array): void {
    this.check('write')
    this.inode.append(data)
  }

  appendAsync (data: Uint8Array): Promise<void> {
    return later(() => this.append(data))
  }

  sync (): void {
    this.check('fdatasync')
    this.inode.sync()
  }

  syncAsync (): Promise<void> {
    return later(() => this.sync())
  }

  truncate (length: number): void {
    this.check('ftruncate')
    this.inode.truncate(length)
  }

  close (): void {
    this.closed = true
  }

  closeAsync (): Promise<void> {
    this.close()
    return Promise.resolve()
  }
}

class MemRandomAccessFile implements RandomAccessFile {
  readonly size: number
  private closed = false

  constructor (private readonly env: MemEnv, readonly path: string, private readonly inode: Inode) {
    this.size = inode.length
  }

  read (offset: number, length: number): Buffer {
    this.env.checkAlive('read', this.path)
    if (this.closed) throw fileError('read', this.path, errnoError('EBADF', 'read', this.path))
    if (offset + length > this.inode.length) throw corruption(this.path, `truncated read at offset ${Math.max(offset, this.inode.length)}`)
    return Buffer.from(this.inode.data.subarray(offset, offset + length))
  }

  readInto (offset: number, length: number, into: Buffer): void {
    into.set(this.read(offset, length))
  }

  close (): void {
    this.closed = true
  }
}

/** Runs `operation` on a later turn of the event loop, as a thread-pool call would complete. */
function later<T> (operation: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(operation())
      } catch (err) {
        reject(err)
      }
    })
  })
}
