// Sequences pinned by explicit snapshots. Compaction keeps every version that the oldest
// of them can see. Snapshots are taken with ever-growing sequences, so the list stays
// sorted by appending; releases remove one occurrence. A read-only instance also keeps, per
// snapshot, the state (version and memtables) it was taken in.

import type { MemTable } from '../memtable/memtable'
import type { Version } from '../version/version'

export interface HeldState {
  version: Version
  /** Newest first, pinned. */
  memtables: MemTable[]
}

export class SnapshotList {
  private readonly sequences: number[] = []
  private readonly states: Array<HeldState | undefined> = []

  acquire (sequence: number, state?: HeldState): number {
    this.sequences.push(sequence)
    this.states.push(state)
    return sequence
  }

  /** Releases one snapshot at `sequence`; returns the state it held, if any. */
  release (sequence: number): HeldState | undefined {
    const list = this.sequences
    // Few snapshots are open at once, so a linear search is enough.
    const index = list.indexOf(sequence)
    if (index < 0) return undefined
    list.splice(index, 1)
    return this.states.splice(index, 1)[0]
  }

  /** The state held for a snapshot at `sequence` (read-only instances), if any. */
  stateOf (sequence: number): HeldState | undefined {
    if (this.states.length === 0) return undefined
    const index = this.sequences.indexOf(sequence)
    return index < 0 ? undefined : this.states[index]
  }

  /** The oldest pinned sequence, or `fallback` (the latest sequence) when none is pinned. */
  oldest (fallback: number): number {
    return this.sequences.length > 0 ? this.sequences[0] : fallback
  }

  get size (): number {
    return this.sequences.length
  }
}
