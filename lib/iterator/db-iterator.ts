// The user's view of the engine: turns the merged internal stream (every version of every
// key, tombstones included) into the newest value of each live key as of one snapshot
// sequence, inside a key range, forward or reverse.
//
// Forward, the newest visible version of a key comes first, so we take it and skip the
// rest. Reverse, versions of one key arrive oldest first, so we walk past all of them,
// remembering the newest visible one, and stop once the previous key begins: the entry
// we settle on is copied because the underlying iterator has already moved past it.

import { compareBytes, compareRanges } from '../format/bytes'
import { MAX_SEQUENCE, ValueKind } from '../format/internal-key'
import { EntryLocation, type InternalIterator } from '../base/internal-iterator'

export interface KeyRange {
  gt?: Uint8Array
  gte?: Uint8Array
  lt?: Uint8Array
  lte?: Uint8Array
}

// Copying a short key byte by byte beats a native call's fixed cost.
const NATIVE_COPY_THRESHOLD = 32

/** A growable byte holder that keeps an entry's key or value across moves without allocating. */
class SavedBytes {
  buffer = Buffer.allocUnsafe(64)
  length = 0

  set (source: Uint8Array, start: number, end: number): void {
    const length = end - start
    if (length > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.max(length, this.buffer.length * 2))
    const buffer = this.buffer
    if (length <= NATIVE_COPY_THRESHOLD) {
      for (let i = 0; i < length; i++) buffer[i] = source[start + i]
    } else {
      buffer.set(source.subarray(start, end), 0)
    }
    this.length = length
  }

  /** Compares the saved bytes with source[start, end). */
  compareTo (source: Uint8Array, start: number, end: number): number {
    return compareRanges(this.buffer, 0, this.length, source, start, end)
  }

  /** Whether the saved bytes equal source[start, end); compares from the end, where neighbouring keys differ. */
  equals (source: Uint8Array, start: number, end: number): boolean {
    const length = this.length
    if (end - start !== length) return false
    const buffer = this.buffer
    for (let i = length - 1; i >= 0; i--) {
      if (buffer[i] !== source[start + i]) return false
    }
    return true
  }
}

export class DbIterator {
  private positioned = false
  private closed = false
  private isValid = false
  /** Forward: where the input's current entry is. */
  private readonly entry = new EntryLocation()
  /** Reverse: the settled entry, copied because the input has moved past it. */
  private readonly saved = new EntryLocation()
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

  /**
   * Where the current key and value are (valid until the iterator moves): lets a scan decode
   * straight from the source bytes.
   */
  current (): EntryLocation {
    return this.reverse ? this.saved : this.entry
  }

  /** The current key (a view, valid until the iterator moves). */
  key (): Buffer {
    const at = this.current()
    return at.keySource.subarray(at.keyStart, at.keyEnd)
  }

  /** The current value (a view, valid until the iterator moves). */
  value (): Buffer {
    const at = this.current()
    return at.valueSource.subarray(at.valueStart, at.valueEnd)
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
      if (this.lowerExclusive) {
        const lower = this.lower as Uint8Array
        this.savedKey.set(lower, 0, lower.length)
        this.findNextVisible(true)
      } else {
        this.findNextVisible(false)
      }
    }
  }

  /** Moves to the next entry in the iteration direction. */
  advance (): void {
    if (this.reverse) {
      this.findPreviousVisible()
    } else {
      const entry = this.entry
      this.savedKey.set(entry.keySource, entry.keyStart, entry.keyEnd)
      this.input.next()
      this.findNextVisible(true)
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
      this.findNextVisible(false)
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

  /**
   * Forward: settles on the newest visible live version at or after the input's position.
   * With `skipping`, versions of savedKey (returned, deleted, or the exclusive lower bound)
   * are passed over; the input never holds smaller keys, so an equality test suffices.
   */
  private findNextVisible (skipping: boolean): void {
    const input = this.input
    const entry = this.entry
    const saved = this.savedKey
    const sequence = this.sequence
    while (input.valid()) {
      input.read(entry)
      if (entry.sequence <= sequence) {
        if (skipping && saved.equals(entry.keySource, entry.keyStart, entry.keyEnd)) {
          // an older version of a key we already returned or deleted
        } else if (entry.kind === ValueKind.Deletion) {
          saved.set(entry.keySource, entry.keyStart, entry.keyEnd)
          skipping = true
        } else {
          if (this.upper !== undefined) {
            const c = compareRanges(entry.keySource, entry.keyStart, entry.keyEnd, this.upper, 0, this.upper.length)
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
    const entry = this.entry
    const savedKey = this.savedKey
    const sequence = this.sequence
    let kind: ValueKind = ValueKind.Deletion
    while (input.valid()) {
      input.read(entry)
      if (entry.sequence <= sequence) {
        if (kind !== ValueKind.Deletion && savedKey.compareTo(entry.keySource, entry.keyStart, entry.keyEnd) > 0) break
        kind = entry.kind
        savedKey.set(entry.keySource, entry.keyStart, entry.keyEnd)
        if (kind === ValueKind.Value) this.savedValue.set(entry.valueSource, entry.valueStart, entry.valueEnd)
      }
      input.prev()
    }
    if (kind === ValueKind.Deletion) {
      this.isValid = false
      return
    }
    if (this.lower !== undefined) {
      const c = savedKey.compareTo(this.lower, 0, this.lower.length)
      if (c < 0 || (c === 0 && this.lowerExclusive)) {
        this.isValid = false
        return
      }
    }
    const saved = this.saved
    saved.keySource = savedKey.buffer
    saved.keyStart = 0
    saved.keyEnd = savedKey.length
    saved.valueSource = this.savedValue.buffer
    saved.valueStart = 0
    saved.valueEnd = this.savedValue.length
    saved.kind = ValueKind.Value
    this.isValid = true
  }
}
