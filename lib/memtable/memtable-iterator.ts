// An iterator over a memtable's skiplist (memtable.ts), in internal order, both ways. It
// holds a node number, so it stays valid while writes continue.

import type { EntryLocation, InternalIterator } from '../base/internal-iterator'
import type { ValueKind } from '../format/internal-key'
import type { MemTable } from './memtable'

const NONE = 0

// A sorted walk visits entries in key order while the arena holds them in insertion order,
// so after random writes every step would wait on its own cache miss. Once an iterator has
// taken a few steps it reads the headers of the next TOUCH_AHEAD entries in one tight loop,
// TOUCH_AHEAD ahead of where it is: those loads are independent, so the misses overlap and
// the entries are in cache by the time the walk reaches them. Point reads (a seek and a
// step or two) never start it.
const TOUCH_AHEAD = 32
const STEPS_BEFORE_TOUCHING = 8

export class MemTableIterator implements InternalIterator {
  private node = NONE
  private stepsUntilTouch = 0
  /** The first node whose entry has not been touched yet. */
  private frontier = NONE
  /**
   * Nodes just before `node`, in list order, for prev() to take from the end (see
   * MemTable.nodesBefore); emptied by any other move. A node inserted meanwhile among them is
   * newer than any reader's sequence, so passing it by changes nothing a reader sees.
   */
  private readonly behind: number[] = []

  constructor (private readonly table: MemTable) {}

  valid (): boolean {
    return this.node !== NONE
  }

  seekToFirst (): void {
    this.behind.length = 0
    this.node = this.table.firstNode()
    this.startTouching()
  }

  seekToLast (): void {
    this.behind.length = 0
    this.node = this.table.lastNode()
  }

  seek (userKey: Uint8Array, sequence: number): void {
    this.behind.length = 0
    this.node = this.table.seekNode(userKey, 0, userKey.length, sequence)
    this.startTouching()
  }

  next (): void {
    if (this.behind.length !== 0) this.behind.length = 0
    this.node = this.table.nextNode(this.node)
    if (--this.stepsUntilTouch === 0) {
      this.frontier = this.frontier === NONE
        ? this.table.touchAhead(this.node, 2 * TOUCH_AHEAD)
        : this.table.touchAhead(this.frontier, TOUCH_AHEAD)
      // Stop once the frontier reaches the end; a reseek starts over.
      this.stepsUntilTouch = this.frontier === NONE ? -1 : TOUCH_AHEAD
    }
  }

  prev (): void {
    if (this.node === NONE) return
    if (this.behind.length === 0) this.table.nodesBefore(this.node, this.behind)
    this.node = this.behind.pop() ?? NONE
  }

  userKey (): Buffer {
    return this.table.userKeyOf(this.node)
  }

  sequence (): number {
    return this.table.nodeSequence(this.node)
  }

  kind (): ValueKind {
    return this.table.kindOf(this.node)
  }

  value (): Buffer {
    return this.table.valueOf(this.node)
  }

  read (into: EntryLocation): void {
    this.table.readNode(this.node, into)
  }

  private startTouching (): void {
    this.frontier = NONE
    this.stepsUntilTouch = STEPS_BEFORE_TOUCHING
  }

  close (): void {
    this.behind.length = 0
    this.node = NONE
  }
}
