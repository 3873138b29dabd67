// The VersionSet owns the MANIFEST: the log of VersionEdits that says which table files
// are live at which level, plus the counters (next file number, last sequence, log number)
// that recovery needs. CURRENT names the live MANIFEST.
//
//   CURRENT            "MANIFEST-NNNNNN\n", replaced atomically: NNNNNN.dbtmp, fsync, rename, fsync dir
//   MANIFEST-NNNNNN    log-framed records (wal/log-format.ts), each one encoded VersionEdit;
//                      the first is a snapshot of the whole state, later ones are deltas
//
// Every edit we append restates log number, next file number and last sequence, so any
// prefix of the MANIFEST recovers a consistent state. Edits are appended one at a time
// (a flush and a compaction never interleave their records) and an edit takes effect only
// after its record is durable.

import * as fs from 'fs'
import * as path from 'path'
import { corruption, ioError, levelError } from '../base/errors'
import { ByteWriter } from '../format/coding'
import { currentFileName, manifestBaseName, manifestFileName, tempFileName } from '../format/filename'
import { LogReader } from '../wal/log-reader'
import { LogWriter } from '../wal/log-writer'
import { NUM_LEVELS } from './constants'
import { Version, applyEdit } from './version'
import { type VersionEdit, decodeVersionEdit, emptyEdit, encodeVersionEdit } from './version-edit'

export const COMPARATOR_NAME = 'leveldb.BytewiseComparator'

export class VersionSet {
  current: Version = new Version()
  nextFileNumber = 2
  lastSequence = 0
  logNumber = 0
  prevLogNumber = 0
  manifestNumber = 0
  readonly compactPointers: Array<Buffer | undefined> = new Array(NUM_LEVELS).fill(undefined)

  private manifestFd = -1
  private manifestWriter = new LogWriter(0)
  private readonly scratch = new ByteWriter(4096)
  private queue: Promise<void> = Promise.resolve()
  // Versions still read by iterators or running compactions, with their reference counts.
  private readonly pinned = new Map<Version, number>()

  constructor (readonly location: string) {}

  newFileNumber (): number {
    return this.nextFileNumber++
  }

  markFileNumberUsed (number: number): void {
    if (this.nextFileNumber <= number) this.nextFileNumber = number + 1
  }

  /** Whether CURRENT exists, i.e. a database lives here. */
  exists (): boolean {
    return fs.existsSync(currentFileName(this.location))
  }

  /** Loads the state named by CURRENT. Any damage in the MANIFEST fails the open. */
  recover (): void {
    const currentPath = currentFileName(this.location)
    let current: string
    try {
      current = fs.readFileSync(currentPath, 'latin1')
    } catch (err) {
      throw ioError(`${currentPath}: ${(err as Error).message}`, err)
    }
    if (current.length === 0 || !current.endsWith('\n')) {
      throw corruption(currentPath, 'CURRENT file does not end with newline')
    }
    const name = current.slice(0, -1)
    const match = /^MANIFEST-(\d+)$/.exec(name)
    if (match === null) throw corruption(currentPath, `CURRENT names '${name}', which is not a MANIFEST`)
    const manifestPath = path.join(this.location, name)
    let data: Buffer
    try {
      data = fs.readFileSync(manifestPath)
    } catch (err) {
      throw corruption(manifestPath, `cannot read the MANIFEST named by CURRENT (${(err as Error).message})`)
    }

    let version = new Version()
    let logNumber: number | undefined
    let prevLogNumber = 0
    let nextFileNumber: number | undefined
    let lastSequence: number | undefined
    const reader = new LogReader(data, (damage) => {
      throw corruption(manifestPath, `${damage.reason} at offset ${damage.offset}`)
    })
    for (let record = reader.next(); record !== undefined; record = reader.next()) {
      const edit = decodeVersionEdit(record, manifestPath)
      if (edit.comparator !== undefined && edit.comparator !== COMPARATOR_NAME) {
        throw levelError('LEVEL_CORRUPTION', `Invalid argument: ${edit.comparator} does not match existing comparator ${COMPARATOR_NAME}`)
      }
      version = applyEdit(version, edit, manifestPath)
      for (const pointer of edit.compactPointers) this.compactPointers[pointer.level] = pointer.key
      if (edit.logNumber !== undefined) logNumber = edit.logNumber
      if (edit.prevLogNumber !== undefined) prevLogNumber = edit.prevLogNumber
      if (edit.nextFileNumber !== undefined) nextFileNumber = edit.nextFileNumber
      if (edit.lastSequence !== undefined) lastSequence = edit.lastSequence
    }
    if (nextFileNumber === undefined) throw corruption(manifestPath, 'no next-file-number entry in descriptor')
    if (logNumber === undefined) throw corruption(manifestPath, 'no log-number entry in descriptor')
    if (lastSequence === undefined) throw corruption(manifestPath, 'no last-sequence-number entry in descriptor')

    this.current = version
    this.logNumber = logNumber
    this.prevLogNumber = prevLogNumber
    this.nextFileNumber = nextFileNumber
    this.lastSequence = lastSequence
    this.manifestNumber = Number(match[1])
    this.markFileNumberUsed(this.manifestNumber)
    this.markFileNumberUsed(logNumber)
    this.markFileNumberUsed(prevLogNumber)
  }

  /**
   * Starts a fresh MANIFEST holding a snapshot of the whole state plus `edit`, and points
   * CURRENT at it. Done at open (as LevelDB does), so the MANIFEST never grows without bound
   * across restarts. Synchronous: it runs before the database accepts work.
   */
  writeNewManifest (edit: VersionEdit): void {
    const version = applyEdit(this.current, edit, 'new MANIFEST')
    for (const pointer of edit.compactPointers) this.compactPointers[pointer.level] = pointer.key
    if (edit.logNumber !== undefined) this.logNumber = edit.logNumber
    this.prevLogNumber = 0

    const manifestNumber = this.newFileNumber()
    const snapshot = emptyEdit()
    snapshot.comparator = COMPARATOR_NAME
    for (let level = 0; level < NUM_LEVELS; level++) {
      const pointer = this.compactPointers[level]
      if (pointer !== undefined) snapshot.compactPointers.push({ level, key: pointer })
      for (const file of version.files[level]) snapshot.newFiles.push({ level, file })
    }
    this.fillCounters(snapshot)

    const manifestPath = manifestFileName(this.location, manifestNumber)
    const writer = new LogWriter(0)
    const out = new ByteWriter(4096)
    writer.append(encodeVersionEdit(snapshot), out)
    const fd = fs.openSync(manifestPath, 'w')
    try {
      writeFully(fd, out.view())
      fs.fsyncSync(fd)
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
    setCurrentFile(this.location, manifestNumber)
    this.closeManifest()
    this.manifestFd = fd
    this.manifestWriter = writer
    this.manifestNumber = manifestNumber
    this.current = version
  }

  /**
   * Appends `edit` to the MANIFEST, makes it durable, then installs the resulting Version.
   * Calls run one at a time in call order. The I/O runs off the main thread.
   */
  logAndApply (edit: VersionEdit): Promise<Version> {
    const run = async (): Promise<Version> => {
      const version = applyEdit(this.current, edit, 'version edit')
      if (edit.logNumber !== undefined) {
        if (edit.logNumber < this.logNumber || edit.logNumber >= this.nextFileNumber) {
          throw new RangeError(`Log number ${edit.logNumber} out of order`)
        }
      }
      this.fillCounters(edit)
      this.scratch.reset()
      this.manifestWriter.append(encodeVersionEdit(edit), this.scratch)
      const bytes = Buffer.from(this.scratch.view())
      // New tables' directory entries must survive power loss before the MANIFEST names them.
      if (edit.newFiles.length > 0) await syncDirectoryAsync(this.location)
      await appendAndSync(this.manifestFd, bytes)
      for (const pointer of edit.compactPointers) this.compactPointers[pointer.level] = pointer.key
      this.logNumber = edit.logNumber as number
      this.prevLogNumber = 0
      this.current = version
      return version
    }
    const result = this.queue.then(run)
    this.queue = result.then(() => undefined, () => undefined)
    return result
  }

  /** Keeps `version`'s files from deletion until unpin(version). */
  pin (version: Version): void {
    this.pinned.set(version, (this.pinned.get(version) ?? 0) + 1)
  }

  /** Returns true when that was the last pin of a version that is no longer current. */
  unpin (version: Version): boolean {
    const count = (this.pinned.get(version) ?? 0) - 1
    if (count > 0) {
      this.pinned.set(version, count)
      return false
    }
    this.pinned.delete(version)
    return version !== this.current
  }

  /** Numbers of every table in the current or a pinned version. */
  liveTableNumbers (): Set<number> {
    const live = new Set<number>()
    const add = (version: Version): void => {
      for (const level of version.files) for (const file of level) live.add(file.number)
    }
    add(this.current)
    for (const version of this.pinned.keys()) add(version)
    return live
  }

  close (): void {
    this.closeManifest()
  }

  private fillCounters (edit: VersionEdit): void {
    if (edit.logNumber === undefined) edit.logNumber = this.logNumber
    edit.prevLogNumber = 0
    edit.nextFileNumber = this.nextFileNumber
    edit.lastSequence = this.lastSequence
  }

  private closeManifest (): void {
    if (this.manifestFd >= 0) {
      try { fs.closeSync(this.manifestFd) } catch {}
      this.manifestFd = -1
    }
  }
}

/** Writes CURRENT atomically so that it names MANIFEST-<manifestNumber>. */
export function setCurrentFile (location: string, manifestNumber: number): void {
  const temp = tempFileName(location, manifestNumber)
  const fd = fs.openSync(temp, 'w')
  try {
    writeFully(fd, Buffer.from(manifestBaseName(manifestNumber) + '\n', 'latin1'))
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(temp, currentFileName(location))
  syncDirectory(location)
}

export function syncDirectory (location: string): void {
  let fd = -1
  try {
    fd = fs.openSync(location, 'r')
    fs.fsyncSync(fd)
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd >= 0) fs.closeSync(fd)
  }
}

/** fsync of a directory off the main thread; best effort where directories cannot be synced. */
export function syncDirectoryAsync (location: string): Promise<void> {
  return new Promise((resolve) => {
    fs.open(location, 'r', (err, fd) => {
      if (err !== null) return resolve()
      fs.fsync(fd, () => fs.close(fd, () => resolve()))
    })
  })
}

export function writeFully (fd: number, bytes: Uint8Array): void {
  let offset = 0
  while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset)
}

function appendAndSync (fd: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const writeFrom = (offset: number): void => {
      fs.write(fd, bytes, offset, bytes.length - offset, null, (err, written) => {
        if (err !== null) return reject(ioError(`MANIFEST write: ${err.message}`, err))
        if (offset + written < bytes.length) return writeFrom(offset + written)
        fs.fdatasync(fd, (syncErr) => {
          if (syncErr !== null) reject(ioError(`MANIFEST sync: ${syncErr.message}`, syncErr))
          else resolve()
        })
      })
    }
    writeFrom(0)
  })
}
