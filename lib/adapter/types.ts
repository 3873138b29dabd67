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
  /** Accepted for compatibility and ignored: one process opens a directory once. */
  multithreading?: boolean | undefined
}

export interface DatabaseOptions<K, V> extends AbstractDatabaseOptions<K, V>, Omit<OpenOptions, 'passive'> {}

interface ReadOptions {
  /** Keep blocks read for this operation in the block cache (default true; false for iterators). */
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
