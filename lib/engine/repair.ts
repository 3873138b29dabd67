// destroy() and repair(): classic-level's static maintenance functions.
//
// repair() rebuilds a MANIFEST from whatever it finds, salvaging every record it can read:
//   1. each WAL is replayed (past damage, unlike a normal open: here a hole is better than a
//      loss) into a memtable and written as a new table; the log is then moved to lost/;
//   2. each table is scanned block by block for its key range and largest sequence; a table
//      with unreadable blocks is rewritten from its readable entries and the original is moved
//      to lost/, as is a table that cannot be opened at all;
//   3. a new MANIFEST lists every table at level 0, newest file first; compaction sorts the
//      levels out later.

import * as fs from 'fs'
import * as path from 'path'
import { ioError } from '../base/errors'
import { compareInternalKeys, makeInternalKey } from '../format/internal-key'
import { parseFileName, tableFileName, legacyTableFileName } from '../format/filename'
import { InfoLog } from '../env/info-log'
import { LockFile } from '../env/lock-file'
import { applyBatch } from '../memtable/apply-batch'
import { MemTable } from '../memtable/memtable'
import { writeTable, TableFileWriter } from '../compaction/table-file'
import { DEFAULT_OPTIONS } from './options'
import { openRandomAccessFile, Table } from '../sstable/table'
import type { InternalIterator } from '../base/internal-iterator'
import { newFileMeta, type FileMeta } from '../version/file-meta'
import { emptyEdit } from '../version/version-edit'
import { VersionSet } from '../version/version-set'
import { LogReader } from '../wal/log-reader'
import { batchSequence } from '../wal/write-batch'

/** Names LevelDB recognises; destroy() deletes only these. */
function isDatabaseFile (name: string): boolean {
  return parseFileName(name) !== undefined
}

export async function destroyDatabase (location: string): Promise<void> {
  let names: string[]
  try {
    names = fs.readdirSync(location)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw ioError(`${location}: ${(err as Error).message}`, err)
  }
  const lock = LockFile.acquire(location) // throws LEVEL_LOCKED while the database is open
  try {
    for (const name of names) {
      if (!isDatabaseFile(name) || name === 'LOCK') continue
      fs.rmSync(path.join(location, name), { force: true })
    }
  } finally {
    lock.release()
  }
  fs.rmSync(path.join(location, 'LOCK'), { force: true })
  try {
    fs.rmdirSync(location)
  } catch {
    // Not empty: files that are not the database's stay, with their directory.
  }
}

export async function repairDatabase (location: string): Promise<void> {
  if (!fs.existsSync(location)) {
    if (!fs.existsSync(path.dirname(path.resolve(location)))) {
      throw ioError(`${location}: No such file or directory`)
    }
    fs.mkdirSync(location)
  }
  const lock = LockFile.acquire(location)
  let infoLog: InfoLog
  try {
    infoLog = InfoLog.open(location)
  } catch {
    infoLog = InfoLog.noop()
  }
  try {
    new Repairer(location, infoLog).run()
  } finally {
    await infoLog.closeAsync()
    lock.release()
  }
}

class Repairer {
  private nextFileNumber = 1
  private lastSequence = 0
  private readonly tables: FileMeta[] = []

  constructor (private readonly location: string, private readonly infoLog: InfoLog) {}

  run (): void {
    const logs: number[] = []
    const tables: number[] = []
    for (const name of fs.readdirSync(this.location)) {
      const parsed = parseFileName(name)
      if (parsed === undefined) continue
      this.nextFileNumber = Math.max(this.nextFileNumber, parsed.number + 1)
      if (parsed.type === 'log') logs.push(parsed.number)
      else if (parsed.type === 'table') tables.push(parsed.number)
      else if (parsed.type === 'manifest') this.archive(name)
    }
    logs.sort((a, b) => a - b)
    for (const number of logs) {
      const converted = this.convertLog(number)
      if (converted !== undefined) tables.push(converted)
    }
    tables.sort((a, b) => a - b)
    for (const number of tables) this.scanTable(number)
    this.writeManifest()
  }

  private newFileNumber (): number {
    return this.nextFileNumber++
  }

  private convertLog (number: number): number | undefined {
    const name = `${String(number).padStart(6, '0')}.log`
    const file = path.join(this.location, name)
    const data = fs.readFileSync(file)
    const mem = new MemTable()
    const reader = new LogReader(data, (damage) => {
      this.infoLog.write(`Log #${number}: dropping ${damage.bytes} bytes at offset ${damage.offset}: ${damage.reason}`)
    })
    for (let record = reader.next(); record !== undefined; record = reader.next()) {
      try {
        const count = applyBatch(undefined, record, 0, file)
        const first = batchSequence(record)
        applyBatch(mem, record, first, file)
        this.lastSequence = Math.max(this.lastSequence, first + count - 1)
      } catch (err) {
        this.infoLog.write(`Log #${number}: skipping a damaged batch: ${(err as Error).message}`)
      }
    }
    let tableNumber: number | undefined
    if (!mem.empty) {
      tableNumber = this.newFileNumber()
      writeTable(this.location, tableNumber, mem.iterator(), DEFAULT_OPTIONS)
      this.infoLog.write(`Log #${number}: ${mem.count} ops saved to table #${tableNumber}`)
    }
    this.archive(name)
    return tableNumber
  }

  /** Records the table's range, or salvages its readable entries into a new table. */
  private scanTable (number: number): void {
    let filePath = tableFileName(this.location, number)
    if (!fs.existsSync(filePath)) filePath = legacyTableFileName(this.location, number)
    const size = fs.statSync(filePath).size
    let table: Table
    try {
      table = openTable(filePath, size)
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
      this.tables.push(newFileMeta(number, size, smallest, largest))
      return
    }
    if (entries > 0) this.salvage(filePath, number)
    else this.infoLog.write(`Table #${number}: no readable entries`)
    this.archive(path.basename(filePath))
  }

  private salvage (filePath: string, number: number): void {
    const table = openTable(filePath, fs.statSync(filePath).size)
    const copyNumber = this.newFileNumber()
    const writer = new TableFileWriter(this.location, copyNumber, DEFAULT_OPTIONS)
    try {
      forEachReadableEntry(table, (entry) => writer.add(entry), () => {})
      this.tables.push(writer.finish())
      this.infoLog.write(`Table #${number}: damaged; ${writer.entryCount} readable entries copied to #${copyNumber}`)
    } catch (err) {
      writer.abandon()
      throw err
    } finally {
      table.close()
    }
  }

  private writeManifest (): void {
    const versions = new VersionSet(this.location)
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
    fs.mkdirSync(lost, { recursive: true })
    fs.renameSync(path.join(this.location, name), path.join(lost, name))
  }
}

/** Opens a table without a cache; the file is closed again if the table cannot be read. */
function openTable (filePath: string, size: number): Table {
  const file = openRandomAccessFile(filePath)
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
  const index = table.indexBlock.iterator()
  const handle = { offset: 0, size: 0 }
  for (index.seekToFirst(); index.valid(); index.next()) {
    let block
    try {
      table.decodeIndexValue(index, handle)
      block = table.readDataBlock(handle, false)
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
