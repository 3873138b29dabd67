// What the database tells about itself: LevelDB's GetProperty names (classic-level's
// getProperty) and the size estimates behind approximateSize().

import type { TableCache } from '../cache/table-cache'
import { compareBytes } from '../format/bytes'
import { NUM_LEVELS } from '../version/constants'
import { largestUserKey, smallestUserKey } from '../version/file-meta'
import type { Version } from '../version/version'

interface LevelRow { micros: number, bytesRead: number, bytesWritten: number }

/** Work done per level by flushes and compactions: the `leveldb.stats` table. */
export class LevelStats {
  readonly rows: LevelRow[] = Array.from({ length: NUM_LEVELS }, () => ({ micros: 0, bytesRead: 0, bytesWritten: 0 }))

  /** Adds a finished flush or compaction that wrote into `level`. */
  record (level: number, micros: number, bytesRead: number, bytesWritten: number): void {
    const row = this.rows[level]
    row.micros += micros
    row.bytesRead += bytesRead
    row.bytesWritten += bytesWritten
  }
}

/** LevelDB's GetProperty names; '' for unknown ones, as classic-level answers. */
export function property (name: string, version: Version, stats: LevelStats, memoryUsage: () => number): string {
  const prefix = 'leveldb.'
  if (!name.startsWith(prefix)) return ''
  const rest = name.slice(prefix.length)
  const levelMatch = /^num-files-at-level(\d+)$/.exec(rest)
  if (levelMatch !== null) {
    const level = Number(levelMatch[1])
    return level < NUM_LEVELS ? String(version.numFiles(level)) : ''
  }
  switch (rest) {
    case 'stats': return describeStats(version, stats)
    case 'sstables': return version.describe()
    case 'approximate-memory-usage': return String(memoryUsage())
    default: return ''
  }
}

function describeStats (version: Version, stats: LevelStats): string {
  const mb = (bytes: number): string => (bytes / 1048576).toFixed(0)
  let out = '                               Compactions\n' +
    'Level  Files Size(MB) Time(sec) Read(MB) Write(MB)\n' +
    '--------------------------------------------------\n'
  for (let level = 0; level < NUM_LEVELS; level++) {
    const row = stats.rows[level]
    const files = version.numFiles(level)
    if (files === 0 && row.micros === 0) continue
    out += `${String(level).padStart(3)} ${String(files).padStart(8)} ${mb(version.levelBytes(level)).padStart(8)} ` +
      `${(row.micros / 1e6).toFixed(0).padStart(9)} ${mb(row.bytesRead).padStart(8)} ${mb(row.bytesWritten).padStart(9)}\n`
  }
  return out
}

/**
 * Bytes of table files that hold keys in [start, end), estimated from the tables' index
 * blocks as LevelDB does. Data still in memtables counts nothing.
 */
export function approximateSize (version: Version, tables: TableCache, start: Uint8Array, end: Uint8Array): number {
  if (compareBytes(start, end) >= 0) return 0
  return Math.max(0, approximateOffsetOf(version, tables, end) - approximateOffsetOf(version, tables, start))
}

function approximateOffsetOf (version: Version, tables: TableCache, key: Uint8Array): number {
  let offset = 0
  for (let level = 0; level < NUM_LEVELS; level++) {
    for (const file of version.files[level]) {
      if (compareBytes(largestUserKey(file), key) < 0) {
        offset += file.size
      } else if (compareBytes(smallestUserKey(file), key) > 0) {
        // Sorted levels hold nothing further before `key`; level-0 files may.
        if (level > 0) break
      } else {
        const table = tables.acquire(file.number, file.size, file)
        try {
          offset += table.approximateOffsetOf(key)
        } finally {
          tables.release(table)
        }
      }
    }
  }
  return offset
}
