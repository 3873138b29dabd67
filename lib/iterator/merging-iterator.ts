// Merges several InternalIterators (memtables, level-0 tables, levels) into one stream in
// internal order. Children are few (two memtables, up to a dozen level-0 files, six
// levels), so the current child is found by a linear scan rather than a heap.

import { compareBytes } from '../format/bytes'
import type { ValueKind } from '../format/internal-key'
import type { InternalIterator } from './internal-iterator'

const enum Direction { Forward, Reverse }

/** Internal order of two positioned iterators: user key ascending, then sequence descending. */
function compareEntries (a: InternalIterator, b: InternalIterator): number {
  const c = compareBytes(a.userKey(), b.userKey())
  if (c !== 0) return c
  const as = a.sequence()
  const bs = b.sequence()
  return as > bs ? -1 : as < bs ? 1 : 0
}

export function mergeIterators (children: InternalIterator[]): InternalIterator {
  if (children.length === 1) return children[0]
  return new MergingIterator(children)
}

class MergingIterator implements InternalIterator {
  private current: InternalIterator | undefined
  private direction = Direction.Forward

  constructor (private readonly children: InternalIterator[]) {}

  valid (): boolean {
    return this.current !== undefined && this.current.valid()
  }

  seekToFirst (): void {
    for (const child of this.children) child.seekToFirst()
    this.direction = Direction.Forward
    this.findSmallest()
  }

  seekToLast (): void {
    for (const child of this.children) child.seekToLast()
    this.direction = Direction.Reverse
    this.findLargest()
  }

  seek (userKey: Uint8Array, sequence: number): void {
    for (const child of this.children) child.seek(userKey, sequence)
    this.direction = Direction.Forward
    this.findSmallest()
  }

  next (): void {
    const current = this.current as InternalIterator
    if (this.direction !== Direction.Forward) {
      // Every other child sits before the current entry; move each to the first entry after it.
      const key = Buffer.from(current.userKey())
      const sequence = current.sequence()
      for (const child of this.children) {
        if (child === current) continue
        child.seek(key, sequence)
        if (child.valid() && child.sequence() === sequence && compareBytes(child.userKey(), key) === 0) child.next()
      }
      this.direction = Direction.Forward
    }
    current.next()
    this.findSmallest()
  }

  prev (): void {
    const current = this.current as InternalIterator
    if (this.direction !== Direction.Reverse) {
      // Every other child sits after the current entry; move each to the last entry before it.
      const key = Buffer.from(current.userKey())
      const sequence = current.sequence()
      for (const child of this.children) {
        if (child === current) continue
        child.seek(key, sequence)
        if (child.valid()) child.prev()
        else child.seekToLast()
      }
      this.direction = Direction.Reverse
    }
    current.prev()
    this.findLargest()
  }

  userKey (): Buffer {
    return (this.current as InternalIterator).userKey()
  }

  sequence (): number {
    return (this.current as InternalIterator).sequence()
  }

  kind (): ValueKind {
    return (this.current as InternalIterator).kind()
  }

  value (): Buffer {
    return (this.current as InternalIterator).value()
  }

  close (): void {
    for (const child of this.children) child.close()
    this.current = undefined
  }

  private findSmallest (): void {
    let smallest: InternalIterator | undefined
    for (const child of this.children) {
      if (child.valid() && (smallest === undefined || compareEntries(child, smallest) < 0)) smallest = child
    }
    this.current = smallest
  }

  private findLargest (): void {
    let largest: InternalIterator | undefined
    for (const child of this.children) {
      if (child.valid() && (largest === undefined || compareEntries(child, largest) > 0)) largest = child
    }
    this.current = largest
  }
}
