// Reads blocks written by BlockBuilder (leveldb-format.md §6.3):
//
//   entry*       shared: varint32 | non_shared: varint32 | value_length: varint32 |
//                key_delta[non_shared] | value[value_length]
//   restart*     fixed32 LE offsets of entries with shared = 0, strictly increasing, first 0
//   num_restarts fixed32 LE
//
// BlockIterator walks a data or index block whose keys are internal keys (user key + 8-byte
// trailer). It decodes each key into a reusable scratch buffer, and compares restart keys in
// place while binary searching, so positioning allocates nothing. blockEntries() is the
// simple bytewise reader for the tiny metaindex.

import { corruption } from '../base/errors'
import { compareRanges } from '../format/bytes'
import { decoded, getFixed32, getVarint32 } from '../format/coding'
import {
  ValueKind, KIND_FOR_SEEK, TRAILER_SIZE, compareInternalKeyRanges, compareTrailers, putTrailer, trailerSequence
} from '../format/internal-key'
import type { EntryLocation, InternalIterator } from '../base/internal-iterator'

export class Block {
  /** The file the block came from, for error messages. */
  readonly file: string
  readonly data: Buffer
  /** Where the restart array begins, which is also where the entries end. */
  readonly restartOffset: number
  readonly restartCount: number

  constructor (file: string, data: Buffer) {
    this.file = file
    this.data = data
    if (data.length < 4) throw corruption(file, 'block too short')
    const count = getFixed32(data, data.length - 4)
    if (count > (data.length - 4) / 4) throw corruption(file, 'bad restart count in block')
    this.restartCount = count
    this.restartOffset = data.length - 4 - count * 4
    this.checkRestarts()
  }

  get size (): number {
    return this.data.length
  }

  restartPoint (index: number): number {
    return getFixed32(this.data, this.restartOffset + index * 4)
  }

  iterator (): BlockIterator {
    return new BlockIterator(this)
  }

  // One pass over the restart array (about entries / 16 words) so that the iterator can
  // trust every restart offset.
  private checkRestarts (): void {
    const end = this.restartOffset
    if (end === 0) return // no entries: any restart array is harmless
    if (this.restartCount === 0 || this.restartPoint(0) !== 0) {
      throw corruption(this.file, 'bad restart array in block')
    }
    let previous = 0
    for (let i = 1; i < this.restartCount; i++) {
      const offset = this.restartPoint(i)
      if (offset <= previous || offset >= end) throw corruption(this.file, 'bad restart offset in block')
      previous = offset
    }
  }
}

/** Iterates a block whose keys are internal keys, in internal order. */
export class BlockIterator implements InternalIterator {
  private block!: Block
  private data!: Buffer
  private end = 0
  private restartCount = 0
  /** Offset of the current entry; equal to `end` when not valid. */
  private current = 0
  private nextOffset = 0
  private restartIndex = 0
  /** Offset of restart point restartIndex + 1, or `end` past the last one. */
  private nextRestart = 0
  private key = Buffer.allocUnsafe(64)
  private keyLength = 0
  /** How many leading key bytes the current entry shares with the one before it. */
  private shared = 0
  private seekKey = Buffer.allocUnsafe(64)
  /** The current value is data[valueStart, valueEnd). Read by the table reader. */
  valueStart = 0
  valueEnd = 0

  constructor (block: Block) {
    this.reset(block)
  }

  /** Points the iterator at another block (not positioned), so callers can reuse one iterator. */
  reset (block: Block): void {
    this.block = block
    this.data = block.data
    this.end = block.restartOffset
    this.restartCount = block.restartCount
    this.invalidate()
  }

  /** The block's bytes: the current value lives at [valueStart, valueEnd). */
  get blockData (): Buffer {
    return this.data
  }

  valid (): boolean {
    return this.current < this.end
  }

  seekToFirst (): void {
    if (this.end === 0) return this.invalidate()
    this.seekToRestart(0)
    this.parseNext()
  }

  seekToLast (): void {
    if (this.end === 0) return this.invalidate()
    this.seekToRestart(this.restartCount - 1)
    this.parseNext()
    while (this.nextOffset < this.end) this.parseNext()
  }

  seek (userKey: Uint8Array, sequence: number): void {
    const length = userKey.length + TRAILER_SIZE
    if (this.seekKey.length < length) this.seekKey = Buffer.allocUnsafe(Math.max(length, this.seekKey.length * 2))
    this.seekKey.set(userKey, 0)
    putTrailer(this.seekKey, userKey.length, sequence, KIND_FOR_SEEK)
    this.seekInternalKey(this.seekKey, length)
  }

  /** Moves to the first entry at or after the internal key target[0, targetLength). */
  seekInternalKey (target: Uint8Array, targetLength: number): void {
    if (this.end === 0) return this.invalidate()
    // Find the last restart point whose key is below the target, then scan forward.
    let left = 0
    let right = this.restartCount - 1
    while (left < right) {
      const mid = (left + right + 1) >>> 1
      if (this.compareRestartKey(mid, target, targetLength) < 0) left = mid
      else right = mid - 1
    }
    this.seekToRestart(left)
    // Entries share a prefix with the one before them, so the leading bytes an entry shares
    // with its predecessor, up to where the predecessor matched the target, are known to
    // match too: each comparison starts there instead of at byte 0 (most of a short key).
    const targetUserLength = targetLength - TRAILER_SIZE
    let matched = 0
    while (this.parseNext()) {
      const key = this.key
      const userLength = this.keyLength - TRAILER_SIZE
      const n = userLength < targetUserLength ? userLength : targetUserLength
      let i = matched < this.shared ? matched : this.shared
      if (i > n) i = n
      while (i < n && key[i] === target[i]) i++
      matched = i
      let order = i < n ? key[i] - target[i] : userLength - targetUserLength
      if (order === 0) order = compareTrailers(key, userLength, target, targetUserLength)
      if (order >= 0) return
    }
  }

  next (): void {
    this.parseNext()
  }

  prev (): void {
    // Entries only decode forwards: restart at the restart point before the current entry
    // and walk up to the entry just before it.
    if (this.current >= this.end) return
    const original = this.current
    while (this.block.restartPoint(this.restartIndex) >= original) {
      if (this.restartIndex === 0) return this.invalidate()
      this.restartIndex--
    }
    this.seekToRestart(this.restartIndex)
    do this.parseNext()
    while (this.nextOffset < original)
  }

  userKey (): Buffer {
    return this.key.subarray(0, this.keyLength - TRAILER_SIZE)
  }

  sequence (): number {
    return trailerSequence(this.key, this.keyLength - TRAILER_SIZE)
  }

  kind (): ValueKind {
    return this.key[this.keyLength - TRAILER_SIZE]
  }

  value (): Buffer {
    return this.data.subarray(this.valueStart, this.valueEnd)
  }

  read (into: EntryLocation): void {
    const keyEnd = this.keyLength - TRAILER_SIZE
    into.keySource = this.key
    into.keyStart = 0
    into.keyEnd = keyEnd
    into.valueSource = this.data
    into.valueStart = this.valueStart
    into.valueEnd = this.valueEnd
    into.sequence = trailerSequence(this.key, keyEnd)
    into.kind = this.key[keyEnd]
  }

  /** True when the current entry's user key equals userKey (no allocation). */
  userKeyEquals (userKey: Uint8Array): boolean {
    const n = this.keyLength - TRAILER_SIZE
    if (n !== userKey.length) return false
    return compareRanges(this.key, 0, n, userKey, 0, n) === 0
  }

  /** The scratch buffer holding the current internal key in [0, internalKeyLength()); changes as the iterator moves. */
  internalKey (): Buffer {
    return this.key
  }

  internalKeyLength (): number {
    return this.keyLength
  }

  /** The current internal key as a fresh copy. */
  internalKeyCopy (): Buffer {
    return Buffer.from(this.key.subarray(0, this.keyLength))
  }

  /** Copies the current internal key into target at `offset`; returns its length. */
  copyInternalKey (target: Uint8Array, offset: number): number {
    target.set(this.key.subarray(0, this.keyLength), offset)
    return this.keyLength
  }

  /** Internal-key order of the current key against the internal key other[start, end). */
  compareKeyTo (other: Uint8Array, start: number, end: number): number {
    return compareInternalKeyRanges(this.key, 0, this.keyLength, other, start, end)
  }

  close (): void {}

  private invalidate (): void {
    this.current = this.end
    this.nextOffset = this.end
    this.restartIndex = this.restartCount
    this.nextRestart = this.end
    this.keyLength = 0
  }

  private seekToRestart (index: number): void {
    this.setRestartIndex(index)
    this.keyLength = 0
    this.nextOffset = this.block.restartPoint(index)
  }

  private setRestartIndex (index: number): void {
    this.restartIndex = index
    this.nextRestart = index + 1 < this.restartCount ? this.block.restartPoint(index + 1) : this.end
  }

  /** Decodes the entry at nextOffset into the scratch key. Returns false at the end of the block. */
  private parseNext (): boolean {
    const data = this.data
    const end = this.end
    let p = this.nextOffset
    if (p >= end) {
      this.invalidate()
      return false
    }
    const entry = p
    let shared = data[p]
    let nonShared = data[p + 1]
    let valueLength = data[p + 2]
    if ((shared | nonShared | valueLength) < 0x80 && p + 3 <= end) {
      p += 3
    } else {
      if (!getVarint32(data, p, end)) throw this.badEntry(entry)
      shared = decoded.value
      if (!getVarint32(data, decoded.offset, end)) throw this.badEntry(entry)
      nonShared = decoded.value
      if (!getVarint32(data, decoded.offset, end)) throw this.badEntry(entry)
      valueLength = decoded.value
      p = decoded.offset
    }
    const keyLength = shared + nonShared
    if (shared > this.keyLength || p + nonShared + valueLength > end || keyLength < TRAILER_SIZE) {
      throw this.badEntry(entry)
    }
    if (this.key.length < keyLength) this.growKey(keyLength)
    const key = this.key
    if (nonShared < 32) {
      for (let i = 0; i < nonShared; i++) key[shared + i] = data[p + i]
    } else {
      data.copy(key, shared, p, p + nonShared)
    }
    if (key[keyLength - TRAILER_SIZE] > ValueKind.Value) throw corruption(this.block.file, 'bad value kind in block entry')
    this.keyLength = keyLength
    this.shared = shared
    this.current = entry
    this.valueStart = p + nonShared
    this.valueEnd = this.valueStart + valueLength
    this.nextOffset = this.valueEnd
    // Kept up to date only when an entry reaches the next restart point: once every 16.
    while (this.nextRestart <= entry) this.setRestartIndex(this.restartIndex + 1)
    return true
  }

  /** Compares the key stored at restart point `index` (in place) with the target. */
  private compareRestartKey (index: number, target: Uint8Array, targetLength: number): number {
    const data = this.data
    const end = this.end
    const start = this.block.restartPoint(index)
    let p = start
    let shared = data[p]
    let nonShared = data[p + 1]
    if ((shared | nonShared | data[p + 2]) < 0x80 && p + 3 <= end) {
      p += 3
    } else {
      if (!getVarint32(data, p, end)) throw this.badEntry(start)
      shared = decoded.value
      if (!getVarint32(data, decoded.offset, end)) throw this.badEntry(start)
      nonShared = decoded.value
      if (!getVarint32(data, decoded.offset, end)) throw this.badEntry(start)
      p = decoded.offset
    }
    if (shared !== 0 || nonShared < TRAILER_SIZE || p + nonShared > end) throw this.badEntry(start)
    return compareInternalKeyRanges(data, p, p + nonShared, target, 0, targetLength)
  }

  private growKey (length: number): void {
    const grown = Buffer.allocUnsafe(Math.max(length, this.key.length * 2))
    this.key.copy(grown, 0, 0, this.keyLength)
    this.key = grown
  }

  private badEntry (offset: number): Error {
    return corruption(this.block.file, `bad entry in block at ${offset}`)
  }
}

export interface BlockEntry {
  key: Buffer
  value: Buffer
}

/** Every entry of a block with bytewise keys (the metaindex), as copies of the keys and views of the values. */
export function blockEntries (block: Block): BlockEntry[] {
  const data = block.data
  const end = block.restartOffset
  const entries: BlockEntry[] = []
  let key = Buffer.alloc(0)
  let p = 0
  while (p < end) {
    if (!getVarint32(data, p, end)) throw corruption(block.file, 'bad entry in metaindex block')
    const shared = decoded.value
    if (!getVarint32(data, decoded.offset, end)) throw corruption(block.file, 'bad entry in metaindex block')
    const nonShared = decoded.value
    if (!getVarint32(data, decoded.offset, end)) throw corruption(block.file, 'bad entry in metaindex block')
    const valueLength = decoded.value
    p = decoded.offset
    if (shared > key.length || p + nonShared + valueLength > end) {
      throw corruption(block.file, 'bad entry in metaindex block')
    }
    key = Buffer.concat([key.subarray(0, shared), data.subarray(p, p + nonShared)])
    p += nonShared
    entries.push({ key, value: data.subarray(p, p + valueLength) })
    p += valueLength
  }
  return entries
}
