// Write stalls as episodes, for the 'write-stall' and 'write-stall-end' events and stats().
//
// The write path (write-path.ts, makeRoom) tells what it does with each write group:
//   begin(reason)   the group waits: 'memtable-full' (the previous memtable is still being
//                   flushed), 'level0-files' (too many level-0 files: writes stop until a
//                   compaction ends), or 'level0-slowdown' (each group is held 1 ms so that
//                   compaction can catch up)
//   pass(slowing)   the group goes ahead; `slowing` says whether level 0 is still past the
//                   slowdown trigger
//   end()           writes fail (the background-error state): whatever stalled them is over
// An episode starts when writes first wait for a reason and ends when a group goes ahead
// without that reason holding. A slowdown holds each group for a moment only, so it lasts as
// long as level 0 stays past its trigger, as seen by the writes: its end is noticed by the
// first group after compaction brought level 0 back under it. A change of reason ends one
// episode and starts the next.

import { performance } from 'perf_hooks'

export type WriteStallReason = 'level0-files' | 'level0-slowdown' | 'memtable-full'

export interface WriteStallInfo {
  reason: WriteStallReason
}

export interface WriteStallEndInfo {
  reason: WriteStallReason
  /** How long the episode lasted. */
  ms: number
}

export class WriteStalls {
  /** Episodes started since open. */
  count = 0
  private reason: WriteStallReason | undefined
  private since = 0
  private endedMs = 0

  constructor (
    private readonly emit: (event: 'write-stall' | 'write-stall-end', payload: WriteStallInfo | WriteStallEndInfo) => void,
    private readonly now: () => number = () => performance.now()
  ) {}

  /** The reason of the episode under way, if any. */
  get current (): WriteStallReason | undefined {
    return this.reason
  }

  /** Milliseconds writes spent stalled since open, the episode under way included. */
  get totalMs (): number {
    return this.endedMs + (this.reason === undefined ? 0 : this.now() - this.since)
  }

  begin (reason: WriteStallReason): void {
    if (this.reason === reason) return
    this.end()
    this.reason = reason
    this.since = this.now()
    this.count++
    this.emit('write-stall', { reason })
  }

  pass (slowing: boolean): void {
    if (this.reason === undefined || (slowing && this.reason === 'level0-slowdown')) return
    this.end()
  }

  end (): void {
    const reason = this.reason
    if (reason === undefined) return
    const ms = this.now() - this.since
    this.reason = undefined
    this.endedMs += ms
    this.emit('write-stall-end', { reason, ms })
  }
}
