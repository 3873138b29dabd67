// Merges several InternalIterators (memtables, level-0 tables, levels) into one stream in
// internal order. Children are few (two memtables, up to a dozen level-0 files, six
// levels), so the current child is found by a linear scan rather than a heap. Each child's
// entry location is kept between steps, so a step re-reads only the child that moved and
// comparisons create no views.

import { compareBytes, compareRanges } from '../format/bytes'
import type { ValueKind } from '../format/internal-key'
import { EntryLocation, type InternalIterator } from '../base/internal-iterator'

const enum Direction { Forward, Reverse }

/** Internal order of two entries: user key ascending, then sequence descending. */
function compareLocations (a: EntryLocation, b: EntryLocation): number {
  const c = compareRanges(a.keySource, a.keyStart, a.keyEnd, b.keySource, b.keyStart, b.keyEnd)
  if (c !== 0) return c
  return a.sequence > b.sequence ? -1 : a.sequence < b.sequence ? 1 : 0
}

export function mergeIterators (children: InternalIterator[]): InternalIterator {
  if (children.length === 1) return children[0]
  return new MergingIterator(children)
}

class MergingIterator implements InternalIterator {
  /** Index of the child holding the current entry, or -1. */
  private current = -1
  private direction = Direction.Forward
  private readonly locations: EntryLocation[]

  constructor (private readonly children: InternalIterator[]) {
    this.locations = children.map(() => new EntryLocation())
  }

  valid (): boolean {
    return this.current >= 0 && this.children[this.current].valid()
  }

  seekToFirst (): void {
    for (const child of this.children) child.seekToFirst()
    this.direction = Direction.Forward
    this.readAll()
    this.findSmallest()
  }

  seekToLast (): void {
    for (const child of this.children) child.seekToLast()
    this.direction = Direction.Reverse
    this.readAll()
    this.findLargest()
  }

  seek (userKey: Uint8Array, sequence: number): void {
    for (const child of this.children) child.seek(userKey, sequence)
    this.direction = Direction.Forward
    this.readAll()
    this.findSmallest()
  }

  next (): void {
    const current = this.children[this.current]
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
      this.readAll()
    }
    current.next()
    if (current.valid()) current.read(this.locations[this.current])
    this.findSmallest()
  }

  prev (): void {
    const current = this.children[this.current]
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
      this.readAll()
    }
    current.prev()
    if (current.valid()) current.read(this.locations[this.current])
    this.findLargest()
  }

  userKey (): Buffer {
    return this.children[this.current].userKey()
  }

  sequence (): number {
    return this.locations[this.current].sequence
  }

  kind (): ValueKind {
    return this.locations[this.current].kind
  }

  value (): Buffer {
    return this.children[this.current].value()
  }

  read (into: EntryLocation): void {
    const from = this.locations[this.current]
    into.keySource = from.keySource
    into.keyStart = from.keyStart
    into.keyEnd = from.keyEnd
    into.valueSource = from.valueSource
    into.valueStart = from.valueStart
    into.valueEnd = from.valueEnd
    into.sequence = from.sequence
    into.kind = from.kind
  }

  close (): void {
    for (const child of this.children) child.close()
    this.current = -1
  }

  private readAll (): void {
    const children = this.children
    for (let i = 0; i < children.length; i++) {
      if (children[i].valid()) children[i].read(this.locations[i])
    }
  }

  private findSmallest (): void {
    const children = this.children
    const locations = this.locations
    let smallest = -1
    for (let i = 0; i < children.length; i++) {
      if (children[i].valid() && (smallest < 0 || compareLocations(locations[i], locations[smallest]) < 0)) smallest = i
    }
    this.current = smallest
  }

  private findLargest (): void {
    const children = this.children
    const locations = this.locations
    let largest = -1
    for (let i = 0; i < children.length; i++) {
      if (children[i].valid() && (largest < 0 || compareLocations(locations[i], locations[largest]) > 0)) largest = i
    }
    this.current = largest
  }
}
