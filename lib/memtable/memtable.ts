// The memtable: every write lands here (after the WAL) until it is flushed to a table.
//
// It is a skiplist whose entries live in one growable byte arena and whose nodes live in
// an Int32Array, so a memtable of a hundred thousand entries is two allocations, not a
// hundred thousand objects for the garbage collector to trace. Nothing is ever removed or
// moved within a memtable's life (the arena only grows by copying into a bigger buffer),
// so an iterator stays valid while writes continue, and a reader at an older sequence
// simply skips newer entries.
//
// Entry layout in the arena (native byte order is irrelevant: this never reaches disk):
//
//   offset+0   keyLength   uint32 LE
//   offset+4   valueLength uint32 LE
//   offset+8   sequence    float64 LE   (exact below 2^53)
//   offset+16  kind        uint8        (0 deletion, 1 value)
//   offset+17  key bytes, then value bytes
//
// Node layout in `nodes` (indexes into the Int32Array):
//
//   node+0     entry offset in the arena
//   node+1     height h (1..MAX_HEIGHT)
//   node+2..   next node for levels 0..h-1 (0 = none; node 0 is the head and never a successor)

import { compareRanges } from '../format/bytes'

import { ValueKind } from '../format/internal-key'
import type { EntryLocation, InternalIterator } from '../iterator/internal-iterator'

/**
 * The memtable's storage, in shared memory so that a background worker can flush a sealed
 * memtable by reading it in place (structured clone shares a SharedArrayBuffer, no copy).
 */
export interface MemTableImage {
  arena: SharedArrayBuffer
  used: number
  nodes: SharedArrayBuffer
  nodesUsed: number
  height: number
  count: number
  lastSequence: number
}

function sharedBuffer (bytes: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(bytes))
}

function sharedInts (count: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(count * 4))
}

const MAX_HEIGHT = 12
const ENTRY_HEADER = 17
const HEAD = 0
const NONE = 0

export class MemTable {
  private arena: Buffer
  private used = 0
  private nodes: Int32Array
  private nodesUsed = 0
  private height = 1
  private readonly prevScratch = new Int32Array(MAX_HEIGHT)
  private random = 0x2545f491
  /** Number of entries (all versions and tombstones). */
  count = 0
  /** Highest sequence inserted; 0 when empty. */
  lastSequence = 0
  /** Iterators and reads that still use this memtable after it stopped being current. */
  refs = 0

  constructor (initialArenaBytes = 64 * 1024, image?: MemTableImage) {
    if (image !== undefined) {
      this.arena = Buffer.from(image.arena)
      this.used = image.used
      this.nodes = new Int32Array(image.nodes)
      this.nodesUsed = image.nodesUsed
      this.height = image.height
      this.count = image.count
      this.lastSequence = image.lastSequence
      return
    }
    this.arena = sharedBuffer(initialArenaBytes)
    this.nodes = sharedInts(2048)
    this.nodesUsed = 2 + MAX_HEIGHT
    this.nodes[1] = MAX_HEIGHT
  }

  /**
   * Empties the memtable for reuse, keeping its (shared) storage: a flushed memtable's arena
   * serves the next one, so memory stays bounded by what is in use rather than by how soon
   * the garbage collectors of two threads let go of old arenas. Only call it once nothing
   * reads the memtable anymore (no iterator, no background job).
   */
  reset (): void {
    this.used = 0
    this.nodesUsed = 2 + MAX_HEIGHT
    this.nodes.fill(0, 0, this.nodesUsed)
    this.nodes[1] = MAX_HEIGHT
    this.height = 1
    this.count = 0
    this.lastSequence = 0
    this.refs = 0
  }

  get arenaCapacity (): number {
    return this.arena.length
  }

  /** Shares the storage of a memtable that will receive no more writes. */
  image (): MemTableImage {
    return {
      arena: this.arena.buffer as SharedArrayBuffer,
      used: this.used,
      nodes: this.nodes.buffer as SharedArrayBuffer,
      nodesUsed: this.nodesUsed,
      height: this.height,
      count: this.count,
      lastSequence: this.lastSequence
    }
  }

  /** A read-only view of a memtable shared by image() (in a worker thread). */
  static fromImage (image: MemTableImage): MemTable {
    return new MemTable(0, image)
  }

  /** Bytes held: the basis of the writeBufferSize limit and of approximate-memory-usage. */
  approximateMemoryUsage (): number {
    return this.used + this.nodesUsed * 4
  }

  get empty (): boolean {
    return this.count === 0
  }

  /**
   * Inserts (key, sequence, kind, value), copying key and value from `source` ranges so the
   * write path can insert straight from an encoded WriteBatch without slicing it.
   */
  add (
    sequence: number, kind: ValueKind,
    source: Uint8Array, keyStart: number, keyEnd: number,
    valueSource: Uint8Array, valueStart: number, valueEnd: number
  ): void {
    const keyLength = keyEnd - keyStart
    const valueLength = valueEnd - valueStart
    const entry = this.allocateEntry(ENTRY_HEADER + keyLength + valueLength)
    const arena = this.arena
    arena.writeUInt32LE(keyLength, entry)
    arena.writeUInt32LE(valueLength, entry + 4)
    arena.writeDoubleLE(sequence, entry + 8)
    arena[entry + 16] = kind
    arena.set(source.subarray(keyStart, keyEnd), entry + ENTRY_HEADER)
    if (valueLength > 0) arena.set(valueSource.subarray(valueStart, valueEnd), entry + ENTRY_HEADER + keyLength)

    // Find the predecessors at every level, then splice in a node of random height.
    const prev = this.prevScratch
    let node = HEAD
    const nodes = this.nodes
    for (let level = this.height - 1; level >= 0; level--) {
      let next = nodes[node + 2 + level]
      while (next !== NONE && this.compareNodeTo(next, source, keyStart, keyEnd, sequence) < 0) {
        node = next
        next = nodes[node + 2 + level]
      }
      prev[level] = node
    }
    const height = this.randomHeight()
    if (height > this.height) {
      for (let level = this.height; level < height; level++) prev[level] = HEAD
      this.height = height
    }
    const created = this.allocateNode(height)
    const after = this.nodes // allocateNode may have grown the array
    after[created] = entry
    after[created + 1] = height
    for (let level = 0; level < height; level++) {
      after[created + 2 + level] = after[prev[level] + 2 + level]
      after[prev[level] + 2 + level] = created
    }
    this.count++
    if (sequence > this.lastSequence) this.lastSequence = sequence
  }

  /**
   * Looks up the newest version of key[start, end) with a sequence <= `sequence`. Returns the
   * node (pass it to kindOf/valueOf) or 0 when the memtable holds no such version.
   */
  find (key: Uint8Array, start: number, end: number, sequence: number): number {
    const node = this.seekNode(key, start, end, sequence)
    if (node === NONE) return NONE
    const entry = this.nodes[node]
    const keyLength = this.arena.readUInt32LE(entry)
    const keyOffset = entry + ENTRY_HEADER
    if (compareRanges(this.arena, keyOffset, keyOffset + keyLength, key, start, end) !== 0) return NONE
    return node
  }

  kindOf (node: number): ValueKind {
    return this.arena[this.nodes[node] + 16]
  }

  /** A view of the value of `node`; valid for the memtable's life (the arena is never rewritten). */
  valueOf (node: number): Buffer {
    const entry = this.nodes[node]
    const arena = this.arena
    const keyLength = arena.readUInt32LE(entry)
    const start = entry + ENTRY_HEADER + keyLength
    return arena.subarray(start, start + arena.readUInt32LE(entry + 4))
  }

  /** Copies the value of `node` into a fresh string without an intermediate Buffer. */
  valueString (node: number, encoding: BufferEncoding): string {
    const entry = this.nodes[node]
    const arena = this.arena
    const start = entry + ENTRY_HEADER + arena.readUInt32LE(entry)
    return arena.toString(encoding, start, start + arena.readUInt32LE(entry + 4))
  }

  iterator (): InternalIterator {
    return new MemTableIterator(this)
  }

  // --- internals shared with the iterator ---

  /** The first node at or after (key, sequence) in internal order, or 0. */
  seekNode (key: Uint8Array, start: number, end: number, sequence: number): number {
    return this.nodes[this.seekBefore(key, start, end, sequence) + 2]
  }

  /** The last node strictly before (key, sequence), or 0 (HEAD) when none. */
  seekBefore (key: Uint8Array, start: number, end: number, sequence: number): number {
    const nodes = this.nodes
    let node = HEAD
    for (let level = this.height - 1; level >= 0; level--) {
      let next = nodes[node + 2 + level]
      while (next !== NONE && this.compareNodeTo(next, key, start, end, sequence) < 0) {
        node = next
        next = nodes[node + 2 + level]
      }
    }
    return node
  }

  /** The last node in the list, or 0 when empty. */
  lastNode (): number {
    const nodes = this.nodes
    let node = HEAD
    for (let level = this.height - 1; level >= 0; level--) {
      let next = nodes[node + 2 + level]
      while (next !== NONE) {
        node = next
        next = nodes[node + 2 + level]
      }
    }
    return node
  }

  firstNode (): number {
    return this.nodes[HEAD + 2]
  }

  nextNode (node: number): number {
    return this.nodes[node + 2]
  }

  nodeArena (): Buffer {
    return this.arena
  }

  entryOf (node: number): number {
    return this.nodes[node]
  }

  /** Internal order of node's entry relative to (key[start,end), sequence): <0 when the node sorts first. */
  private compareNodeTo (node: number, key: Uint8Array, start: number, end: number, sequence: number): number {
    const arena = this.arena
    const entry = this.nodes[node]
    const keyOffset = entry + ENTRY_HEADER
    const c = compareRanges(arena, keyOffset, keyOffset + arena.readUInt32LE(entry), key, start, end)
    if (c !== 0) return c
    const nodeSequence = arena.readDoubleLE(entry + 8)
    // Newer (larger) sequences sort first.
    return nodeSequence > sequence ? -1 : nodeSequence < sequence ? 1 : 0
  }

  private allocateEntry (size: number): number {
    if (this.used + size > this.arena.length) {
      let capacity = this.arena.length * 2
      while (capacity < this.used + size) capacity *= 2
      const grown = sharedBuffer(capacity)
      this.arena.copy(grown, 0, 0, this.used)
      this.arena = grown
    }
    const offset = this.used
    this.used += size
    return offset
  }

  private allocateNode (height: number): number {
    const size = 2 + height
    if (this.nodesUsed + size > this.nodes.length) {
      const grown = sharedInts(this.nodes.length * 2)
      grown.set(this.nodes)
      this.nodes = grown
    }
    const node = this.nodesUsed
    this.nodesUsed += size
    return node
  }

  /** Height with probability 1/4 per extra level (xorshift32; no need for crypto quality). */
  private randomHeight (): number {
    let height = 1
    let x = this.random
    for (;;) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      if ((x & 3) !== 0 || height >= MAX_HEIGHT) break
      height++
    }
    this.random = x
    return height
  }
}

class MemTableIterator implements InternalIterator {
  private node = NONE

  constructor (private readonly table: MemTable) {}

  valid (): boolean {
    return this.node !== NONE
  }

  seekToFirst (): void {
    this.node = this.table.firstNode()
  }

  seekToLast (): void {
    this.node = this.table.lastNode()
  }

  seek (userKey: Uint8Array, sequence: number): void {
    this.node = this.table.seekNode(userKey, 0, userKey.length, sequence)
  }

  next (): void {
    this.node = this.table.nextNode(this.node)
  }

  prev (): void {
    const arena = this.table.nodeArena()
    const entry = this.table.entryOf(this.node)
    const keyOffset = entry + ENTRY_HEADER
    const keyEnd = keyOffset + arena.readUInt32LE(entry)
    this.node = this.table.seekBefore(arena, keyOffset, keyEnd, arena.readDoubleLE(entry + 8))
  }

  userKey (): Buffer {
    const arena = this.table.nodeArena()
    const entry = this.table.entryOf(this.node)
    return arena.subarray(entry + ENTRY_HEADER, entry + ENTRY_HEADER + arena.readUInt32LE(entry))
  }

  sequence (): number {
    return this.table.nodeArena().readDoubleLE(this.table.entryOf(this.node) + 8)
  }

  kind (): ValueKind {
    return this.table.kindOf(this.node)
  }

  value (): Buffer {
    return this.table.valueOf(this.node)
  }

  read (into: EntryLocation): void {
    const arena = this.table.nodeArena()
    const entry = this.table.entryOf(this.node)
    const keyStart = entry + ENTRY_HEADER
    const keyEnd = keyStart + arena.readUInt32LE(entry)
    into.keySource = arena
    into.keyStart = keyStart
    into.keyEnd = keyEnd
    into.valueSource = arena
    into.valueStart = keyEnd
    into.valueEnd = keyEnd + arena.readUInt32LE(entry + 4)
    into.sequence = arena.readDoubleLE(entry + 8)
    into.kind = arena[entry + 16]
  }

  close (): void {
    this.node = NONE
  }
}
