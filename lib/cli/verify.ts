// verify: reads every byte that matters in a database directory and checks it, without
// writing anything (files are only read, through the Env):
//
//   CURRENT, MANIFEST   CURRENT names a MANIFEST; every record's checksum; every edit decodes
//                       and applies; the required counters are there
//   each live table     exists, has the MANIFEST's size; footer, index and metaindex; every
//                       block's checksum (filter and data); entries strictly increasing in
//                       internal-key order through the whole table; each data block within
//                       its index separators; every key within the MANIFEST's bounds
//   levels >= 1         files sorted by smallest key and not overlapping
//   each live WAL       every record's checksum and framing; every batch well formed. A record
//                       torn at the end of the file is what a crash leaves: not damage
//
// Damage names the file and the offset of the block or record. Warnings are for what is not
// damage: tables the MANIFEST does not name (an unfinished compaction output, or a leftover
// LevelDB deletes at its next open), MANIFESTs other than the current one, obsolete logs.
//
// On a directory an application has open, its compactions may delete files while this runs:
// when the MANIFEST changed during the run, files that went missing are warnings.

import * as path from 'path'
import type { Env } from '../env/env'
import { isNotFound } from '../env/io-error'
import { legacyTableFileName, tableFileName } from '../format/filename'
import { MAX_USABLE_SEQUENCE, TRAILER_SIZE, compareInternalKeys } from '../format/internal-key'
import { NUM_LEVELS } from '../version/constants'
import type { FileMeta } from '../version/file-meta'
import { BLOCK_TRAILER_SIZE } from '../sstable/format'
import { batchSequence, checkBatch } from '../wal/write-batch'
import { type DbFile, listDbFiles } from './db-directory'
import { type Finding, findingMessage } from './findings'
import { logRecords } from './log-records'
import { type ManifestContents, currentManifestPath, readManifest } from './manifest-reader'
import { TableFile } from './table-file'

export interface TableResult {
  file: string
  number: number
  /** Undefined for a table the MANIFEST does not name. */
  level?: number
  size: number
  blocks: number
  entries: number
  ok: boolean
}

export interface LogResult {
  file: string
  number: number
  size: number
  records: number
  ops: number
  ok: boolean
}

export interface VerifyReport {
  location: string
  manifest?: { file: string, size: number, edits: number }
  tables: TableResult[]
  logs: LogResult[]
  damage: Finding[]
  warnings: Finding[]
}

export interface VerifyProgress {
  total (bytes: number): void
  done (bytes: number): void
}

const NO_PROGRESS: VerifyProgress = { total: () => {}, done: () => {} }

/** CURRENT and the size of the MANIFEST it names, read again at the end to see if a writer moved on. */
function mark (env: Env, location: string): string {
  try {
    const manifest = currentManifestPath(env, location)
    return `${manifest}:${env.fileSize(manifest)}`
  } catch {
    return 'unreadable'
  }
}

export async function verifyDatabase (env: Env, location: string, progress: VerifyProgress = NO_PROGRESS): Promise<VerifyReport> {
  return await new Verifier(env, location, progress).run()
}

class Verifier {
  private readonly report: VerifyReport
  // Damage that is only a file gone missing: a warning instead if a writer was at work.
  private readonly missing = new Set<Finding>()
  private bytesDone = 0

  constructor (private readonly env: Env, private readonly location: string, private readonly progress: VerifyProgress) {
    this.report = { location, tables: [], logs: [], damage: [], warnings: [] }
  }

  async run (): Promise<VerifyReport> {
    const { env, location, report } = this
    const before = mark(env, location)
    const files = listDbFiles(env, location)
    this.progress.total(files.filter((f) => f.type === 'table' || f.type === 'log' || f.type === 'manifest').reduce((sum, f) => sum + f.size, 0))

    const manifest = this.readManifest()
    const named = new Set<number>()
    if (manifest !== undefined) {
      for (let level = 0; level < NUM_LEVELS; level++) {
        for (const meta of manifest.version.files[level]) {
          named.add(meta.number)
          this.verifyLiveTable(meta, level, files)
          await breathe()
        }
      }
      this.checkLevels(manifest)
    }
    for (const file of files) {
      if (file.type === 'table' && !named.has(file.number)) {
        this.warn(file.path, undefined, manifest === undefined
          ? 'table not checked: there is no readable MANIFEST to say what it should hold'
          : 'table not named by the MANIFEST (an unfinished compaction output, or left over; not read)')
      } else if (file.type === 'manifest' && file.path !== manifest?.path) {
        this.warn(file.path, undefined, 'not the MANIFEST that CURRENT names (not read)')
      } else if (file.type === 'log') {
        const live = manifest === undefined || manifest.logNumber === undefined ||
          file.number >= manifest.logNumber || file.number === manifest.prevLogNumber
        if (live) this.verifyLog(file)
        else this.warn(file.path, undefined, 'obsolete log, older than the MANIFEST\'s log number (not replayed, not read)')
        await breathe()
      }
    }

    if (this.missing.size > 0 && mark(env, location) !== before) {
      report.damage = report.damage.filter((f) => !this.missing.has(f))
      for (const finding of this.missing) {
        this.warn(finding.file, finding.offset, `${finding.message}, but the database changed during verify (an application has it open): deleted by it, not damage`)
      }
    }
    return report
  }

  private damage (file: string, offset: number | undefined, message: string): Finding {
    const finding = { file, offset, message }
    this.report.damage.push(finding)
    return finding
  }

  private warn (file: string, offset: number | undefined, message: string): void {
    this.report.warnings.push({ file, offset, message })
  }

  private advance (bytes: number): void {
    this.bytesDone += bytes
    this.progress.done(this.bytesDone)
  }

  private readManifest (): ManifestContents | undefined {
    const { env, location } = this
    let manifestPath: string
    try {
      manifestPath = currentManifestPath(env, location)
    } catch (err) {
      this.damage(path.join(location, 'CURRENT'), undefined, findingMessage(err, path.join(location, 'CURRENT')))
      return undefined
    }
    let manifest: ManifestContents
    try {
      manifest = readManifest(env, manifestPath)
    } catch (err) {
      const finding = this.damage(manifestPath, undefined, isNotFound(err) ? 'missing: CURRENT names it' : findingMessage(err, manifestPath))
      if (isNotFound(err)) this.missing.add(finding)
      return undefined
    }
    this.report.manifest = { file: manifestPath, size: manifest.size, edits: manifest.edits.length }
    this.report.damage.push(...manifest.damage)
    this.advance(manifest.size)
    return manifest
  }

  private verifyLiveTable (meta: FileMeta, level: number, files: readonly DbFile[]): void {
    const ldb = tableFileName(this.location, meta.number)
    const sst = legacyTableFileName(this.location, meta.number)
    const file = files.find((f) => f.path === ldb) ?? files.find((f) => f.path === sst)
    if (file === undefined) {
      this.missing.add(this.damage(ldb, undefined, `missing: the MANIFEST names it at level ${level}`))
      return
    }
    if (file.size !== meta.size) {
      this.damage(file.path, undefined, `file is ${file.size} bytes, the MANIFEST says ${meta.size}`)
      this.advance(file.size)
      return
    }
    this.verifyTable(file, meta, level)
  }

  private verifyTable (dbFile: DbFile, meta: FileMeta, level: number): void {
    const result: TableResult = { file: dbFile.path, number: dbFile.number, level, size: dbFile.size, blocks: 0, entries: 0, ok: true }
    this.report.tables.push(result)
    const damageBefore = this.report.damage.length
    const start = this.bytesDone
    let file
    try {
      file = this.env.openRandomAccess(dbFile.path)
    } catch (err) {
      const finding = this.damage(dbFile.path, undefined, findingMessage(err, dbFile.path))
      if (isNotFound(err)) this.missing.add(finding)
      result.ok = false
      return
    }
    try {
      const table = TableFile.open(file, meta.size)
      result.blocks = table.blockCount
      for (const entry of table.meta) {
        try {
          table.readMetaBlock(entry)
        } catch (err) {
          this.damage(dbFile.path, entry.handle.offset, `${entry.name} block: ${findingMessage(err, dbFile.path)}`)
        }
      }
      let previous = Buffer.allocUnsafe(256)
      let previousLength = 0
      for (let i = 0; i < table.blockCount; i++) {
        const handle = table.handle(i)
        try {
          const block = table.readDataBlock(i)
          const it = block.iterator()
          table.index.checkBlock(i, block, block.iterator(), meta)
          let n = 0
          for (it.seekToFirst(); it.valid(); it.next(), n++) {
            if (previousLength > 0 && it.compareKeyTo(previous, 0, previousLength) <= 0) {
              throw new Error(`entry ${n} of the data block is not after the key before it (keys out of order)`)
            }
            const length = it.userKey().length + TRAILER_SIZE
            if (previous.length < length) previous = Buffer.allocUnsafe(length * 2)
            previousLength = it.copyInternalKey(previous, 0)
            result.entries++
          }
        } catch (err) {
          this.damage(dbFile.path, handle.offset, `data block ${i}: ${findingMessage(err, dbFile.path)}`)
        }
        this.progress.done(start + handle.offset + handle.size + BLOCK_TRAILER_SIZE)
      }
    } catch (err) {
      this.damage(dbFile.path, (err as { offset?: number }).offset, findingMessage(err, dbFile.path))
    } finally {
      file.close()
    }
    result.ok = this.report.damage.length === damageBefore
    this.bytesDone = start
    this.advance(dbFile.size)
  }

  private checkLevels (manifest: ManifestContents): void {
    const files = manifest.version.files
    for (let level = 1; level < NUM_LEVELS; level++) {
      for (let i = 1; i < files[level].length; i++) {
        const a = files[level][i - 1]
        const b = files[level][i]
        if (compareInternalKeys(a.largest, b.smallest) >= 0) {
          this.damage(manifest.path, undefined, `level ${level}: tables #${a.number} and #${b.number} overlap or are out of order`)
        }
      }
    }
  }

  private verifyLog (dbFile: DbFile): void {
    const result: LogResult = { file: dbFile.path, number: dbFile.number, size: dbFile.size, records: 0, ops: 0, ok: true }
    this.report.logs.push(result)
    const damageBefore = this.report.damage.length
    let data: Buffer
    try {
      data = this.env.readFile(dbFile.path)
    } catch (err) {
      const finding = this.damage(dbFile.path, undefined, findingMessage(err, dbFile.path))
      if (isNotFound(err)) this.missing.add(finding)
      result.ok = false
      return
    }
    const records = logRecords(data, (c) => this.damage(dbFile.path, c.offset, `${c.reason} (${c.bytes} bytes dropped)`))
    for (const record of records) {
      result.records++
      try {
        const count = checkBatch(record.data, dbFile.path)
        if (count > 0 && batchSequence(record.data) + count - 1 > MAX_USABLE_SEQUENCE) {
          throw new Error(`sequence number past 2^53 - 1 in a batch of ${count} ops`)
        }
        result.ops += count
      } catch (err) {
        this.damage(dbFile.path, record.offset, findingMessage(err, dbFile.path))
      }
    }
    result.ok = this.report.damage.length === damageBefore
    this.advance(data.length)
  }
}

/** Lets the progress bar's timer and signals run between files. */
function breathe (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
