// A byte-charged LRU cache, and the block cache built on it.
//
// Entries sit on a doubly linked list, most recently used at the head, with a Map from key to
// node; get, set and delete are O(1) and a hit moves a node without touching the Map. When the
// total charge passes the capacity, entries leave from the tail. An entry that alone exceeds
// the capacity is not kept. Evicted values that callers still reference simply stay alive
// until the garbage collector takes them: nothing here closes or frees anything.

import type { BlockCacheLike } from '../base/block-cache'

interface Node<K, V> {
  key: K
  value: V
  charge: number
  newer: Node<K, V> | undefined
  older: Node<K, V> | undefined
}

export class LruCache<K, V> {
  readonly capacity: number
  private readonly map = new Map<K, Node<K, V>>()
  private newest: Node<K, V> | undefined = undefined
  private oldest: Node<K, V> | undefined = undefined
  private charge = 0

  constructor (capacityBytes: number) {
    this.capacity = capacityBytes
  }

  get totalCharge (): number {
    return this.charge
  }

  get size (): number {
    return this.map.size
  }

  /** The value for key, now the most recently used; undefined if absent. */
  get (key: K): V | undefined {
    const node = this.map.get(key)
    if (node === undefined) return undefined
    if (node !== this.newest) {
      this.unlink(node)
      this.pushNewest(node)
    }
    return node.value
  }

  has (key: K): boolean {
    return this.map.has(key)
  }

  /** Inserts or replaces key, then evicts least recently used entries down to the capacity. */
  set (key: K, value: V, charge: number): void {
    const existing = this.map.get(key)
    if (existing !== undefined) this.remove(existing)
    if (charge > this.capacity) return
    const node: Node<K, V> = { key, value, charge, newer: undefined, older: undefined }
    this.map.set(key, node)
    this.pushNewest(node)
    this.charge += charge
    while (this.charge > this.capacity && this.oldest !== undefined) this.remove(this.oldest)
  }

  delete (key: K): boolean {
    const node = this.map.get(key)
    if (node === undefined) return false
    this.remove(node)
    return true
  }

  clear (): void {
    this.map.clear()
    this.newest = undefined
    this.oldest = undefined
    this.charge = 0
  }

  /** Keys from least to most recently used (for tests and diagnostics). */
  keys (): K[] {
    const keys: K[] = []
    for (let node = this.oldest; node !== undefined; node = node.newer) keys.push(node.key)
    return keys
  }

  private remove (node: Node<K, V>): void {
    this.unlink(node)
    this.map.delete(node.key)
    this.charge -= node.charge
  }

  private unlink (node: Node<K, V>): void {
    if (node.newer !== undefined) node.newer.older = node.older
    else this.newest = node.older
    if (node.older !== undefined) node.older.newer = node.newer
    else this.oldest = node.newer
    node.newer = undefined
    node.older = undefined
  }

  private pushNewest (node: Node<K, V>): void {
    node.older = this.newest
    node.newer = undefined
    if (this.newest !== undefined) this.newest.newer = node
    else this.oldest = node
    this.newest = node
  }
}

// Block cache keys are numbers, id * 2^32 + offset, so a lookup builds no string. That leaves
// 21 bits for ids: ids are recycled (releaseId) once a table has dropped its blocks, so they
// only count tables open at the same time. Blocks at offsets of 4 GiB and beyond (tables that
// large need a single value of gigabytes) are simply not cached.
const OFFSET_SPAN = 2 ** 32
const MAX_ID = 2 ** 21 - 1

/** Blocks of open tables, charged by their size in bytes (`size`, or as `chargeOf` says). */
export class BlockCache<B> implements BlockCacheLike<B> {
  private readonly lru: LruCache<number, B>
  private nextId = 1
  private readonly freeIds: number[] = []
  /** Lookups that found their block, and those that did not (stats). */
  hits = 0
  misses = 0

  constructor (
    capacityBytes: number,
    private readonly chargeOf: (block: B) => number = (block) => (block as unknown as { size: number }).size
  ) {
    this.lru = new LruCache(capacityBytes)
  }

  get capacity (): number {
    return this.lru.capacity
  }

  get totalCharge (): number {
    return this.lru.totalCharge
  }

  get size (): number {
    return this.lru.size
  }

  /** An id for one opened table. Give it back with releaseId() after the table is closed. */
  newId (): number {
    const recycled = this.freeIds.pop()
    if (recycled !== undefined) return recycled
    if (this.nextId > MAX_ID) throw new Error('BlockCache: too many tables open at once')
    return this.nextId++
  }

  /** Makes `id` reusable. The table that held it must have dropped its blocks (Table.close does). */
  releaseId (id: number): void {
    this.freeIds.push(id)
  }

  get (id: number, offset: number): B | undefined {
    const block = offset < OFFSET_SPAN && id <= MAX_ID ? this.lru.get(id * OFFSET_SPAN + offset) : undefined
    // One increment either way: this runs for every block a read touches.
    if (block === undefined) this.misses++
    else this.hits++
    return block
  }

  set (id: number, offset: number, block: B): void {
    if (offset < OFFSET_SPAN && id <= MAX_ID) this.lru.set(id * OFFSET_SPAN + offset, block, this.chargeOf(block))
  }

  delete (id: number, offset: number): void {
    if (offset < OFFSET_SPAN && id <= MAX_ID) this.lru.delete(id * OFFSET_SPAN + offset)
  }

  clear (): void {
    this.lru.clear()
  }
}
