// Point reads from the tables of a Version: every level-0 file whose range holds the key,
// newest first, then at most one file per deeper level, until one has an entry for the key.
//
// Reads also drive seek compactions, as LevelDB's do: a Get that had to search a second
// file charges one seek to the first file it searched in vain; a file whose allowance runs
// out (file-meta.ts) is handed to onSeeksUsedUp, which makes it the next compaction's
// candidate, so a read-heavy database converges to fewer files a read must visit.

import { bloomHash } from '../bloom/bloom-hash'
import type { TableCache } from '../cache/table-cache'
import { ValueKind } from '../format/internal-key'
import { NUM_LEVELS } from '../version/constants'
import { chargeSeek, type FileMeta } from '../version/file-meta'
import type { Version } from '../version/version'

export class PointReader {
  constructor (
    private readonly tables: TableCache,
    private readonly onSeeksUsedUp: (file: FileMeta, level: number) => void
  ) {}

  /**
   * The newest value of userKey visible at `sequence` in the tables of `version`, as a view
   * (valid until the next read), or undefined when there is none or it is deleted.
   */
  get (version: Version, userKey: Uint8Array, sequence: number, fillCache: boolean): Buffer | undefined {
    let searched: FileMeta | undefined
    let searchedLevel = 0
    let charged = false
    let hash = -1 // bloomHash(userKey), computed once the first table is searched
    for (let level = 0; level < NUM_LEVELS; level++) {
      const files = level === 0 ? version.files[0] : undefined
      const count = files === undefined ? 1 : files.length
      for (let i = 0; i < count; i++) {
        const file = files === undefined ? version.fileForGet(level, userKey, sequence) : files[i]
        if (file === undefined || (files !== undefined && !version.level0Holds(file, userKey))) continue
        if (searched !== undefined && !charged) {
          charged = true
          if (chargeSeek(searched)) this.onSeeksUsedUp(searched, searchedLevel)
        }
        searched ??= file
        if (searched === file) searchedLevel = level
        if (hash < 0) hash = bloomHash(userKey)
        const table = this.tables.acquire(file.number, file.size, file)
        try {
          if (table.find(userKey, sequence, fillCache, hash)) return table.foundKind() === ValueKind.Value ? table.foundValue() : undefined
        } finally {
          this.tables.release(table)
        }
      }
    }
    return undefined
  }
}
