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
  private readonly arrayStart: number
  private readonly count: number
  private readonly baseLg: number

  /** Damaged layouts degrade to "may match", as in LevelDB: a filter can only save reads. */
  constructor (data: Buffer) {
    this.data = data
    const n = data.length
    if (n < 5) {
      this.arrayStart = 0
      this.count = 0
      this.baseLg = FILTER_BASE_LG
      return
    }
    this.baseLg = data[n - 1]
    const arrayStart = getFixed32(data, n - 5)
    this.arrayStart = arrayStart
    this.count = arrayStart > n - 5 ? 0 : Math.floor((n - 5 - arrayStart) / 4)
  }

  /** False only when no key equal to userKey is in the data block starting at blockOffset. */
  keyMayMatch (blockOffset: number, userKey: Uint8Array): boolean {
    const index = Math.floor(blockOffset / 2 ** this.baseLg)
    if (index >= this.count) return true
    const slot = this.arrayStart + index * 4
    // The entry after the last offset is array_start itself, which ends the last filter.
    const start = getFixed32(this.data, slot)
    const limit = getFixed32(this.data, slot + 4)
    if (start <= limit && limit <= this.arrayStart) {
      return bloomMayMatchHash(bloomHash(userKey), this.data, start, limit)
    }
    return start !== limit
  }
}

