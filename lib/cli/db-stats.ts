// stats: what a database directory holds, from its files alone (read-only, no lock), cheaply:
// a MANIFEST read, a few blocks per table (footer, index, filter, and the trailer byte of a
// sample of data blocks) and the live WALs. Figures that would need every block read are
// estimates, and say so:
//
//   estimatedKeys        entries in tables, from the sizes of their bloom filters (about 10
//                        bits per key; a table without a filter: its block count times the
//                        entries of its first block), plus the ops in the live WALs. Every
//                        version and tombstone counts, as LevelDB's own estimate does.
//   compression          block types of up to SAMPLE_BLOCKS data blocks per table
//   spaceAmplification   table bytes / bytes of the deepest non-empty level: once compacted,
//                        the deepest level holds about one copy of the live data, and the
//                        levels above it are the overwritten and deleted versions still kept
//                        (RocksDB's proxy). 1.0 for a single-level database.

import type { Env } from '../env/env'
import { logFileName } from '../format/filename'
import { NUM_LEVELS } from '../version/constants'
import type { FileMeta } from '../version/file-meta'
import { batchCount, batchSequence, checkBatch } from '../wal/write-batch'
import { type DbFile, listDbFiles } from './db-directory'
import { findingMessage } from './findings'
import { logRecords } from './log-records'
import { currentManifestPath, readManifest } from './manifest-reader'
import { TableFile, compressionName, keysInFilterBlock } from './table-file'

const SAMPLE_BLOCKS = 8

export interface LevelStats {
  level: number
  files: number
  bytes: number
  estimatedKeys: number
}

export interface WalStats {
  file: string
  number: number
  bytes: number
  /** Replayed at open: from the MANIFEST's log number on. */
  live: boolean
  records: number
  ops: number
}

export interface DbStats {
  location: string
  manifest: { file: string, bytes: number, edits: number, nextFileNumber?: number, logNumber?: number, lastSequence?: number }
  /** The newest write: the MANIFEST's last sequence, or later from the live WALs. */
  lastSequence: number
  levels: LevelStats[]
  tables: { files: number, bytes: number }
  estimatedKeys: number
  wals: WalStats[]
  compression: { sampledBlocks: number, types: Record<string, number> }
  /** Bytes of every file of the directory (LevelDB's files and any other). */
  diskBytes: number
  spaceAmplification: number | null
  /** What could not be read (a table deleted by a live writer, damage): run verify. */
  notes: string[]
}

export function collectStats (env: Env, location: string): DbStats {
  const files = listDbFiles(env, location)
  const manifest = readManifest(env, currentManifestPath(env, location))
  const notes = manifest.damage.map((d) => `MANIFEST damaged${d.offset !== undefined ? ` at offset ${d.offset}` : ''}: ${d.message}`)
  const types: Record<string, number> = {}
  let sampledBlocks = 0
  const levels: LevelStats[] = []
  for (let level = 0; level < NUM_LEVELS; level++) {
    const stats: LevelStats = { level, files: 0, bytes: 0, estimatedKeys: 0 }
    for (const meta of manifest.version.files[level]) {
      stats.files++
      stats.bytes += meta.size
      const sample = sampleTable(env, files, meta)
      if (typeof sample === 'string') {
        notes.push(sample)
        continue
      }
      stats.estimatedKeys += sample.keys
      for (const type of sample.types) {
        types[type] = (types[type] ?? 0) + 1
        sampledBlocks++
      }
    }
    levels.push(stats)
  }

  const wals: WalStats[] = []
  let lastSequence = manifest.lastSequence ?? 0
  const logNumber = manifest.logNumber ?? 0
  for (const file of files) {
    if (file.type !== 'log') continue
    const live = file.number >= logNumber || file.number === manifest.prevLogNumber
    const wal: WalStats = { file: file.name, number: file.number, bytes: file.size, live, records: 0, ops: 0 }
    wals.push(wal)
    if (!live) continue
    try {
      for (const record of logRecords(env.readFile(logFileName(location, file.number)), () => {})) {
        checkBatch(record.data, file.path)
        const count = batchCount(record.data)
        wal.records++
        wal.ops += count
        if (count > 0) lastSequence = Math.max(lastSequence, batchSequence(record.data) + count - 1)
      }
    } catch (err) {
      notes.push(`${file.name}: ${findingMessage(err, file.path)}`)
    }
  }

  const tableBytes = levels.reduce((sum, l) => sum + l.bytes, 0)
  const deepest = levels.filter((l) => l.bytes > 0).pop()
  return {
    location,
    manifest: {
      file: manifest.path,
      bytes: manifest.size,
      edits: manifest.edits.length,
      nextFileNumber: manifest.nextFileNumber,
      logNumber: manifest.logNumber,
      lastSequence: manifest.lastSequence
    },
    lastSequence,
    levels,
    tables: { files: levels.reduce((sum, l) => sum + l.files, 0), bytes: tableBytes },
    estimatedKeys: levels.reduce((sum, l) => sum + l.estimatedKeys, 0) + wals.reduce((sum, w) => sum + (w.live ? w.ops : 0), 0),
    wals,
    compression: { sampledBlocks, types },
    diskBytes: files.reduce((sum, f) => sum + f.size, 0),
    spaceAmplification: deepest === undefined ? null : tableBytes / deepest.bytes,
    notes
  }
}

/** The key estimate and sampled block types of one table, or a note saying why not. */
function sampleTable (env: Env, files: readonly DbFile[], meta: FileMeta): { keys: number, types: string[] } | string {
  const dbFile = files.find((f) => f.type === 'table' && f.number === meta.number)
  if (dbFile === undefined) return `table #${meta.number} is missing (deleted by a running compaction, or lost: run verify)`
  let file
  try {
    file = env.openRandomAccess(dbFile.path)
  } catch (err) {
    return `${dbFile.name}: ${findingMessage(err, dbFile.path)}`
  }
  try {
    const table = TableFile.open(file, meta.size)
    const filter = table.filterEntry()
    const keys = filter !== undefined
      ? keysInFilterBlock(table.readMetaBlock(filter))
      : table.blockCount > 0 ? table.blockCount * countEntries(table) : 0
    const types: string[] = []
    const step = Math.max(1, Math.ceil(table.blockCount / SAMPLE_BLOCKS))
    for (let i = 0; i < table.blockCount; i += step) types.push(compressionName(table.blockType(table.handle(i))))
    return { keys, types }
  } catch (err) {
    return `${dbFile.name}: ${findingMessage(err, dbFile.path)}`
  } finally {
    file.close()
  }
}

function countEntries (table: TableFile): number {
  const it = table.readDataBlock(0).iterator()
  let n = 0
  for (it.seekToFirst(); it.valid(); it.next()) n++
  return n
}
