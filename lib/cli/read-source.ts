// What get, scan and dump read from: the database as of the moment it was opened, read-only.
// Two implementations, chosen in open.ts: the engine opened with `readOnly: true`, and a
// reader of the directory's files (direct-reader.ts) for engines without that option.

export interface ScanOptions {
  gt?: Buffer
  gte?: Buffer
  lt?: Buffer
  lte?: Buffer
  reverse: boolean
  /** At most this many entries; undefined for all. */
  limit?: number
  /** False for keys only. */
  values: boolean
}

/** Entries in key order (reverse order with `reverse`); value undefined when keys only. */
export type EntryBatch = Array<[Buffer, Buffer | undefined]>

export interface EntryStream {
  /** The next entries, at most BATCH_ENTRIES and about BATCH_BYTES; empty at the end. */
  next (): Promise<EntryBatch>
  close (): Promise<void>
}

export interface ReadSource {
  /** How the database was opened, for messages. */
  readonly how: string
  /** Things the reader noticed that the user should know (a damaged WAL tail...). */
  readonly notes: readonly string[]
  get (key: Buffer): Promise<Buffer | undefined>
  scan (options: ScanOptions): EntryStream
  /** Roughly how many table bytes hold keys before `key` (for progress). */
  bytesBefore (key: Buffer): Promise<number>
  close (): Promise<void>
}

// Batches bound what a scan holds in memory whatever the sizes of entries: about 1 MiB, and
// no more than 1000 entries (small entries cost per-object overhead).
export const BATCH_ENTRIES = 1000
export const BATCH_BYTES = 1024 * 1024
