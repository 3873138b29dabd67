// The user's view of the engine: turns the merged internal stream (every version of every
// key, tombstones included) into the newest value of each live key as of one snapshot
// sequence, inside a key range, forward or reverse.
//
// Forward, the newest visible version of a key comes first, so we take it and skip the
// rest. Reverse, versions of one key arrive oldest first, so we walk past all of them,
// remembering the newest visible one, and stop once the previous key begins: the entry
// we settle on is copied because the underlying iterator has already moved past it.

import { compareBytes } from '../format/bytes'
import { MAX_SEQUENCE, ValueKind } from '../format/internal-key'
import type { InternalIterator } from './internal-iterator'

export interface KeyRange {
  gt?: Uint8Array
  gte?: Uint8Array
  lt?: Uint8Array
  lte?: Uint8Array
}

/** A growable byte holder that lets reverse iteration keep an entry without allocating. */
class SavedBytes {
  private buffer = Buffer.allocUnsafe(64)
  length = 0

  set (bytes: Uint8Array): void {
    if (bytes.length > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.max(bytes.length, this.buffer.length * 2))
    this.buffer.set(bytes, 0)
    this.length = bytes.length
  }

  view (): Buffer {
    return this.buffer.subarray(0, this.length)
  }
}

export class DbIterator {
  private positioned = false
  private closed = false
  private isValid = false
  private readonly savedKey = new SavedBytes()
  private readonly savedValue = new SavedBytes()
  private readonly lower: Uint8Array | undefined
  private readonly lowerExclusive: boolean
  private readonly upper: Uint8Array | undefined
  private readonly upperExclusive: boolean

  constructor (
    private readonly input: InternalIterator,
    private readonly sequence: number,
    range: KeyRange,
    private readonly reverse: boolean,
    private readonly onClose?: () => void
  ) {
    // As in classic-level, an inclusive bound wins over an exclusive one on the same side.
    this.lower = range.gte ?? range.gt
    this.lowerExclusive = range.gte === undefined && range.gt !== undefined
    this.upper = range.lte ?? range.lt
    this.upperExclusive = range.lte === undefined && range.lt !== undefined
  }

  /** True while positioned on an entry; call after start(), seek() or advance(). */
  valid (): boolean {
    if (!this.positioned) this.start()
    return this.isValid
  }

  /** The current key (a view, valid until the iterator moves). */
  key (): Buffer {
    return this.reverse ? this.savedKey.view() : this.input.userKey()
  }

  /** The current value (a view, valid until the iterator moves). */
  value (): Buffer {
    return this.reverse ? this.savedValue.view() : this.input.value()
  }

  /** Positions at the first entry of the range in the iteration direction. */
  start (): void {
    this.positioned = true
    if (this.reverse) {
      this.positionAtUpperBound(this.upper, this.upperExclusive)
      this.findPreviousVisible()
    } else {
      if (this.lower === undefined) this.input.seekToFirst()
      else this.input.seek(this.lower, MAX_SEQUENCE)
      this.findNextVisible(this.lowerExclusive ? this.lower : undefined)
    }
  }

  /** Moves to the next entry in the iteration direction. */
  advance (): void {
    if (this.reverse) {
      this.findPreviousVisible()
    } else {
      this.savedKey.set(this.input.userKey())
      this.input.next()
      this.findNextVisible(this.savedKey.view())
    }
  }

  /**
   * Moves to `target`: forward, the first key >= target; reverse, the last key <= target.
   * A target outside the range leaves the iterator exhausted, as in classic-level.
   */
  seek (target: Uint8Array): void {
    this.positioned = true
    if (this.outOfRange(target)) {
      this.isValid = false
      return
    }
    if (this.reverse) {
      this.positionAtUpperBound(target, false)
      this.findPreviousVisible()
    } else {
      this.input.seek(target, MAX_SEQUENCE)
      this.findNextVisible(undefined)
    }
  }

  private outOfRange (key: Uint8Array): boolean {
    if (this.lower !== undefined) {
      const c = compareBytes(key, this.lower)
      if (c < 0 || (c === 0 && this.lowerExclusive)) return true
    }
    if (this.upper !== undefined) {
      const c = compareBytes(key, this.upper)
      if (c > 0 || (c === 0 && this.upperExclusive)) return true
    }
    return false
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.input.close()
    this.isValid = false
    this.onClose?.()
  }

  /** Puts the input on the last entry whose user key is below (or at, if inclusive) `bound`. */
  private positionAtUpperBound (bound: Uint8Array | undefined, exclusive: boolean): void {
    const input = this.input
    if (bound === undefined) {
      input.seekToLast()
      return
    }
    input.seek(bound, MAX_SEQUENCE)
    if (!exclusive) {
      while (input.valid() && compareBytes(input.userKey(), bound) === 0) input.next()
    }
    if (input.valid()) input.prev()
    else input.seekToLast()
  }

  /** Forward: settles on the newest visible live version at or after the input's position. */
  private findNextVisible (skip: Uint8Array | undefined): void {
    const input = this.input
    const sequence = this.sequence
    let skipping = skip !== undefined
    while (input.valid()) {
      if (input.sequence() <= sequence) {
        const key = input.userKey()
        if (skipping && compareBytes(key, skip as Uint8Array) <= 0) {
          // an older version of a key we already returned or deleted
        } else if (input.kind() === ValueKind.Deletion) {
          this.savedKey.set(key)
          skip = this.savedKey.view()
          skipping = true
        } else {
          if (this.upper !== undefined) {
            const c = compareBytes(key, this.upper)
            if (c > 0 || (c === 0 && this.upperExclusive)) break
          }
          this.isValid = true
          return
        }
      }
      input.next()
    }
    this.isValid = false
  }

  /** Reverse: settles on the previous key whose newest visible version is live. */
  private findPreviousVisible (): void {
    const input = this.input
    const sequence = this.sequence
    let kind: ValueKind = ValueKind.Deletion
    while (input.valid()) {
      if (input.sequence() <= sequence) {
        const key = input.userKey()
        if (kind !== ValueKind.Deletion && compareBytes(key, this.savedKey.view()) < 0) break
        kind = input.kind()
        this.savedKey.set(key)
        if (kind === ValueKind.Value) this.savedValue.set(input.value())
      }
      input.prev()
    }
    if (kind === ValueKind.Deletion) {
      this.isValid = false
      return
    }
    if (this.lower !== undefined) {
      const c = compareBytes(this.savedKey.view(), this.lower)
      if (c < 0 || (c === 0 && this.lowerExclusive)) {
        this.isValid = false
        return
      }
    }
    this.isValid = true
  }
}
