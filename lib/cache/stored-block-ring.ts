// Blocks as stored in their table (contents and type byte, compressed as on disk), kept in
// memory for the point reads the block cache of decoded blocks turned away: LevelDB finds such
// a block in the pages it memory-maps, at no system call; we cannot map files, and without
// this a get over a database past the cache pays a read(2) and a CRC for every block. A hit
// costs only the probe's partial decode (sstable/block-probe.ts). The bytes were verified when
// read from disk, like a decoded block's, and are not checked again.
//
// A ring of fixed-size segments, written in order and overwritten oldest first (FIFO): no
// entry to unlink on a hit, no allocation once the segments exist, and a block costs its
// stored size, about half its decoded size with snappy. Segments are allocated as the ring
// first reaches them, so a small database holds only what it has read. An entry is found by
// (table id, block number) -> where it was written, counted in bytes since the ring started;
// it is intact while fewer than `capacity` bytes were written after it. A block never spans
// two segments: one that does not fit in what is left of a segment starts the next one.

const SEGMENT_BYTES = 1 << 20

export class StoredBlockRing {
  readonly capacity: number
  private readonly segmentBytes: number
  private readonly segments: Buffer[] = []
  private readonly segmentCount: number
  // Per table id, by block number: where the block was written (-1: not here).
  private readonly tables: Array<number[] | undefined> = []
  private written = 0

  constructor (capacityBytes: number) {
    this.segmentBytes = Math.min(SEGMENT_BYTES, capacityBytes)
    this.segmentCount = this.segmentBytes > 0 ? Math.floor(capacityBytes / this.segmentBytes) : 0
    this.capacity = this.segmentCount * this.segmentBytes
  }

  /** Bytes of segments allocated so far. */
  get bytesHeld (): number {
    return this.segments.length * this.segmentBytes
  }

  /**
   * Block `block` of table `id`, `length` bytes as put(), if still here: a view into the ring,
   * valid until the next put().
   */
  get (id: number, block: number, length: number): Buffer | undefined {
    const at = this.tables[id]?.[block]
    if (at === undefined || at < 0 || this.written - at > this.capacity) return undefined
    const offset = at % this.segmentBytes
    return this.segments[Math.floor(at / this.segmentBytes) % this.segmentCount].subarray(offset, offset + length)
  }

  /** Keeps bytes[0, length) as block `block` of table `id`, overwriting the oldest blocks. */
  put (id: number, block: number, bytes: Buffer, length: number): void {
    if (length > this.segmentBytes || length === 0) return
    let offset = this.written % this.segmentBytes
    if (offset + length > this.segmentBytes) {
      this.written += this.segmentBytes - offset
      offset = 0
    }
    const index = Math.floor(this.written / this.segmentBytes) % this.segmentCount
    let segment = this.segments[index]
    if (segment === undefined) {
      // Outside Buffer's pool: a segment is the ring's own, and lives as long as the ring.
      segment = Buffer.allocUnsafeSlow(this.segmentBytes)
      this.segments.push(segment)
    }
    bytes.copy(segment, offset, 0, length)
    let blocks = this.tables[id]
    if (blocks === undefined) {
      blocks = []
      this.tables[id] = blocks
    }
    // Filled up to `block` rather than written past its end, so the array stays a plain one.
    while (blocks.length <= block) blocks.push(-1)
    blocks[block] = this.written
    this.written += length
  }

  /** Forgets every block of table `id` (its id may next name another table). */
  dropTable (id: number): void {
    this.tables[id] = undefined
  }

  clear (): void {
    this.tables.length = 0
  }
}
