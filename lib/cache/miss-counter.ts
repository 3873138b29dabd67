// How often each block was missed lately, approximately: the block cache's admission test
// once it is full (TinyLFU's idea, without its window cache). A block that reads keep coming
// back to is counted up quickly and gets in; under reads spread evenly over a database much
// larger than the cache, a block is seldom missed twice before the next one would evict it,
// and decoding it whole to cache it would cost more than the hits it later serves
// (sstable/block-probe.ts searches it without decoding it whole). Measured on 1M keys and
// 64 MiB of tables, admitting on the second miss cost a getSync 0.8 µs more than never
// admitting; the third miss admits almost nothing there and still takes a hot set at once.
//
// A count-min sketch: one array of 8-bit counters, two positions per block from one hash,
// the smaller of the two counts as the estimate. Only the counters at the minimum are raised
// (conservative update), which keeps collisions from inflating each other. Every `window`
// misses all counters are halved, so old misses fade rather than vanish at once. A
// collision can only admit a block early.

const COUNTERS_PER_MISS = 4
const MAX_COUNT = 255

export class MissCounter {
  private readonly counts: Uint8Array
  private readonly mask: number
  private misses = 0

  /** Remembers about the last `window` misses, at full weight, and older ones halved. */
  constructor (private readonly window: number) {
    let size = 1024
    while (size < window * COUNTERS_PER_MISS) size *= 2
    this.counts = new Uint8Array(size)
    this.mask = size - 1
  }

  /** Counts a miss of (id, block) and says how many misses of it the counter now holds. */
  miss (id: number, block: number): number {
    const hash = Math.imul(Math.imul(id, 0x9e3779b1) ^ block, 0x85ebca6b)
    const first = hash & this.mask
    const second = ((hash >>> 16) | (hash << 16)) & this.mask
    const counts = this.counts
    const low = Math.min(counts[first], counts[second])
    if (low < MAX_COUNT) {
      if (counts[first] === low) counts[first] = low + 1
      if (counts[second] === low) counts[second] = low + 1
    }
    if (++this.misses >= this.window) this.age()
    return low + 1
  }

  private age (): void {
    this.misses = 0
    const counts = this.counts
    for (let i = 0; i < counts.length; i++) counts[i] >>>= 1
  }
}
