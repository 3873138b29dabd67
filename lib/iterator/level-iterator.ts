// Iterates one sorted level (>= 1) as a single stream: the files are disjoint and ordered,
// so only the table under the cursor is open, and it is released on moving to the next.

import { compareRanges } from '../format/bytes'
import { TRAILER_SIZE, trailerSequence, ValueKind } from '../format/internal-key'
import type { FileMeta } from '../version/file-meta'
import type { EntryLocation, InternalIterator } from '../base/internal-iterator'

export interface TableSource {
  /** An iterator over the table holding `file`; closing it releases the table. */
  open (file: FileMeta): InternalIterator
}

export class LevelIterator implements InternalIterator {
  private index = -1
  private current: InternalIterator | undefined

  constructor (private readonly files: readonly FileMeta[], private readonly source: TableSource) {}

  valid (): boolean {
    return this.current !== undefined && this.current.valid()
  }

  seekToFirst (): void {
    this.openFile(0)
    this.current?.seekToFirst()
    this.skipEmptyForward()
  }

  seekToLast (): void {
    this.openFile(this.files.length - 1)
    this.current?.seekToLast()
    this.skipEmptyBackward()
  }

  seek (userKey: Uint8Array, sequence: number): void {
    // The first file whose largest internal key is at or after (userKey, sequence). Comparing
    // whole internal keys matters when LevelDB split one user key's versions across two
    // files: an old sequence must land in the right-hand file.
    const files = this.files
    let lo = 0
    let hi = files.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const largest = files[mid].largest
      const userEnd = largest.length - TRAILER_SIZE
      const c = compareRanges(largest, 0, userEnd, userKey, 0, userKey.length)
      if (c < 0 || (c === 0 && trailerSequence(largest, userEnd) > sequence)) lo = mid + 1
      else hi = mid
    }
    this.openFile(lo)
    this.current?.seek(userKey, sequence)
    this.skipEmptyForward()
  }

  next (): void {
    (this.current as InternalIterator).next()
    this.skipEmptyForward()
  }

  prev (): void {
    (this.current as InternalIterator).prev()
    this.skipEmptyBackward()
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

  read (into: EntryLocation): void {
    (this.current as InternalIterator).read(into)
  }

  close (): void {
    this.current?.close()
    this.current = undefined
    this.index = -1
  }

  private openFile (index: number): void {
    if (index === this.index && this.current !== undefined) return
    this.current?.close()
    this.current = undefined
    this.index = index
    if (index >= 0 && index < this.files.length) this.current = this.source.open(this.files[index])
  }

  private skipEmptyForward (): void {
    while (this.current !== undefined && !this.current.valid()) {
      if (this.index + 1 >= this.files.length) {
        this.current.close()
        this.current = undefined
        return
      }
      this.openFile(this.index + 1)
      this.current?.seekToFirst()
    }
  }

  private skipEmptyBackward (): void {
    while (this.current !== undefined && !this.current.valid()) {
      if (this.index <= 0) {
        this.current.close()
        this.current = undefined
        return
      }
      this.openFile(this.index - 1)
      this.current?.seekToLast()
    }
  }
}
