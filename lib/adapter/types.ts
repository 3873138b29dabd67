// Public option types: classic-level's, so that TypeScript code written against
// classic-level compiles unchanged against lsm-level.

import type {
  AbstractBatchOptions, AbstractChainedBatchWriteOptions, AbstractDatabaseOptions, AbstractDelOptions,
  AbstractGetManyOptions, AbstractGetOptions, AbstractHasManyOptions, AbstractHasOptions,
  AbstractIteratorOptions, AbstractKeyIteratorOptions, AbstractOpenOptions, AbstractPutOptions,
  AbstractValueIteratorOptions, Transcoder
} from 'abstract-level'

import type { Env } from '../env/env'

export interface OpenOptions extends AbstractOpenOptions {
  /**
   * Where the files live (default: Node's fs). MemEnv keeps a database in memory and can
   * simulate a power cut; FaultEnv fails chosen file operations, for testing how an
   * application copes with a full or failing disk.
   */
  env?: Env | undefined
  /** Snappy-compress table blocks (default true). */
  compression?: boolean | undefined
  /** Bytes of uncompressed blocks to cache (default 8 MiB). */
  cacheSize?: number | undefined
  /** Memtable size before it is flushed to a table (default 4 MiB). */
  writeBufferSize?: number | undefined
  /** Uncompressed size of a table's data blocks (default 4096). */
  blockSize?: number | undefined
  /** Table files kept open at once (default 1000). */
  maxOpenFiles?: number | undefined
  /** Keys between restart points of prefix compression (default 16). */
  blockRestartInterval?: number | undefined
  /** Target size of a table file (default 2 MiB). */
  maxFileSize?: number | undefined
  /**
   * Share the database with the other instances of this process opened with this option, in
   * this thread and in worker threads (default false): one thread runs the engine, the others
   * send it their operations. Only the first opener's options apply; it closes with the last
   * instance. Mixing with plain instances gives LEVEL_LOCKED. Ignored with `readOnly`.
   */
  multithreading?: boolean | undefined
  /**
   * Open without taking the lock and without writing to the directory, alongside a process
   * that has it open for writing (or none); `db.refresh()` catches up with its writes.
   * Writes reject with LEVEL_READ_ONLY.
   */
  readOnly?: boolean | undefined
}

export interface DatabaseOptions<K, V> extends AbstractDatabaseOptions<K, V>, Omit<OpenOptions, 'passive'> {}

interface ReadOptions {
  /** Keep blocks read for this operation in the block cache (default true). */
  fillCache?: boolean | undefined
}

interface WriteOptions {
  /** Resolve only once the write-ahead log is fsynced (default false). */
  sync?: boolean | undefined
}

export interface GetOptions<K, V> extends AbstractGetOptions<K, V>, ReadOptions {}
export interface GetManyOptions<K, V> extends AbstractGetManyOptions<K, V>, ReadOptions {}
export interface HasOptions<K> extends AbstractHasOptions<K>, ReadOptions {}
export interface HasManyOptions<K> extends AbstractHasManyOptions<K>, ReadOptions {}
export interface PutOptions<K, V> extends AbstractPutOptions<K, V>, WriteOptions {}
export interface DelOptions<K> extends AbstractDelOptions<K>, WriteOptions {}
export interface BatchOptions<K, V> extends AbstractBatchOptions<K, V>, WriteOptions {}
export interface ChainedBatchWriteOptions extends AbstractChainedBatchWriteOptions, WriteOptions {}

export interface AdditionalIteratorOptions {
  /**
   * true: keep every block the iterator reads in the block cache; false: none. Default: the
   * first two blocks read from each table, so that short range reads are cached and long scans
   * do not wipe the cache.
   */
  fillCache?: boolean | undefined
  /** Stop a nextv() once this many key and value bytes were collected (default 16 KiB). */
  highWaterMarkBytes?: number | undefined
}

export type IteratorOptions<K, V> = AbstractIteratorOptions<K, V> & AdditionalIteratorOptions
export type KeyIteratorOptions<K> = AbstractKeyIteratorOptions<K> & AdditionalIteratorOptions
export type ValueIteratorOptions<K, V> = AbstractValueIteratorOptions<K, V> & AdditionalIteratorOptions

export interface StartEndOptions<K> {
  keyEncoding?: string | Transcoder.PartialEncoder<K> | undefined
}

/** What `db.checkpoint(targetDir)` made. */
export interface CheckpointInfo {
  /** The last sequence number the copy holds: every write up to it, none after. */
  sequence: number
  /** Tables in the copy. */
  tables: number
  /** Tables hard-linked into the copy (no data copied). */
  linked: number
  /** Tables copied, where the file system could not link them (EXDEV, EPERM, ENOTSUP, EMLINK). */
  copied: number
  /** Bytes of write-ahead log copied (the writes not in tables yet). */
  walBytes: number
}

// --- events and stats (README "Events and stats") ---

/** `'flush'`: a memtable was written to a table and the table installed. */
export interface FlushEvent {
  /** The table's file number: the file is `NNNNNN.ldb` in the database directory. */
  file: number
  /** The level the table went to (0, or deeper when it overlaps nothing on the way). */
  level: number
  /** Size of the table. */
  bytes: number
  /** Entries of the memtable: every version and deletion. */
  entries: number
  /** From the start of the flush to the table's installation. */
  ms: number
}

/** `'compaction'`: tables of one level were merged into the next and the result installed. */
export interface CompactionEvent {
  inputLevel: number
  outputLevel: number
  /** File numbers of the inputs (both levels). */
  inputFiles: number[]
  /** File numbers of the outputs; a file moved down unchanged is in both lists, with no bytes read or written. */
  outputFiles: number[]
  bytesRead: number
  bytesWritten: number
  ms: number
  /** 'size' (a level over its target), 'seek' (a file read in vain too often), 'manual' (compactRange). */
  reason: string
}

/**
 * Why writes wait: 'memtable-full' (the previous memtable is still being flushed),
 * 'level0-files' (12 level-0 files: writes stop until a compaction ends), 'level0-slowdown'
 * (8 level-0 files: each write group is held 1 ms so that compaction catches up).
 */
export type WriteStallReason = 'level0-files' | 'level0-slowdown' | 'memtable-full'

/** `'write-stall'`: writes started to wait. */
export interface WriteStallEvent {
  reason: WriteStallReason
}

/** `'write-stall-end'`: the stall of `reason` is over. */
export interface WriteStallEndEvent {
  reason: WriteStallReason
  ms: number
}

/** `'background-error'`: the database entered the background-error state (README "When the disk fails"). */
export interface BackgroundErrorEvent {
  /** LEVEL_IO_ERROR (or LEVEL_CORRUPTION) naming the operation, the file and the errno. */
  error: Error
  /** What failed: 'wal', 'flush', 'compaction', 'manifest', 'recovery'. */
  operation: string
  /** true: a full disk, retried until it succeeds; false: stopped until reopened. */
  retryable: boolean
}

/** The events an LsmLevel emits besides abstract-level's, with their payloads. */
export interface LsmLevelEvents {
  flush: FlushEvent
  compaction: CompactionEvent
  'write-stall': WriteStallEvent
  'write-stall-end': WriteStallEndEvent
  'background-error': BackgroundErrorEvent
  /** Writes are accepted again after a retryable background error. */
  resumed: Record<string, never>
}

/** `db.stats()`: counters since open, and the state now. */
export interface LsmLevelStats {
  /** Bytes of keys and values of acknowledged writes. */
  userBytesWritten: number
  /** Bytes appended to write-ahead logs, record framing included. */
  walBytesWritten: number
  /** Bytes of tables written by flushes (the sum of 'flush' events' bytes). */
  flushBytesWritten: number
  /** Bytes of tables read and written by compactions (sums of 'compaction' events). */
  compactionBytesRead: number
  compactionBytesWritten: number
  /** Flushes and compactions installed. */
  flushes: number
  compactions: number
  /** Write stalls started ('write-stall' events), and their total time, one under way included. */
  writeStalls: number
  writeStallMs: number
  /** Block cache lookups that found their block, and those that read it from the file. */
  blockCacheHits: number
  blockCacheMisses: number
  /** Table files open now. */
  openTableFiles: number
  /** Bytes held by the memtables (the mutable one and the one being flushed). */
  memtableBytes: number
  /** The sequence number of the latest write. */
  lastSequence: number
  /** Per level 0..6: the number of table files and their bytes. */
  levels: Array<{ files: number, bytes: number }>
  /** The background-error state, or null when the database is healthy. */
  backgroundError: { message: string, retryable: boolean } | null
}
