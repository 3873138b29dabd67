// Online checkpoints: a copy of the database as of one sequence number, in another directory,
// made while writes go on, that opens as a database of its own (in lsm-level or LevelDB).
//
// What the copy holds is fixed in one synchronous step when checkpoint() is called, so no write
// can land in between: the last applied sequence S; the current Version, pinned so that no table
// it names is deleted before it is linked; the MANIFEST's log number; and the WALs from that
// number on (the current one, and those sealed with memtables whose tables the MANIFEST does
// not name yet) with their byte lengths up to the last applied record,
// opened at once so that a sweep cannot delete them under the copy. Every write acknowledged
// before the call is in those tables or those bytes; nothing after S is.
//
// Then, off that step and without holding writes up:
//   tables   hard links (no data copied, so the time does not grow with the data); where the
//            file system cannot link (another device, no links), a streamed copy instead
//   WALs     the applied prefix, copied: never linked, since the source keeps appending
//   MANIFEST one snapshot record naming exactly the pinned tables, with last sequence S and
//            the source's log number, so opening the copy replays the WAL prefixes
//   CURRENT  last, through a temp file and a rename, so a directory with CURRENT is complete
// Every file and the target directory (and its parent, if it was created here) are synced
// before the promise resolves. If anything fails, what was made in the target is removed again.
//
// The target must not exist, or be an empty directory: LEVEL_TARGET_EXISTS otherwise.
//
// In the background-error state a checkpoint is allowed and holds what reads serve: the
// installed Version and the applied WAL records, i.e. every acknowledged write (a failed flush
// leaves its memtable's WAL in the copy; a failed append or sync left its group unapplied, so
// outside the copied prefix). That makes it a way to move the data to a healthy disk before
// closing. A checkpoint's own failure rejects its promise and never changes the database's state.

import * as path from 'path'
import { levelError } from '../base/errors'
import type { Env, RandomAccessFile } from '../env/env'
import { errnoCode } from '../env/io-error'
import { ByteWriter } from '../format/coding'
import { currentFileName, legacyTableFileName, logFileName, manifestBaseName, manifestFileName, tableFileName, tempFileName } from '../format/filename'
import { NUM_LEVELS } from '../version/constants'
import type { FileMeta } from '../version/file-meta'
import type { Version } from '../version/version'
import { emptyEdit, encodeVersionEdit } from '../version/version-edit'
import { COMPARATOR_NAME, type VersionSet } from '../version/version-set'
import { LogWriter } from '../wal/log-writer'
import { mustYield, nextTurn } from './pacer'
import type { WalManager } from './wal-manager'

/** Errors of link(2) that mean this file system cannot link these files: copy instead. */
const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'])

/** Bytes read and written per step of a copy: a copy streams, it never holds a whole file. */
export const COPY_CHUNK_BYTES = 256 * 1024

export interface CheckpointContext {
  env: Env
  location: string
  versions: VersionSet
  wal: () => WalManager
  /** Gives back a version pinned for a checkpoint. */
  unpin: (version: Version) => void
}

/** What a checkpoint made. */
export interface CheckpointResult {
  /** The last sequence number the copy holds. */
  sequence: number
  /** Tables in the copy, and how many of them are hard links and how many copies. */
  tables: number
  linked: number
  copied: number
  /** WAL bytes copied. */
  walBytes: number
}

interface CopiedLog {
  number: number
  size: number
  file: RandomAccessFile
}

/** The point in time a checkpoint copies, taken in one synchronous step. */
interface Capture {
  sequence: number
  version: Version
  logNumber: number
  /** A number no file of the copy has: the copy's MANIFEST. */
  manifestNumber: number
  compactPointers: Array<Buffer | undefined>
  logs: CopiedLog[]
}

export class Checkpoints {
  private readonly running = new Set<Promise<unknown>>()
  // Targets being written now: a second checkpoint into one of them would collide.
  private readonly targets = new Set<string>()
  private stopped = false

  constructor (private readonly ctx: CheckpointContext) {}

  /**
   * Makes a checkpoint in `target`. The point in time is this call (taken before the first
   * await); the promise resolves once the copy is complete and durable.
   */
  async create (target: string): Promise<CheckpointResult> {
    if (this.stopped) throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open: cannot call checkpoint()')
    const key = path.resolve(target)
    if (this.targets.has(key)) throw targetExists(target, 'another checkpoint is being made there')
    const created = prepareTarget(this.ctx.env, target)
    let capture: Capture
    try {
      capture = this.capture()
    } catch (err) {
      if (created) removeQuietly(this.ctx.env, target, [])
      throw err
    }
    this.targets.add(key)
    const running = this.write(target, created, capture)
    this.running.add(running)
    try {
      return await running
    } finally {
      this.running.delete(running)
      this.targets.delete(key)
    }
  }

  /** No checkpoint starts after this; see idle(). */
  stop (): void {
    this.stopped = true
  }

  /** Resolves once no checkpoint is being written. */
  async idle (): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled(Array.from(this.running))
  }

  /** Synchronous: nothing may run between reading these. */
  private capture (): Capture {
    const { env, location, versions } = this.ctx
    const logNumber = versions.logNumber
    const logs: CopiedLog[] = []
    try {
      for (const log of this.ctx.wal().appliedLogs()) {
        if (log.number < logNumber) continue
        logs.push({ ...log, file: env.openRandomAccess(logFileName(location, log.number)) })
      }
    } catch (err) {
      for (const log of logs) closeQuietly(log.file)
      throw err
    }
    const version = versions.current
    versions.pin(version)
    return {
      sequence: versions.lastSequence,
      version,
      logNumber,
      manifestNumber: versions.nextFileNumber,
      compactPointers: versions.compactPointers.slice(),
      logs
    }
  }

  private async write (target: string, created: boolean, capture: Capture): Promise<CheckpointResult> {
    const { env } = this.ctx
    const made: string[] = []
    const result: CheckpointResult = { sequence: capture.sequence, tables: 0, linked: 0, copied: 0, walBytes: 0 }
    let pinned = true
    try {
      for (const level of capture.version.files) {
        for (const file of level) {
          if (mustYield()) await nextTurn()
          if (await this.linkOrCopyTable(file, target, made)) result.linked++
          else result.copied++
          result.tables++
        }
      }
      // Every table has its own name in the target now: the source may delete its own.
      pinned = false
      this.ctx.unpin(capture.version)
      for (const log of capture.logs) {
        await copyPrefix(env, log.file, logFileName(target, log.number), log.size, made)
        result.walBytes += log.size
      }
      await writeDurably(env, manifestFileName(target, capture.manifestNumber), manifestRecord(capture), made)
      // The tables' and WALs' entries must be durable before CURRENT can name a MANIFEST.
      await env.syncDirectoryAsync(target)
      const temp = tempFileName(target, capture.manifestNumber)
      await writeDurably(env, temp, Buffer.from(manifestBaseName(capture.manifestNumber) + '\n', 'latin1'), made)
      env.rename(temp, currentFileName(target))
      made[made.length - 1] = currentFileName(target)
      await env.syncDirectoryAsync(target)
      if (created) await env.syncDirectoryAsync(path.dirname(path.resolve(target)))
      return result
    } catch (err) {
      removeQuietly(env, created ? target : undefined, made)
      throw err
    } finally {
      if (pinned) this.ctx.unpin(capture.version)
      for (const log of capture.logs) closeQuietly(log.file)
    }
  }

  /** Links a table into `target`, or copies it where links are impossible; true if linked. */
  private async linkOrCopyTable (file: FileMeta, target: string, made: string[]): Promise<boolean> {
    const { env, location } = this.ctx
    let source = tableFileName(location, file.number)
    // Tables written by LevelDB before 1.14 are named .sst; they keep their name in the copy.
    if (!env.exists(source)) source = legacyTableFileName(location, file.number)
    const destination = path.join(target, path.basename(source))
    try {
      env.link(source, destination)
      made.push(destination)
      return true
    } catch (err) {
      if (!LINK_UNSUPPORTED.has(errnoCode(err) ?? '')) throw err
    }
    const input = env.openRandomAccess(source)
    try {
      await copyPrefix(env, input, destination, file.size, made)
    } finally {
      closeQuietly(input)
    }
    return false
  }
}

/** Checks that `target` is absent or an empty directory, and creates it; true if created. */
function prepareTarget (env: Env, target: string): boolean {
  if (!env.exists(target)) {
    env.makeDirectory(target)
    return true
  }
  let names: string[]
  try {
    names = env.list(target)
  } catch (err) {
    if (errnoCode(err) === 'ENOTDIR') throw targetExists(target, 'is a file')
    throw err
  }
  if (names.length > 0) throw targetExists(target, `is not empty (${names.length} entries)`)
  return false
}

function targetExists (target: string, why: string): Error {
  return levelError('LEVEL_TARGET_EXISTS', `Checkpoint target ${target} ${why}: it must not exist or be an empty directory`)
}

/** The copy's MANIFEST: one snapshot record of the captured state. */
function manifestRecord (capture: Capture): Uint8Array {
  const edit = emptyEdit()
  edit.comparator = COMPARATOR_NAME
  edit.logNumber = capture.logNumber
  edit.prevLogNumber = 0
  edit.nextFileNumber = capture.manifestNumber + 1
  edit.lastSequence = capture.sequence
  for (let level = 0; level < NUM_LEVELS; level++) {
    const pointer = capture.compactPointers[level]
    if (pointer !== undefined) edit.compactPointers.push({ level, key: pointer })
    for (const file of capture.version.files[level]) edit.newFiles.push({ level, file })
  }
  const out = new ByteWriter(4096)
  new LogWriter(0).append(encodeVersionEdit(edit), out)
  return out.view()
}

/** Copies the first `length` bytes of `input` into a new file `to`, a chunk at a time, and syncs it. */
async function copyPrefix (env: Env, input: RandomAccessFile, to: string, length: number, made: string[]): Promise<void> {
  const output = await env.createWritableAsync(to)
  made.push(to)
  try {
    for (let offset = 0; offset < length; offset += COPY_CHUNK_BYTES) {
      await output.appendAsync(input.read(offset, Math.min(COPY_CHUNK_BYTES, length - offset)))
    }
    await output.syncAsync()
  } catch (err) {
    await output.closeAsync().catch(() => {})
    throw err
  }
  await output.closeAsync()
}

async function writeDurably (env: Env, to: string, bytes: Uint8Array, made: string[]): Promise<void> {
  const output = await env.createWritableAsync(to)
  made.push(to)
  try {
    await output.appendAsync(bytes)
    await output.syncAsync()
  } catch (err) {
    await output.closeAsync().catch(() => {})
    throw err
  }
  await output.closeAsync()
}

/** Undoes a failed checkpoint: the files it made, then the directory if it made that too. */
function removeQuietly (env: Env, directory: string | undefined, files: string[]): void {
  for (const file of files) {
    try { env.remove(file) } catch {}
  }
  if (directory !== undefined) {
    try { env.removeDirectory(directory) } catch {}
  }
}

function closeQuietly (file: RandomAccessFile): void {
  try { file.close() } catch {}
}
