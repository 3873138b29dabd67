// The block cache: blocks of open tables, charged by their size in bytes, evicted by CLOCK.
//
// A block is found by (table id, block number) with two array loads: tables[id][block]. No
// key is built or hashed, and a hit only sets the entry's referenced flag; an LRU list would
// relink two nodes on every hit, and a Map keyed by id * 2^32 + offset hashes a heap number.
// Those were about 10% of a getSync that misses the cache a sixth of the time.
//
// Eviction (CLOCK, "second chance"): entries sit in a ring with a hand. When the total charge
// passes the capacity, the hand clears the flag of each referenced entry it passes and evicts
// the first unreferenced one. A new entry starts unreferenced, so blocks read once by a scan
// leave before blocks that reads came back to. An entry that alone exceeds the capacity is
// not kept. Reads that asked not to fill the cache add their blocks only while it has room.
// Once the cache is full, a point read's block gets in only if admits() says so. Evicted
// blocks that callers still hold simply stay alive until the garbage
// collector takes them: nothing here closes or frees anything.

import type { BlockCacheLike } from '../base/block-cache'
import { MissCounter } from './miss-counter'
import { StoredBlockRing } from './stored-block-ring'

// The admission window, in misses per block the cache holds (of the usual 4 KiB).
const MISS_WINDOW_PER_BLOCK = 2
// ... and at least this many, so a small cache still tells a block missed again from noise.
const MIN_MISS_WINDOW = 256
// A point read's block gets into a full cache on this miss within the window (miss-counter.ts).
const MISSES_TO_ADMIT = 3
const TYPICAL_BLOCK_BYTES = 4096

interface Entry<B> {
  readonly id: number
  readonly block: number
  value: B
  charge: number
  referenced: boolean
  /** Where the entry sits in the ring. */
  position: number
}

export class BlockCache<B> implements BlockCacheLike<B> {
  readonly capacity: number
  // Per table id, its cached blocks by block number (holes where a block is not cached).
  private readonly tables: Array<Array<Entry<B> | undefined> | undefined> = []
  private readonly ring: Array<Entry<B>> = []
  private hand = 0
  private charge = 0
  private nextId = 1
  private readonly freeIds: number[] = []
  /** Lookups that found their block, and those that did not (stats). */
  hits = 0
  misses = 0
  private readonly missCounter: MissCounter
  /** Blocks as stored, for the point reads this cache turns away (stored-block-ring.ts). */
  readonly stored: StoredBlockRing

  constructor (
    capacityBytes: number,
    private readonly chargeOf: (block: B) => number = (block) => (block as unknown as { size: number }).size,
    storedCapacityBytes = 0
  ) {
    this.capacity = capacityBytes
    this.stored = new StoredBlockRing(storedCapacityBytes)
    this.missCounter = new MissCounter(Math.max(MIN_MISS_WINDOW, MISS_WINDOW_PER_BLOCK * Math.ceil(capacityBytes / TYPICAL_BLOCK_BYTES)))
  }

  get totalCharge (): number {
    return this.charge
  }

  /** Blocks held. */
  get size (): number {
    return this.ring.length
  }

  /** An id for one opened table. Give it back with releaseId() after the table is closed. */
  newId (): number {
    return this.freeIds.pop() ?? this.nextId++
  }

  /** Makes `id` reusable, dropping whatever blocks it still has here. */
  releaseId (id: number): void {
    this.dropTable(id)
    this.freeIds.push(id)
  }

  get (id: number, block: number): B | undefined {
    const entry = this.tables[id]?.[block]
    // One increment either way: this runs for every block a read touches.
    if (entry === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    entry.referenced = true
    return entry.value
  }

  /** Whether (id, block) is cached, without counting a lookup or marking it used. */
  has (id: number, block: number): boolean {
    return this.tables[id]?.[block] !== undefined
  }

  /** Inserts or replaces (id, block), evicting others until it fits. */
  set (id: number, block: number, value: B): void {
    this.insert(id, block, value, this.chargeOf(value))
  }

  /**
   * Inserts (id, block) only if it fits beside what is cached, evicting nothing: for reads
   * that must not push other blocks out (fillCache: false), while the cache has room.
   */
  setIfRoom (id: number, block: number, value: B): void {
    const charge = this.chargeOf(value)
    if (this.charge + charge <= this.capacity && this.tables[id]?.[block] === undefined) this.insert(id, block, value, charge)
  }

  /** Room for `charge` more bytes, or (with fillCache) (id, block) was missed often lately (miss-counter.ts). */
  admits (id: number, block: number, charge: number, fillCache: boolean): boolean {
    return this.charge + charge <= this.capacity || (fillCache && this.missCounter.miss(id, block) >= MISSES_TO_ADMIT)
  }

  private insert (id: number, block: number, value: B, charge: number): void {
    let blocks = this.tables[id]
    const existing = blocks?.[block]
    if (existing !== undefined) this.remove(existing)
    if (charge > this.capacity) return
    if (blocks === undefined) {
      blocks = []
      this.tables[id] = blocks
    }
    // Filled up to `block` rather than written past its end, so the array stays a plain one
    // and does not turn into a dictionary when a table's first cached block is a far one.
    while (blocks.length <= block) blocks.push(undefined)
    // Room first, so that the hand never takes the block being added.
    while (this.charge + charge > this.capacity) this.evictOne()
    const entry: Entry<B> = { id, block, value, charge, referenced: false, position: this.ring.length }
    blocks[block] = entry
    this.ring.push(entry)
    this.charge += charge
  }

  delete (id: number, block: number): void {
    const entry = this.tables[id]?.[block]
    if (entry !== undefined) this.remove(entry)
  }

  storedBlock (id: number, block: number, length: number): Buffer | undefined {
    return this.stored.get(id, block, length)
  }

  keepStored (id: number, block: number, bytes: Buffer, length: number): void {
    this.stored.put(id, block, bytes, length)
  }

  /** Drops every block of table `id` (when the table closes). */
  dropTable (id: number): void {
    this.stored.dropTable(id)
    const blocks = this.tables[id]
    if (blocks === undefined) return
    for (const entry of blocks) if (entry !== undefined) this.remove(entry)
    this.tables[id] = undefined
  }

  clear (): void {
    this.stored.clear()
    this.tables.length = 0
    this.ring.length = 0
    this.hand = 0
    this.charge = 0
  }

  private evictOne (): void {
    // Terminates: each pass clears flags, so the second pass at the latest finds a victim.
    for (;;) {
      if (this.hand >= this.ring.length) this.hand = 0
      const entry = this.ring[this.hand]
      if (!entry.referenced) {
        this.remove(entry)
        return
      }
      entry.referenced = false
      this.hand++
    }
  }

  /** Takes entry out of its table's array and out of the ring (the last entry fills its place). */
  private remove (entry: Entry<B>): void {
    const blocks = this.tables[entry.id]
    if (blocks !== undefined) blocks[entry.block] = undefined
    const last = this.ring.pop() as Entry<B>
    if (last !== entry) {
      this.ring[entry.position] = last
      last.position = entry.position
    }
    this.charge -= entry.charge
  }
}
