// The one iterator contract inside the engine. Memtables, blocks, tables, levels and the
// merge of them all implement it, so each layer composes with the others.
//
// Entries are visited in internal order: user key ascending, then sequence descending
// (newest version first). Positioning methods never allocate per entry: userKey() and
// value() return views that stay valid only until the iterator moves. Damage found while
// reading throws a LEVEL_CORRUPTION error that names the file.

import type { ValueKind } from '../format/internal-key'

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
  /** Releases what the iterator pins (tables, memtables). Idempotent. */
  close (): void
}
