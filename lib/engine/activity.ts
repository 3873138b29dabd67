// What the engine did since open: the counters behind stats(), and the events that report
// background work as it happens ('flush', 'compaction', 'write-stall', 'write-stall-end';
// 'background-error' and 'resumed' come from background-errors.ts).
//
// A counter that has an event is added to where the event is emitted, from the same payload,
// so a listener that sums the events sees the counters' figures. Write amplification is
// (walBytesWritten + flushBytesWritten + compactionBytesWritten) / userBytesWritten. Tables
// that open() writes from the logs it replays are not counted: they hold earlier writes.

import type { BlockCache } from '../cache/block-cache'
import type { TableCache } from '../cache/table-cache'
import { NUM_LEVELS } from '../version/constants'
import type { Version } from '../version/version'
import type { BackgroundErrors } from './background-errors'
import type { MemTables } from './memtables'
import type { WalManager } from './wal-manager'
import { WriteStalls } from './write-stalls'

export type Emit = (event: string, payload: object) => void

export interface FlushInfo {
  /** The table's file number (NNNNNN.ldb). */
  file: number
  /** The level it went to (a flush may go below level 0 when it overlaps nothing there). */
  level: number
  bytes: number
  /** Entries of the memtable, every version and deletion included. */
  entries: number
  ms: number
}

export interface CompactionInfo {
  inputLevel: number
  outputLevel: number
  /** File numbers; a move of one file to the next level lists it in both and reads and writes nothing. */
  inputFiles: number[]
  outputFiles: number[]
  bytesRead: number
  bytesWritten: number
  ms: number
  /** 'size' (a level is over its target), 'seek' (a file read in vain too often) or 'manual' (compactRange). */
  reason: string
}

export interface EngineStats {
  userBytesWritten: number
  walBytesWritten: number
  flushBytesWritten: number
  compactionBytesRead: number
  compactionBytesWritten: number
  flushes: number
  compactions: number
  writeStalls: number
  writeStallMs: number
  blockCacheHits: number
  blockCacheMisses: number
  openTableFiles: number
  memtableBytes: number
  lastSequence: number
  levels: Array<{ files: number, bytes: number }>
  backgroundError: { message: string, retryable: boolean } | null
}

/** The live parts stats() reads besides the counters. */
export interface StatsSources {
  wal: WalManager | undefined
  blockCache: Pick<BlockCache<unknown>, 'hits' | 'misses' | 'totalCharge' | 'capacity' | 'size'>
  tableCache: TableCache
  memtables: MemTables
  version: Version
  lastSequence: number
  errors: BackgroundErrors
}

export class Activity {
  userBytesWritten = 0
  flushes = 0
  flushBytesWritten = 0
  compactions = 0
  compactionBytesRead = 0
  compactionBytesWritten = 0
  readonly stalls: WriteStalls

  constructor (private readonly emit: Emit) {
    this.stalls = new WriteStalls(emit)
  }

  flushed (info: FlushInfo): void {
    this.flushes++
    this.flushBytesWritten += info.bytes
    this.emit('flush', info)
  }

  compacted (info: CompactionInfo): void {
    this.compactions++
    this.compactionBytesRead += info.bytesRead
    this.compactionBytesWritten += info.bytesWritten
    this.emit('compaction', info)
  }

  /** The counters and the live state, as one plain object. */
  stats (sources: StatsSources): EngineStats {
    const levels: EngineStats['levels'] = []
    for (let level = 0; level < NUM_LEVELS; level++) {
      levels.push({ files: sources.version.numFiles(level), bytes: sources.version.levelBytes(level) })
    }
    const error = sources.errors.error
    return {
      userBytesWritten: this.userBytesWritten,
      walBytesWritten: sources.wal?.bytesWritten ?? 0,
      flushBytesWritten: this.flushBytesWritten,
      compactionBytesRead: this.compactionBytesRead,
      compactionBytesWritten: this.compactionBytesWritten,
      flushes: this.flushes,
      compactions: this.compactions,
      writeStalls: this.stalls.count,
      writeStallMs: this.stalls.totalMs,
      blockCacheHits: sources.blockCache.hits,
      blockCacheMisses: sources.blockCache.misses,
      openTableFiles: sources.tableCache.openCount,
      memtableBytes: sources.memtables.approximateMemoryUsage(),
      lastSequence: sources.lastSequence,
      levels,
      backgroundError: error === undefined ? null : { message: error.message, retryable: sources.errors.isRetryable }
    }
  }
}

/**
 * Events reach user listeners from inside the engine's bookkeeping (a write group, the end
 * of a flush). A listener that throws must not break that: its error is rethrown on its own
 * tick, as an uncaught exception, as it would be from an event emitted by an I/O callback.
 */
export function guardListeners (emit: Emit): Emit {
  return (event, payload) => {
    try {
      emit(event, payload)
    } catch (err) {
      process.nextTick(() => { throw err })
    }
  }
}
