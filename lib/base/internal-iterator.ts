// The one iterator contract inside the engine. Memtables, blocks, tables, levels and the
// merge of them all implement it, so each layer composes with the others.
//
// Entries are visited in internal order: user key ascending, then sequence descending
// (newest version first). Positioning methods never allocate per entry: userKey() and
// value() return views that stay valid only until the iterator moves. Damage found while
// reading throws a LEVEL_CORRUPTION error that names the file.
//
// Scans use read() instead: it says where the entry's bytes are without creating views, so
// a caller can compare, copy or decode them straight from the memtable arena or the block.

import { ValueKind } from '../format/internal-key'

const NO_BYTES = Buffer.alloc(0)

/** Where the current entry lives; filled by InternalIterator.read(), valid until the iterator moves. */
export class EntryLocation {
  keySource: Buffer = NO_BYTES
  keyStart = 0
  keyEnd = 0
  valueSource: Buffer = NO_BYTES
  valueStart = 0
  valueEnd = 0
  sequence = 0
  kind: ValueKind = ValueKind.Deletion
}

export interface InternalIterator {
  valid (): boolean
  seekToFirst (): void
  seekToLast (): void
  /** Moves to the first entry at or after (userKey, sequence): user key ascending, then sequence descending. */
  seek (userKey: Uint8Array, sequence: number): void
  next (): void
  prev (): void
  userKey (): Buffer
  sequence (): number
  kind (): ValueKind
  value (): Buffer
  /** Fills `into` with the current entry's location, sequence and kind. */
  read (into: EntryLocation): void
  /** Releases what the iterator pins (tables, memtables). Idempotent. */
  close (): void
}
