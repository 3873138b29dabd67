// Sequences pinned by explicit snapshots. Compaction keeps every version that the oldest
// of them can see. Snapshots are taken with ever-growing sequences, so the list stays
// sorted by appending; releases remove one occurrence.

export class SnapshotList {
  private readonly sequences: number[] = []

  acquire (sequence: number): number {
    this.sequences.push(sequence)
    return sequence
  }

  release (sequence: number): void {
    const list = this.sequences
    // Few snapshots are open at once, so a linear search is enough.
    const index = list.indexOf(sequence)
    if (index >= 0) list.splice(index, 1)
  }

  /** The oldest pinned sequence, or `fallback` (the latest sequence) when none is pinned. */
  oldest (fallback: number): number {
    return this.sequences.length > 0 ? this.sequences[0] : fallback
  }

  get size (): number {
    return this.sequences.length
  }
}
