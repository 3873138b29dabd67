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
//
// A failed append may leave part of a record at the MANIFEST's end. Readers ignore a torn
// last record, but not one followed by more records, so nothing is appended after a failure:
// the next edit starts a fresh MANIFEST holding the whole state, and CURRENT moves to it.

import * as path from 'path'
import { corruption, levelError } from '../base/errors'
import type { Env, WritableFile } from '../env/env'
import { ByteWriter } from '../format/coding'
import { currentFileName, manifestBaseName, manifestFileName, tempFileName } from '../format/filename'
import { LogReader } from '../wal/log-reader'
import { LogWriter } from '../wal/log-writer'
import { NUM_LEVELS } from './constants'
import { Version, applyEdit } from './version'
import { type VersionEdit, decodeVersionEdit, emptyEdit, encodeVersionEdit } from './version-edit'

export const COMPARATOR_NAME = 'leveldb.BytewiseComparator'

// A MANIFEST past this size is rewritten at the next open, as LevelDB's ReuseManifest does.
const MANIFEST_REUSE_LIMIT = 2 * 1024 * 1024

export class VersionSet {
  current: Version = new Version()
  nextFileNumber = 2
  lastSequence = 0
  logNumber = 0
  prevLogNumber = 0
  manifestNumber = 0
  readonly compactPointers: Array<Buffer | undefined> = new Array(NUM_LEVELS).fill(undefined)

  private manifest: WritableFile | undefined
  // The MANIFEST recover() read: its size, and whether it ends with a whole record.
  private recovered: { path: string, size: number, whole: boolean } | undefined
  // Set when an append to `manifest` failed: the next edit goes to a new MANIFEST.
  private manifestTorn = false
  private manifestWriter = new LogWriter(0)
  private readonly scratch = new ByteWriter(4096)
  private queue: Promise<void> = Promise.resolve()
  // Versions still read by iterators or running compactions, with their reference counts.
  private readonly pinned = new Map<Version, number>()

  constructor (private readonly env: Env, readonly location: string) {}

  newFileNumber (): number {
    return this.nextFileNumber++
  }

  markFileNumberUsed (number: number): void {
    if (this.nextFileNumber <= number) this.nextFileNumber = number + 1
  }

  /** Whether CURRENT exists, i.e. a database lives here. */
  exists (): boolean {
    return this.env.exists(currentFileName(this.location))
  }

  /** Loads the state named by CURRENT. Any damage in the MANIFEST fails the open. */
  recover (): void {
    const currentPath = currentFileName(this.location)
    const current = this.env.readFile(currentPath).toString('latin1')
    if (current.length === 0 || !current.endsWith('\n')) {
      throw corruption(currentPath, 'CURRENT file does not end with newline')
    }
    const name = current.slice(0, -1)
    const match = /^MANIFEST-(\d+)$/.exec(name)
    if (match === null) throw corruption(currentPath, `CURRENT names '${name}', which is not a MANIFEST`)
    const manifestPath = path.join(this.location, name)
    // A MANIFEST that cannot be read is an I/O error, as in LevelDB (not corruption).
    const data = this.env.readFile(manifestPath)

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

    this.recovered = { path: manifestPath, size: data.length, whole: reader.lastRecordEnd === data.length }
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
   * Keeps appending to the MANIFEST recover() read, instead of writing a new one, when it
   * ends with a whole record and is still small (so it never grows without bound across
   * restarts). Returns false when a new one must be written.
   */
  reuseManifest (): boolean {
    const recovered = this.recovered
    if (recovered === undefined || !recovered.whole || recovered.size > MANIFEST_REUSE_LIMIT || this.manifest !== undefined) return false
    const file = this.env.openAppendable(recovered.path)
    if (file.size !== recovered.size) {
      // Changed since it was read (another writer?): do not append to it.
      try { file.close() } catch {}
      return false
    }
    this.manifest = file
    this.manifestWriter = new LogWriter(recovered.size)
    return true
  }

  /**
   * Starts a fresh MANIFEST holding a snapshot of the whole state plus `edit`, and points
   * CURRENT at it. Done at open (as LevelDB does), so the MANIFEST never grows without bound
   * across restarts, and after a failed append. Synchronous: at open it runs before the
   * database accepts work, and otherwise only after a failure.
   */
  writeNewManifest (edit: VersionEdit): Version {
    const version = applyEdit(this.current, edit, 'new MANIFEST')

    const manifestNumber = this.newFileNumber()
    const snapshot = emptyEdit()
    snapshot.comparator = COMPARATOR_NAME
    const pointers = this.compactPointers.slice()
    for (const pointer of edit.compactPointers) pointers[pointer.level] = pointer.key
    for (let level = 0; level < NUM_LEVELS; level++) {
      const pointer = pointers[level]
      if (pointer !== undefined) snapshot.compactPointers.push({ level, key: pointer })
      for (const file of version.files[level]) snapshot.newFiles.push({ level, file })
    }
    this.fillCounters(snapshot)
    if (edit.logNumber !== undefined) snapshot.logNumber = edit.logNumber

    const manifestPath = manifestFileName(this.location, manifestNumber)
    const writer = new LogWriter(0)
    const out = new ByteWriter(4096)
    writer.append(encodeVersionEdit(snapshot), out)
    const file = this.env.createWritable(manifestPath)
    try {
      file.append(out.view())
      file.sync()
    } catch (err) {
      try { file.close() } catch {}
      // CURRENT does not name it yet, so it can go.
      try { this.env.remove(manifestPath) } catch {}
      throw err
    }
    try {
      setCurrentFile(this.env, this.location, manifestNumber)
    } catch (err) {
      // CURRENT may name the new MANIFEST or the old one: keep both.
      try { file.close() } catch {}
      throw err
    }
    this.closeManifest()
    this.manifest = file
    this.manifestTorn = false
    this.manifestWriter = writer
    this.manifestNumber = manifestNumber
    this.installCounters(edit)
    this.current = version
    return version
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
      // New tables' directory entries must survive power loss before the MANIFEST names them.
      if (edit.newFiles.length > 0) await this.env.syncDirectoryAsync(this.location)
      const manifest = this.manifest
      if (manifest === undefined || this.manifestTorn) return this.writeNewManifest(edit)
      this.fillCounters(edit)
      this.scratch.reset()
      this.manifestWriter.append(encodeVersionEdit(edit), this.scratch)
      const bytes = Buffer.from(this.scratch.view())
      try {
        await manifest.appendAsync(bytes)
      } catch (err) {
        this.manifestTorn = true
        throw err
      }
      // A failed sync is not retried (the kernel may have dropped the pages): the engine
      // stops writing; whether the record survived is for the next open to find out.
      await manifest.syncAsync()
      this.installCounters(edit)
      this.current = version
      return version
    }
    const result = this.queue.then(run)
    this.queue = result.then(() => undefined, () => undefined)
    return result
  }

  /** The MANIFEST recover() read and how many bytes of it (read-only views compare it later). */
  get recoveredManifest (): { path: string, size: number } | undefined {
    const recovered = this.recovered
    return recovered === undefined ? undefined : { path: recovered.path, size: recovered.size }
  }

  /** Read-only instances: takes the state another VersionSet recovered (a refresh). */
  adopt (other: VersionSet, lastSequence: number): void {
    this.current = other.current
    this.logNumber = other.logNumber
    this.prevLogNumber = other.prevLogNumber
    this.nextFileNumber = other.nextFileNumber
    this.manifestNumber = other.manifestNumber
    this.lastSequence = Math.max(this.lastSequence, lastSequence)
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

  /** What a durable edit changes besides the files. */
  private installCounters (edit: VersionEdit): void {
    for (const pointer of edit.compactPointers) this.compactPointers[pointer.level] = pointer.key
    if (edit.logNumber !== undefined) this.logNumber = edit.logNumber
    this.prevLogNumber = 0
  }

  private closeManifest (): void {
    const manifest = this.manifest
    this.manifest = undefined
    try { manifest?.close() } catch {}
  }
}

/** Writes CURRENT atomically so that it names MANIFEST-<manifestNumber>. */
export function setCurrentFile (env: Env, location: string, manifestNumber: number): void {
  const temp = tempFileName(location, manifestNumber)
  const file = env.createWritable(temp)
  try {
    file.append(Buffer.from(manifestBaseName(manifestNumber) + '\n', 'latin1'))
    file.sync()
  } catch (err) {
    try { file.close() } catch {}
    try { env.remove(temp) } catch {}
    throw err
  }
  file.close()
  env.rename(temp, currentFileName(location))
  env.syncDirectory(location)
}
