// repair(), classic-level's static maintenance function: it rebuilds a MANIFEST from whatever it finds, salvaging every record it can read:
//   1. each WAL is replayed (past damage, unlike a normal open: here a hole is better than a
//      loss) into a memtable and written as a new table; the log is then moved to lost/;
//   2. each table is scanned block by block for its key range and largest sequence; a table
//      with unreadable blocks is rewritten from its readable entries and the original is moved
//      to lost/, as is a table that cannot be opened at all;
//   3. a new MANIFEST lists every table at level 0, newest file first; compaction sorts the
//      levels out later. A salvaged copy takes its source's place in that order (tables
//      after it are renamed to later numbers), since a point read trusts the numbers.

import * as path from 'path'
import { fileError } from '../env/io-error'
import type { Env } from '../env/env'
import { compareInternalKeys, makeInternalKey } from '../format/internal-key'
import { parseFileName, tableFileName, legacyTableFileName } from '../format/filename'
import { InfoLog } from '../env/info-log'
import { MemTable } from '../memtable/memtable'
import { writeTable, TableFileWriter } from '../compaction/table-file'
import { DEFAULT_OPTIONS } from './options'
import { Table } from '../sstable/table'
import type { InternalIterator } from '../base/internal-iterator'
import { newFileMeta, type FileMeta } from '../version/file-meta'
import { emptyEdit } from '../version/version-edit'
import { VersionSet } from '../version/version-set'
import { applyBatch } from '../wal/write-batch'
import { replayLog } from './recovery'

export async function repairDatabase (env: Env, location: string): Promise<void> {
  if (!env.exists(location)) {
    const parent = path.dirname(path.resolve(location))
    if (!env.exists(parent)) throw fileError('repair', location, Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' }))
    env.makeDirectory(location)
  }
  const lock = env.lock(location)
  let infoLog: InfoLog
  try {
    infoLog = InfoLog.open(env, location)
  } catch {
    infoLog = InfoLog.noop()
  }
  try {
    await new Repairer(env, location, infoLog).run()
  } finally {
    await infoLog.closeAsync()
    lock.release()
  }
}

class Repairer {
  private nextFileNumber = 1
  private lastSequence = 0
  private readonly tables: FileMeta[] = []
  // For each kept table: the number whose place it takes in level 0's newest-first order
  // (a salvaged copy takes its source's), and the file's path.
  private readonly origins = new Map<FileMeta, { origin: number, path: string }>()

  private appliedSequence = 0

  constructor (private readonly env: Env, private readonly location: string, private readonly infoLog: InfoLog) {}

  async run (): Promise<void> {
    const logs: number[] = []
    const tables: number[] = []
    for (const name of this.env.list(this.location)) {
      const parsed = parseFileName(name)
      if (parsed === undefined) continue
      this.nextFileNumber = Math.max(this.nextFileNumber, parsed.number + 1)
      if (parsed.type === 'log') logs.push(parsed.number)
      else if (parsed.type === 'table') tables.push(parsed.number)
      else if (parsed.type === 'manifest') this.archive(name)
    }
    logs.sort((a, b) => a - b)
    for (const number of logs) {
      const converted = await this.convertLog(number)
      if (converted !== undefined) tables.push(converted)
    }
    tables.sort((a, b) => a - b)
    for (const number of tables) this.scanTable(number)
    this.keepLevel0Order()
    this.writeManifest()
  }

  private newFileNumber (): number {
    return this.nextFileNumber++
  }

  private async convertLog (number: number): Promise<number | undefined> {
    const name = `${String(number).padStart(6, '0')}.log`
    const mem = new MemTable()
    const result = await replayLog(this.env, this.location, number, this.infoLog, {
      stopAtDamage: false,
      appliedSequence: this.appliedSequence,
      apply: (batch, first) => { applyBatch(mem, batch, first) }
    })
    this.appliedSequence = result.appliedSequence
    this.lastSequence = Math.max(this.lastSequence, result.appliedSequence)
    let tableNumber: number | undefined
    if (!mem.empty) {
      tableNumber = this.newFileNumber()
      writeTable(this.env, this.location, tableNumber, mem.iterator(), DEFAULT_OPTIONS)
      this.infoLog.write(`Log #${number}: ${mem.count} ops saved to table #${tableNumber}`)
    }
    this.archive(name)
    return tableNumber
  }

  /** Records the table's range, or salvages its readable entries into a new table. */
  private scanTable (number: number): void {
    let filePath = tableFileName(this.location, number)
    if (!this.env.exists(filePath)) filePath = legacyTableFileName(this.location, number)
    const size = this.env.fileSize(filePath)
    let table: Table
    try {
      table = openTable(this.env, filePath, size)
    } catch (err) {
      this.infoLog.write(`Table #${number}: cannot open (${(err as Error).message}); moved to lost/`)
      this.archive(path.basename(filePath))
      return
    }
    let damaged = false
    let smallest: Buffer | undefined
    let largest: Buffer | undefined
    let entries = 0
    try {
      forEachReadableEntry(table, (entry) => {
        entries++
        const key = makeInternalKey(entry.userKey(), entry.sequence(), entry.kind())
        if (smallest === undefined || compareInternalKeys(key, smallest) < 0) smallest = key
        if (largest === undefined || compareInternalKeys(key, largest) > 0) largest = key
        this.lastSequence = Math.max(this.lastSequence, entry.sequence())
      }, () => { damaged = true })
    } finally {
      table.close()
    }
    if (!damaged && smallest !== undefined && largest !== undefined) {
      this.keep(newFileMeta(number, size, smallest, largest), number, filePath)
      return
    }
    if (entries > 0) this.salvage(filePath, number)
    else this.infoLog.write(`Table #${number}: no readable entries`)
    this.archive(path.basename(filePath))
  }

  private salvage (filePath: string, number: number): void {
    const table = openTable(this.env, filePath, this.env.fileSize(filePath))
    const copyNumber = this.newFileNumber()
    const writer = new TableFileWriter(this.env, this.location, copyNumber, DEFAULT_OPTIONS)
    try {
      forEachReadableEntry(table, (entry) => writer.add(entry), () => {})
      this.keep(writer.finish(), number, writer.path)
      this.infoLog.write(`Table #${number}: damaged; ${writer.entryCount} readable entries copied to #${copyNumber}`)
    } catch (err) {
      writer.abandon()
      throw err
    } finally {
      table.close()
    }
  }

  private keep (file: FileMeta, origin: number, filePath: string): void {
    this.tables.push(file)
    this.origins.set(file, { origin, path: filePath })
  }

  /**
   * A point read takes level-0 files newest number first, so numbers must follow the order
   * of the data: a salvaged copy got a number after tables newer than its source. From the
   * first table out of place on, tables are renamed to new numbers in their sources' order.
   */
  private keepLevel0Order (): void {
    const byOrigin = this.tables.slice().sort((a, b) => (this.origins.get(a)?.origin ?? a.number) - (this.origins.get(b)?.origin ?? b.number))
    let renaming = false
    for (let i = 0; i < byOrigin.length; i++) {
      const file = byOrigin[i]
      if (!renaming && (i === 0 || file.number > byOrigin[i - 1].number)) continue
      renaming = true
      const from = this.origins.get(file)?.path ?? tableFileName(this.location, file.number)
      const number = this.newFileNumber()
      this.env.rename(from, tableFileName(this.location, number))
      this.infoLog.write(`Table #${file.number} renamed #${number}, to keep level 0 in the order of its data`)
      const renamed = newFileMeta(number, file.size, file.smallest, file.largest)
      byOrigin[i] = renamed
    }
    this.tables.length = 0
    this.tables.push(...byOrigin)
  }

  private writeManifest (): void {
    const versions = new VersionSet(this.env, this.location)
    versions.nextFileNumber = this.nextFileNumber
    versions.lastSequence = this.lastSequence
    const edit = emptyEdit()
    edit.logNumber = 0
    // Newest first is level 0's order; applyEdit sorts it.
    for (const file of this.tables) edit.newFiles.push({ level: 0, file })
    versions.writeNewManifest(edit)
    versions.close()
  }

  /** Moves a file LevelDB would recognise into lost/, out of the database's way. */
  private archive (name: string): void {
    const lost = path.join(this.location, 'lost')
    this.env.makeDirectory(lost)
    this.env.rename(path.join(this.location, name), path.join(lost, name))
  }
}

/** Opens a table without a cache; the file is closed again if the table cannot be read. */
function openTable (env: Env, filePath: string, size: number): Table {
  const file = env.openRandomAccess(filePath)
  try {
    return Table.open(file, size, 0, undefined)
  } catch (err) {
    file.close()
    throw err
  }
}

/**
 * Visits every entry of every data block that reads back intact; a damaged block is
 * skipped (onDamage is told) so that the entries after it are still reached.
 */
function forEachReadableEntry (table: Table, visit: (entry: InternalIterator) => void, onDamage: () => void): void {
  for (let i = 0; i < table.blockCount; i++) {
    let block
    try {
      block = table.readDataBlock(i, false)
    } catch {
      onDamage()
      continue
    }
    const entries = block.iterator()
    try {
      for (entries.seekToFirst(); entries.valid(); entries.next()) visit(entries)
    } catch {
      onDamage()
    }
  }
}
