// A fault-injecting wrapper for tests, after Pebble's errorfs: it passes every call to an
// inner environment (NodeEnv or MemEnv) unless a rule says to fail it.
//
//   const env = new FaultEnv(new MemEnv())
//   const full = env.inject({ op: 'append', file: /\.log$/, afterBytes: 1 << 20, error: 'ENOSPC' })
//   ... run a workload ...
//   full.hits          // how many calls the rule failed: a test shows its fault was hit
//   env.clear(full)    // the disk has room again
//
// A rule matches calls of its operations on paths its `file` pattern accepts. It fails the
// matching calls from the nth on (`nth`, default 1), at most `times` of them (default: all),
// or, with `afterBytes`, every append once that many bytes were appended to matching files
// since the rule was added: the append that crosses the limit writes what fits first (a
// short write), as a filling disk does. `shortWrite` makes any failing append write half of
// its bytes first. `onFault` runs before the error is thrown (to crash a MemEnv there).
//
// A rule with no `error` fails nothing and only watches: `seen` counts its calls, `onCall`
// sees each one, and `gate` is awaited before an asynchronous call goes ahead (a test can
// hold a sync there, or fail it by rejecting).
//
// Workers reach a FaultEnv through the main thread (threading 'remote'), so a rule sees the
// calls of flushes and compactions too.

import * as path from 'path'
import type { Env, FileLock, RandomAccessFile, WritableFile } from './env'
import { errnoError, fileError } from './io-error'

export type FaultOperation =
  | 'create' | 'open' | 'append' | 'sync' | 'truncate' | 'close' | 'read' | 'readFile'
  | 'list' | 'rename' | 'remove' | 'link' | 'syncDirectory' | 'mkdir' | 'rmdir' | 'lock' | 'stat'

export type FaultCode = 'ENOSPC' | 'EDQUOT' | 'EIO' | 'EROFS' | 'EACCES' | 'EBADF' | 'EXDEV' | 'EPERM' | 'ENOTSUP'

export interface FaultSpec {
  op: FaultOperation | FaultOperation[]
  /** Tested against the file's path (default: every file). */
  file?: RegExp | ((file: string) => boolean)
  nth?: number
  times?: number
  afterBytes?: number
  shortWrite?: boolean
  /** The errno to fail with; none: the rule only watches. */
  error?: FaultCode
  onFault?: (call: FaultCall) => void
  /** Called for every matching call, failing or not. */
  onCall?: (call: FaultCall) => void
  /** Awaited before a matching asynchronous call goes ahead; a rejection fails the call. */
  gate?: (call: FaultCall) => Promise<void>
  /** Called once a matching asynchronous call has completed (with its error, if it failed). */
  onDone?: (call: FaultCall, error?: unknown) => void
}

export interface FaultCall {
  op: FaultOperation
  file: string
}

export interface FaultRule extends FaultSpec {
  /** Matching calls seen so far. */
  seen: number
  /** Calls failed so far. */
  hits: number
  /** Bytes appended to matching files since the rule was added (afterBytes rules). */
  bytes: number
}

// The system call Node would name for each operation.
const SYSCALLS: Record<FaultOperation, string> = {
  create: 'open',
  open: 'open',
  append: 'write',
  sync: 'fdatasync',
  truncate: 'ftruncate',
  close: 'close',
  read: 'read',
  readFile: 'read',
  list: 'scandir',
  rename: 'rename',
  remove: 'unlink',
  link: 'link',
  syncDirectory: 'fsync',
  mkdir: 'mkdir',
  rmdir: 'rmdir',
  lock: 'open',
  stat: 'stat'
}

export class FaultEnv implements Env {
  readonly threading = 'remote' as const
  readonly rules: FaultRule[] = []
  /** Every call made, in order, while `recording` (for tests that look at sequences of calls). */
  readonly calls: FaultCall[] = []
  recording = false

  constructor (readonly inner: Env) {}

  inject (spec: FaultSpec): FaultRule {
    const rule: FaultRule = { ...spec, seen: 0, hits: 0, bytes: 0 }
    this.rules.push(rule)
    return rule
  }

  /** Stops a rule (or every rule) from failing calls; its counters stay readable. */
  clear (rule?: FaultRule): void {
    if (rule === undefined) this.rules.length = 0
    const at = rule === undefined ? -1 : this.rules.indexOf(rule)
    if (at >= 0) this.rules.splice(at, 1)
  }

  /**
   * Throws an InjectedFault if a rule fails this call. `bytes` is the size of an append;
   * the fault says how many of them to write before failing (short writes).
   */
  check (op: FaultOperation, file: string, bytes = 0): void {
    if (this.recording) this.calls.push({ op, file })
    for (const rule of this.rules) {
      const ops = Array.isArray(rule.op) ? rule.op : [rule.op]
      if (!ops.includes(op) || !matches(rule, file)) continue
      rule.seen++
      rule.onCall?.({ op, file })
      if (rule.error === undefined) continue
      let fail: boolean
      let keep = 0
      if (rule.afterBytes !== undefined) {
        const room = rule.afterBytes - rule.bytes
        fail = op !== 'append' || bytes > room
        keep = Math.max(0, Math.min(bytes, room))
        // What fits is written either way: a short write fills the disk.
        rule.bytes += fail ? keep : bytes
      } else {
        fail = rule.seen >= (rule.nth ?? 1) && rule.hits < (rule.times ?? Infinity)
        keep = rule.shortWrite === true ? Math.floor(bytes / 2) : 0
      }
      if (!fail) continue
      rule.hits++
      rule.onFault?.({ op, file })
      throw new InjectedFault(op, file, rule.error, keep)
    }
  }

  /**
   * Runs an asynchronous call: fault check, then the gates of matching rules, then `call`,
   * then the matching rules' onDone.
   */
  async around<T> (op: FaultOperation, file: string, call: () => Promise<T>): Promise<T> {
    const watching = this.rules.filter((rule) => (Array.isArray(rule.op) ? rule.op : [rule.op]).includes(op) && matches(rule, file))
    try {
      for (const rule of watching) if (rule.gate !== undefined) await rule.gate({ op, file })
      const result = await call()
      for (const rule of watching) rule.onDone?.({ op, file })
      return result
    } catch (err) {
      for (const rule of watching) rule.onDone?.({ op, file }, err)
      throw err
    }
  }

  private run<T> (op: FaultOperation, file: string, call: () => T): T {
    return guarded(this, op, file, call)
  }

  private async runAsync<T> (op: FaultOperation, file: string, call: () => Promise<T>): Promise<T> {
    guarded(this, op, file, () => undefined)
    return await this.around(op, file, call)
  }

  createWritable (file: string): WritableFile {
    return new FaultWritableFile(this, this.run('create', file, () => this.inner.createWritable(file)))
  }

  async createWritableAsync (file: string): Promise<WritableFile> {
    return new FaultWritableFile(this, await this.runAsync('create', file, () => this.inner.createWritableAsync(file)))
  }

  openAppendable (file: string): WritableFile {
    return new FaultWritableFile(this, this.run('open', file, () => this.inner.openAppendable(file)))
  }

  openRandomAccess (file: string): RandomAccessFile {
    return new FaultRandomAccessFile(this, this.run('open', file, () => this.inner.openRandomAccess(file)))
  }

  readFile (file: string): Buffer {
    return this.run('readFile', file, () => this.inner.readFile(file))
  }

  readFileAsync (file: string): Promise<Buffer> {
    return this.runAsync('readFile', file, () => this.inner.readFileAsync(file))
  }

  exists (file: string): boolean {
    return this.run('stat', file, () => this.inner.exists(file))
  }

  fileSize (file: string): number {
    return this.run('stat', file, () => this.inner.fileSize(file))
  }

  list (directory: string): string[] {
    return this.run('list', directory, () => this.inner.list(directory))
  }

  listAsync (directory: string): Promise<string[]> {
    return this.runAsync('list', directory, () => this.inner.listAsync(directory))
  }

  makeDirectory (directory: string): void {
    this.run('mkdir', directory, () => this.inner.makeDirectory(directory))
  }

  removeDirectory (directory: string): void {
    this.run('rmdir', directory, () => this.inner.removeDirectory(directory))
  }

  rename (from: string, to: string): void {
    this.run('rename', to, () => this.inner.rename(from, to))
  }

  remove (file: string): void {
    this.run('remove', file, () => this.inner.remove(file))
  }

  removeAsync (file: string): Promise<void> {
    return this.runAsync('remove', file, () => this.inner.removeAsync(file))
  }

  link (from: string, to: string): void {
    this.run('link', to, () => this.inner.link(from, to))
  }

  syncDirectory (directory: string): void {
    this.run('syncDirectory', directory, () => this.inner.syncDirectory(directory))
  }

  syncDirectoryAsync (directory: string): Promise<void> {
    return this.runAsync('syncDirectory', directory, () => this.inner.syncDirectoryAsync(directory))
  }

  lock (location: string): FileLock {
    return this.run('lock', path.join(location, 'LOCK'), () => this.inner.lock(location))
  }
}

/** What check() throws: the LEVEL_IO_ERROR an environment would, plus how much of an append to write. */
class InjectedFault extends Error {
  readonly error: Error
  constructor (readonly op: FaultOperation, readonly file: string, code: FaultCode, readonly keep: number) {
    super(code)
    this.error = fileError(SYSCALLS[op], file, errnoError(code, SYSCALLS[op], file))
  }
}

function matches (rule: FaultSpec, file: string): boolean {
  if (rule.file === undefined) return true
  return typeof rule.file === 'function' ? rule.file(file) : rule.file.test(file)
}

/** Runs `call` under env.check(op), turning an injected fault into the error it stands for. */
function guarded<T> (env: FaultEnv, op: FaultOperation, file: string, call: () => T, bytes = 0, partial?: (keep: number) => void): T {
  try {
    env.check(op, file, bytes)
  } catch (err) {
    if (!(err instanceof InjectedFault)) throw err
    if (err.keep > 0 && partial !== undefined) partial(err.keep)
    throw err.error
  }
  return call()
}

class FaultWritableFile implements WritableFile {
  constructor (private readonly env: FaultEnv, private readonly inner: WritableFile) {}

  get path (): string {
    return this.inner.path
  }

  get size (): number {
    return this.inner.size
  }

  append (data: Uint8Array): void {
    guarded(this.env, 'append', this.path, () => this.inner.append(data), data.length, (keep) => this.inner.append(data.subarray(0, keep)))
  }

  async appendAsync (data: Uint8Array): Promise<void> {
    let partial: Promise<void> | undefined
    try {
      guarded(this.env, 'append', this.path, () => undefined, data.length, (keep) => { partial = this.inner.appendAsync(data.subarray(0, keep)) })
    } catch (err) {
      await partial?.catch(() => {})
      throw err
    }
    await this.env.around('append', this.path, () => this.inner.appendAsync(data))
  }

  sync (): void {
    guarded(this.env, 'sync', this.path, () => this.inner.sync())
  }

  async syncAsync (): Promise<void> {
    guarded(this.env, 'sync', this.path, () => undefined)
    await this.env.around('sync', this.path, () => this.inner.syncAsync())
  }

  truncate (length: number): void {
    guarded(this.env, 'truncate', this.path, () => this.inner.truncate(length))
  }

  close (): void {
    // The descriptor is released even when close reports an error, as close(2) does.
    try {
      guarded(this.env, 'close', this.path, () => undefined)
    } finally {
      this.inner.close()
    }
  }

  async closeAsync (): Promise<void> {
    try {
      guarded(this.env, 'close', this.path, () => undefined)
    } finally {
      await this.inner.closeAsync()
    }
  }
}

class FaultRandomAccessFile implements RandomAccessFile {
  constructor (private readonly env: FaultEnv, private readonly inner: RandomAccessFile) {}

  get path (): string {
    return this.inner.path
  }

  get size (): number {
    return this.inner.size
  }

  read (offset: number, length: number): Buffer {
    return guarded(this.env, 'read', this.path, () => this.inner.read(offset, length))
  }

  readInto (offset: number, length: number, into: Buffer): void {
    guarded(this.env, 'read', this.path, () => this.inner.readInto(offset, length, into))
  }

  close (): void {
    this.inner.close()
  }
}
