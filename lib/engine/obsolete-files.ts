// Deleting the files nothing needs any more: tables no version names (current or pinned by
// an iterator, snapshot read or compaction), WALs older than the MANIFEST's log number,
// MANIFESTs older than the live one, and leftover temp files.
//
// obsoleteFiles() is the policy, a pure function of a directory listing and what is live.
// FileSweeper runs it: off the main thread (unlinking a file of megabytes can take
// milliseconds), one sweep at a time, and a sweep asked for meanwhile runs once the current
// one ends. It deletes nothing while the database is in the background-error state: after a
// failed MANIFEST write, any table may be named by the MANIFEST on disk.

import * as path from 'path'
import type { Env } from '../env/env'
import type { InfoLog } from '../env/info-log'
import { type FileType, parseFileName } from '../format/filename'

export interface LiveFiles {
  /** Tables named by the current version or a pinned one. */
  tables: Set<number>
  /** File numbers handed out for outputs not installed yet (tables, WALs, temp files). */
  pending: Set<number>
  /** The MANIFEST's log number: WALs from it on hold data not in tables. */
  logNumber: number
  prevLogNumber: number
  /** WALs in use right now. */
  logs: number[]
  manifestNumber: number
}

export interface ObsoleteFile {
  name: string
  type: FileType
  number: number
}

/** The files of `names` (bare names in the database directory) that may be deleted. */
export function obsoleteFiles (names: readonly string[], live: LiveFiles): ObsoleteFile[] {
  const doomed: ObsoleteFile[] = []
  for (const name of names) {
    const parsed = parseFileName(name)
    if (parsed === undefined) continue
    const { type, number } = parsed
    let keep: boolean
    switch (type) {
      case 'log': keep = number >= live.logNumber || number === live.prevLogNumber || live.logs.includes(number) || live.pending.has(number); break
      case 'manifest': keep = number >= live.manifestNumber; break
      case 'table': keep = live.tables.has(number) || live.pending.has(number); break
      case 'temp': keep = live.pending.has(number); break
      default: keep = true
    }
    if (!keep) doomed.push({ name, type, number })
  }
  return doomed
}

export class FileSweeper {
  private sweeping: Promise<void> | undefined
  private again = false
  private stopped = false

  constructor (
    private readonly env: Env,
    private readonly location: string,
    private readonly infoLog: InfoLog,
    /** What is live right now (read after the directory listing). */
    private readonly live: () => LiveFiles,
    /** False while nothing may be deleted (the background-error state). */
    private readonly mayDelete: () => boolean,
    /** Called before a table file is deleted (to close it in the table cache). */
    private readonly forgetTable: (number: number) => void
  ) {}

  /** Asks for a sweep; returns at once. */
  request (): void {
    if (this.stopped) return
    if (this.sweeping !== undefined) {
      this.again = true
      return
    }
    this.sweeping = this.sweep().catch(() => {}).finally(() => {
      this.sweeping = undefined
      if (this.again && !this.stopped) {
        this.again = false
        this.request()
      }
    })
  }

  /**
   * Asks for a sweep only if `names`, a listing of the directory taken earlier (open's), holds
   * a file that may be deleted now: a clean open then spends no directory listing of its own.
   * Files created since that listing are live, so what it lacks needs no sweep.
   */
  requestIfObsolete (names: readonly string[]): void {
    if (obsoleteFiles(names, this.live()).length > 0) this.request()
  }

  /** Resolves once no sweep is running or asked for. */
  async idle (): Promise<void> {
    while (this.sweeping !== undefined) await this.sweeping
  }

  /** No sweep starts after this; one that runs finishes (see idle). */
  stop (): void {
    this.stopped = true
    this.again = false
  }

  private async sweep (): Promise<void> {
    if (!this.mayDelete()) return
    const names = await this.env.listAsync(this.location)
    // Decide against the state after the listing: files created since are not in it.
    const doomed = obsoleteFiles(names, this.live())
    for (const file of doomed) {
      if (!this.mayDelete()) return
      if (file.type === 'table') this.forgetTable(file.number)
      try {
        await this.env.removeAsync(path.join(this.location, file.name))
        this.infoLog.write(`Delete type=${file.type} #${file.number}`)
      } catch {}
    }
  }
}
