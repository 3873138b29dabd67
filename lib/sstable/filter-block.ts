// The filter block of a table (leveldb-format.md §6.6), stored raw, never compressed:
//
//   filter_0 .. filter_{n-1}   concatenated bloom filters, some possibly empty
//   offset_0 .. offset_{n-1}   fixed32 LE start of each filter in this block
//   array_start                fixed32 LE offset of offset_0
//   base_lg                    uint8, 11: filter i covers data blocks starting in [i * 2 KiB, (i + 1) * 2 KiB)
//
// Filters hold USER keys (trailers stripped), every version and tombstone counted. A slot no
// data block starts in gets an empty filter, which matches nothing.

import { ByteWriter, getFixed32 } from '../format/coding'
import { bloomHash } from '../bloom/bloom-hash'
import { BloomFilterPolicy, bloomMayMatchHash } from '../bloom/bloom-filter'

export const FILTER_BASE_LG = 11
const FILTER_BASE = 1 << FILTER_BASE_LG
// Markers in FilterBlockReader's slot arrays (offsets are never negative).
const MAY_MATCH = -1
const NO_MATCH = -2

export class FilterBlockBuilder {
  private readonly policy: BloomFilterPolicy
  private readonly out = new ByteWriter(1024)
  private readonly filterOffsets: number[] = []
  // Keys are hashed as they arrive: the filter needs nothing else from them.
  private hashes = new Uint32Array(256)
  private hashCount = 0

  constructor (policy = new BloomFilterPolicy()) {
    this.policy = policy
  }

  /** Called before the keys of the data block that starts at `blockOffset`. */
  startBlock (blockOffset: number): void {
    const index = Math.floor(blockOffset / FILTER_BASE)
    if (index < this.filterOffsets.length) throw new Error('FilterBlockBuilder: block offsets must increase')
    while (index > this.filterOffsets.length) this.generateFilter()
  }

  /** Adds the user key bytes[start, end). */
  addKey (bytes: Uint8Array, start = 0, end = bytes.length): void {
    if (this.hashCount === this.hashes.length) {
      const grown = new Uint32Array(this.hashes.length * 2)
      grown.set(this.hashes)
      this.hashes = grown
    }
    this.hashes[this.hashCount++] = bloomHash(bytes, start, end)
  }

  /** The whole filter block (a fresh buffer). */
  finish (): Buffer {
    if (this.hashCount > 0) this.generateFilter()
    const out = this.out
    const arrayStart = out.length
    for (const offset of this.filterOffsets) out.fixed32(offset)
    out.fixed32(arrayStart)
    out.byte(FILTER_BASE_LG)
    return Buffer.from(out.view())
  }

  private generateFilter (): void {
    const out = this.out
    this.filterOffsets.push(out.length)
    if (this.hashCount === 0) return
    const length = this.policy.filterLength(this.hashCount)
    out.reserve(length)
    this.policy.writeFilter(this.hashes, this.hashCount, out.buffer, out.length)
    out.length += length
    this.hashCount = 0
  }
}

export class FilterBlockReader {
  private readonly data: Buffer
  private readonly baseLg: number
  // Each slot's filter as data[start, end), read from the offset array once at open (a get
  // probes one slot per table it visits). A slot whose offsets are damaged gets MAY_MATCH.
  private readonly starts: Int32Array
  private readonly ends: Int32Array

  /** Damaged layouts degrade to "may match", as in LevelDB: a filter can only save reads. */
  constructor (data: Buffer) {
    this.data = data
    const n = data.length
    if (n < 5) {
      this.baseLg = FILTER_BASE_LG
      this.starts = this.ends = new Int32Array(0)
      return
    }
    this.baseLg = data[n - 1]
    const arrayStart = getFixed32(data, n - 5)
    const count = arrayStart > n - 5 ? 0 : Math.floor((n - 5 - arrayStart) / 4)
    this.starts = new Int32Array(count)
    this.ends = new Int32Array(count)
    for (let i = 0; i < count; i++) {
      const slot = arrayStart + i * 4
      // The entry after the last offset is array_start itself, which ends the last filter.
      const start = getFixed32(data, slot)
      const limit = getFixed32(data, slot + 4)
      const sound = start <= limit && limit <= arrayStart
      this.starts[i] = sound ? start : MAY_MATCH
      this.ends[i] = sound ? limit : (start !== limit ? MAY_MATCH : NO_MATCH)
    }
  }

  /** False only when no key equal to userKey is in the data block starting at blockOffset. */
  keyMayMatch (blockOffset: number, userKey: Uint8Array): boolean {
    return this.hashMayMatch(blockOffset, bloomHash(userKey))
  }

  /** keyMayMatch for a key whose bloomHash is `hash` (a get hashes its key once for every table). */
  hashMayMatch (blockOffset: number, hash: number): boolean {
    const baseLg = this.baseLg
    const index = baseLg < 31 && blockOffset < 0x80000000 ? blockOffset >>> baseLg : Math.floor(blockOffset / 2 ** baseLg)
    if (index >= this.starts.length) return true
    const start = this.starts[index]
    if (start === MAY_MATCH) return this.ends[index] !== NO_MATCH
    return bloomMayMatchHash(hash, this.data, start, this.ends[index])
  }
}
