// A read-only view of a database directory that another process (lsm-level or
// classic-level) may have open for writing, like RocksDB's secondary instances. It takes no
// lock and writes nothing: no LOG, no WAL, no table, no MANIFEST.
//
// A view is the tables of the MANIFEST that CURRENT names, plus the WALs from its log number
// on, replayed into a memtable of its own (a torn record at the end of a log the writer is
// appending to is simply not there yet). The logs are read newest first, so that together
// they hold a prefix of the writer's writes (see tryLoad). refresh() catches up: when the writer has not
// flushed or compacted since, it reads on in the logs from where it stopped; otherwise it
// loads the new MANIFEST and replays the logs again. Each batch is one log record, so a
// view never holds part of a batch, and each load reads files the writer wrote later than
// those of the one before, so a refresh never goes back in time.
//
// The writer deletes files under the reader: a MANIFEST replaced by a new one, a log once it
// is in a table, tables once compacted. It deletes a log or a table only after recording in
// the MANIFEST where its data went, so a load checks, after listing the directory, that
// CURRENT names the MANIFEST it read and that the MANIFEST has not grown: otherwise the
// listing may lack a log the loaded state still needs (its data would silently be missing)
// or a table it names. A load that meets a missing file, or fails while the writer moved on,
// starts over (the newer MANIFEST says where the data went). Every table of a loaded version
// is opened at once and kept open while that version is in use (current, or pinned by an
// iterator), so a table deleted afterwards stays readable through its open descriptor; the
// tables of a load in progress are kept open too, before its version is installed.

import * as path from 'path'
import { levelError } from '../base/errors'
import type { TableCache } from '../cache/table-cache'
import type { Env } from '../env/env'
import type { InfoLog } from '../env/info-log'
import { isNotFound } from '../env/io-error'
import { currentFileName } from '../format/filename'
import { MemTable } from '../memtable/memtable'
import type { Version } from '../version/version'
import { VersionSet } from '../version/version-set'
import { applyBatch } from '../wal/write-batch'
import { checkVersion, logsToReplay, readLogFrom, replayLog } from './recovery'

/** Loads that meet a file deleted under them start over this many times before giving up. */
const ATTEMPTS = 20

export function readOnlyError (): Error {
  return levelError('LEVEL_READ_ONLY', 'Database is read-only: it was opened with readOnly: true')
}

/** What a load produced: install it with ReadOnlyView.install(). */
export interface LoadedState {
  versions: VersionSet
  mem: MemTable
  /** The memtable is the current one, added to (not a new one). */
  sameMemTable: boolean
  lastSequence: number
  offsets: Map<number, number>
}

export class ReadOnlyView {
  // For each replayed log, the end of the last whole record read.
  private offsets = new Map<number, number>()
  private loadedLogNumber = -1
  private loadedTables = ''
  // Tables the load in progress opened, kept open until its version is installed.
  private readonly opening = new Set<number>()

  constructor (
    private readonly env: Env,
    private readonly location: string,
    private readonly infoLog: InfoLog,
    private readonly tables: TableCache,
    private readonly writeBufferSize: number
  ) {}

  /** Whether a database lives here (a read-only open never creates one). */
  exists (): boolean {
    return this.env.exists(currentFileName(this.location))
  }

  /**
   * Reads the directory's current state. `mem` is the memtable in use, which is read on
   * into when the MANIFEST has not changed since the last load.
   */
  async load (mem: MemTable): Promise<LoadedState> {
    try {
      for (let attempt = 1; ; attempt++) {
        const state = await this.tryLoad(mem, attempt === ATTEMPTS)
        if (state !== undefined) return state
      }
    } catch (err) {
      this.opening.clear()
      throw err
    }
  }

  /** Whether table `number` belongs to the load in progress (not to be closed yet). */
  keeps (number: number): boolean {
    return this.opening.has(number)
  }

  /** One attempt: the state, or undefined when the writer moved on under it (start over). */
  private async tryLoad (current: MemTable, last: boolean): Promise<LoadedState | undefined> {
    const { env, location, infoLog } = this
    const versions = new VersionSet(env, location)
    let read: { path: string, size: number } | undefined
    try {
      versions.recover()
      read = versions.recoveredManifest
      const names = env.list(location)
      if (read === undefined || this.movedOn(read)) {
        if (last) throw levelError('LEVEL_IO_ERROR', `IO error: ${location}: the MANIFEST changed under each of ${ATTEMPTS} attempts to read the database`)
        return undefined
      }
      // The listing matches the MANIFEST: a table it names and the listing lacks is missing.
      checkVersion(names, location, versions)
      this.openTables(versions.current)
      const tables = fingerprint(versions.current)
      const same = versions.logNumber === this.loadedLogNumber && tables === this.loadedTables
      const mem = same ? current : new MemTable(this.writeBufferSize + 64 * 1024)
      const offsets = same ? new Map(this.offsets) : new Map<number, number>()
      let applied = same ? current.lastSequence : 0
      // The logs are read newest first, then replayed oldest first. The writer fills one log
      // before it writes to the next, so a newer log read earlier holds no record written
      // after any record an older log read later may lack: the view is a prefix of the
      // writer's writes. (Read oldest first, an older log could end before records the writer
      // appended to it after the read, while the newer log read next holds later ones.)
      const logs = logsToReplay(names, versions)
      const bytes = new Map<number, Buffer>()
      for (const number of logs.slice().reverse()) bytes.set(number, await readLogFrom(env, location, number, offsets.get(number) ?? 0))
      for (const number of logs) {
        const result = await replayLog(env, location, number, infoLog, {
          stopAtDamage: true,
          from: offsets.get(number) ?? 0,
          data: bytes.get(number),
          appliedSequence: applied,
          apply: (batch, first) => { applyBatch(mem, batch, first) }
        })
        applied = result.appliedSequence
        offsets.set(number, result.end)
        // Later records are unreadable past damage; the next refresh tries again.
        if (result.damaged) break
      }
      this.loadedLogNumber = versions.logNumber
      this.loadedTables = tables
      return { versions, mem, sameMemTable: same, lastSequence: Math.max(versions.lastSequence, applied), offsets }
    } catch (err) {
      // A file deleted under the load (a MANIFEST, log or table), or any failure while the
      // writer moved on: the newer MANIFEST says where the data went.
      if (last || !(isNotFound(err) || (read !== undefined && this.movedOn(read)))) throw err
      return undefined
    }
  }

  /** Whether CURRENT names another MANIFEST than `read`, or it has grown since it was read. */
  private movedOn (read: { path: string, size: number }): boolean {
    const { env, location } = this
    try {
      const current = env.readFile(currentFileName(location)).toString('latin1')
      if (path.join(location, current.replace(/\n$/, '')) !== read.path) return true
      return env.fileSize(read.path) !== read.size
    } catch (err) {
      if (isNotFound(err)) return true
      throw err
    }
  }

  /** Makes `state` the view's: the caller swaps its version and memtable in at the same moment. */
  committed (state: LoadedState): void {
    this.offsets = state.offsets
    this.opening.clear()
  }

  /** Opens every table of `version`, so that later deletions cannot take them away. */
  private openTables (version: Version): void {
    for (const level of version.files) {
      for (const file of level) {
        this.opening.add(file.number)
        this.tables.release(this.tables.acquire(file.number, file.size, file))
      }
    }
  }
}

/** The file numbers of a version, as one string (to tell whether two loads saw the same tables). */
function fingerprint (version: Version): string {
  return version.files.map((level) => level.map((file) => file.number).join(',')).join('/')
}
