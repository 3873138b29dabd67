// The memtable: every write lands here (after the WAL) until it is flushed to a table.
//
// It is a skiplist whose entries live in one growable byte arena and whose nodes live in
// an Int32Array, so a memtable of a hundred thousand entries is two allocations, not a
// hundred thousand objects for the garbage collector to trace. Nothing is ever removed or
// moved within a memtable's life (the arena only grows by copying into a bigger buffer),
// so an iterator stays valid while writes continue, and a reader at an older sequence
// simply skips newer entries.
//
// Entry layout in the arena, each entry starting at a multiple of 8 so that the header is
// read through Uint32Array and Float64Array views of the same memory (native byte order,
// which is irrelevant: this never reaches disk):
//
//   offset+0   keyLength   uint32
//   offset+4   valueLength uint32
//   offset+8   sequence    float64      (exact below 2^53)
//   offset+16  kind        uint8        (0 deletion, 1 value)
//   offset+17  key bytes, then value bytes, then padding to the next multiple of 8
//
// Node layout in `nodes` (indexes into the Int32Array):
//
//   node+0     entry offset in the arena
//   node+1     height h (1..MAX_HEIGHT)
//   node+2     key bytes [skip, skip + 4) big-endian, sign bit flipped (int32 order = byte order)
//   node+3     key bytes [skip + 4, skip + 8), the same way; bytes past the key's end read as 0
//   node+4..   next node for levels 0..h-1 (0 = none; node 0 is the head and never a successor)
//
// `skip` is the length of the prefix every key in the memtable shares (at most MAX_SKIP). A
// search compares these two words before any key bytes: they sit beside the next pointers
// the search reads anyway, so most steps touch no arena memory. (A random insert into a
// 4 MiB memtable took ~26 comparisons, each a cache miss into the arena: 1.2 µs an insert
// alone, 2.5 µs among a write path's other work.) The words order as the keys do, so a
// difference in them decides; only equal words fall back to comparing bytes. A key that
// shares less with the others shrinks `skip`, and every node's words are recomputed: that
// happens at most MAX_SKIP times per memtable, nearly always while it is still small.

import { compareRanges } from '../format/bytes'
import { WordCopier } from '../format/word-copier'
import { bloomHash } from '../bloom/bloom-hash'
import { KeyIndex } from './key-index'

import { ValueKind } from '../format/internal-key'
import type { EntryLocation, InternalIterator } from '../base/internal-iterator'
import { MemTableIterator } from './memtable-iterator'

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
  skip: number
  firstEntry: number
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
// Reverse steps take runs of the nodes between two that reach this level (nodesBefore).
const BACK_LEVEL = 2
const MAX_SKIP = 32
/** Offset of a node's first next pointer; see the node layout. */
const NEXT = 4
const ENTRY_HEADER = 17
const ENTRY_ALIGN = 8

function alignUp (n: number): number {
  return (n + ENTRY_ALIGN - 1) & ~(ENTRY_ALIGN - 1)
}
const HEAD = 0
const NONE = 0

/**
 * bytes[at, at + 4) big-endian, bytes at or past `end` as 0, with the sign bit flipped so that
 * comparing two such int32s orders them as their bytes.
 */
function wordAt (bytes: Uint8Array, at: number, end: number): number {
  if (at + 4 <= end) return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) ^ 0x80000000
  let word = 0
  for (let i = 0; i < 4; i++) word = (word << 8) | (at + i < end ? bytes[at + i] : 0)
  return word ^ 0x80000000
}

export class MemTable {
  private arena: Buffer
  // Views of the arena's memory for entry headers: words[entry / 4] is the key length,
  // words[entry / 4 + 1] the value length, doubles[entry / 8 + 1] the sequence.
  private words: Uint32Array
  private doubles: Float64Array
  // Copies keys and values into the arena.
  private readonly copier: WordCopier
  private used = 0
  private nodes: Int32Array
  private nodesUsed = 0
  private height = 1
  // Every key starts with the first entry's key bytes [0, skip) (see the node layout).
  private skip = 0
  private firstEntry = 0
  // The words of the key being inserted or sought, set by targetWords().
  private targetHigh = 0
  private targetLow = 0
  private readonly prevScratch = new Int32Array(MAX_HEIGHT)
  // The last inserted node, and per level the last node at or before it: a key that goes
  // right after the last one (sequential writes, and their replay) has exactly these as its
  // predecessors, so it is inserted with no search.
  private last = NONE
  private readonly finger = new Int32Array(MAX_HEIGHT)
  // Each user key's newest node (key-index.ts), so that a Get needs no skiplist search.
  // Undefined in a worker's read-only view: workers only scan.
  private readonly keyIndex: KeyIndex | undefined
  private random = 0x2545f491
  /** Keeps touchAhead's loads observable so that they are not optimised away. */
  private sink = 0
  /** Number of entries (all versions and tombstones). */
  count = 0
  /** Highest sequence inserted; 0 when empty. */
  lastSequence = 0
  /** Iterators and reads that still use this memtable after it stopped being current. */
  refs = 0

  constructor (initialArenaBytes = 64 * 1024, image?: MemTableImage) {
    // Sized for entries of 128 bytes (it grows if they are smaller).
    this.keyIndex = image === undefined ? new KeyIndex(this, initialArenaBytes / 128) : undefined
    if (image !== undefined) {
      this.arena = Buffer.from(image.arena)
      this.words = new Uint32Array(image.arena)
      this.doubles = new Float64Array(image.arena)
      this.used = image.used
      this.nodes = new Int32Array(image.nodes)
      this.nodesUsed = image.nodesUsed
      this.height = image.height
      this.skip = image.skip
      this.firstEntry = image.firstEntry
      this.count = image.count
      this.lastSequence = image.lastSequence
      this.copier = new WordCopier(this.arena)
      return
    }
    this.arena = sharedBuffer(alignUp(initialArenaBytes))
    this.words = new Uint32Array(this.arena.buffer)
    this.doubles = new Float64Array(this.arena.buffer)
    this.copier = new WordCopier(this.arena)
    this.nodes = sharedInts(2048)
    this.nodesUsed = NEXT + MAX_HEIGHT
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
    this.nodesUsed = NEXT + MAX_HEIGHT
    this.nodes.fill(0, 0, this.nodesUsed)
    this.nodes[1] = MAX_HEIGHT
    this.height = 1
    this.skip = 0
    this.firstEntry = 0
    this.count = 0
    this.lastSequence = 0
    this.refs = 0
    this.last = NONE
    this.finger.fill(HEAD)
    this.keyIndex?.clear()
    this.copier.forget()
  }

  get arenaCapacity (): number {
    return this.arena.length
  }

  /** Shares the storage of a memtable that will receive no more writes. */
  image (): MemTableImage {
    this.copier.forget()
    return {
      arena: this.arena.buffer as SharedArrayBuffer,
      used: this.used,
      nodes: this.nodes.buffer as SharedArrayBuffer,
      nodesUsed: this.nodesUsed,
      height: this.height,
      skip: this.skip,
      firstEntry: this.firstEntry,
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
    const entry = this.allocateEntry(alignUp(ENTRY_HEADER + keyLength + valueLength))
    const arena = this.arena
    this.words[entry >>> 2] = keyLength
    this.words[(entry >>> 2) + 1] = valueLength
    this.doubles[(entry >>> 3) + 1] = sequence
    arena[entry + 16] = kind
    this.copier.copy(source, keyStart, keyEnd, entry + ENTRY_HEADER)
    if (valueLength > 0) this.copier.copy(valueSource, valueStart, valueEnd, entry + ENTRY_HEADER + keyLength)

    if (this.count === 0) {
      this.firstEntry = entry
      this.skip = Math.min(keyLength, MAX_SKIP)
    } else {
      const shared = this.sharedWithFirst(arena, entry + ENTRY_HEADER, entry + ENTRY_HEADER + keyLength)
      if (shared < this.skip) this.shrinkSkip(shared)
    }
    this.targetWords(source, keyStart, keyEnd)

    // Find the predecessors at every level, then splice in a node of random height.
    const prev = this.prevScratch
    const nodes = this.nodes
    const last = this.last
    let afterLast = false
    if (last !== NONE && this.compareNodeTo(last, source, keyStart, keyEnd, sequence) < 0) {
      const following = nodes[last + NEXT]
      afterLast = following === NONE || this.compareNodeTo(following, source, keyStart, keyEnd, sequence) > 0
    }
    if (afterLast) {
      prev.set(this.finger)
    } else {
      let node = HEAD
      for (let level = this.height - 1; level >= 0; level--) {
        let next = nodes[node + NEXT + level]
        while (next !== NONE && this.compareNodeTo(next, source, keyStart, keyEnd, sequence) < 0) {
          node = next
          next = nodes[node + NEXT + level]
        }
        prev[level] = node
      }
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
    after[created + 2] = this.targetHigh
    after[created + 3] = this.targetLow
    const finger = this.finger
    for (let level = 0; level < height; level++) {
      after[created + NEXT + level] = after[prev[level] + NEXT + level]
      after[prev[level] + NEXT + level] = created
    }
    for (let level = 0; level < this.height; level++) finger[level] = level < height ? created : prev[level]
    this.last = created
    this.count++
    if (sequence > this.lastSequence) this.lastSequence = sequence
    // (A memtable shared from a worker's image is read-only: it has no index to fill.)
    this.keyIndex?.record(bloomHash(source, keyStart, keyEnd), created, source, keyStart, keyEnd, sequence)
  }

  /**
   * Looks up the newest version of key[start, end) with a sequence <= `sequence`. Returns the
   * node (pass it to kindOf/valueOf) or 0 when the memtable holds no such version.
   */
  find (key: Uint8Array, start: number, end: number, sequence: number): number {
    if (this.count === 0) return NONE
    const keyIndex = this.keyIndex
    if (keyIndex !== undefined) {
      // The newest version, then older ones (they follow it on level 0) down to `sequence`.
      let node = keyIndex.newest(bloomHash(key, start, end), key, start, end)
      while (node !== NONE && this.nodeSequence(node) > sequence) {
        node = this.nodes[node + NEXT]
        if (node !== NONE && !this.nodeKeyEquals(node, key, start, end)) return NONE
      }
      return node
    }
    const node = this.seekNode(key, start, end, sequence)
    if (node === NONE) return NONE
    const entry = this.nodes[node]
    const keyLength = this.words[entry >>> 2]
    const keyOffset = entry + ENTRY_HEADER
    if (compareRanges(this.arena, keyOffset, keyOffset + keyLength, key, start, end) !== 0) return NONE
    return node
  }

  /** Whether node's user key is key[start, end) (for the key index). */
  nodeKeyEquals (node: number, key: Uint8Array, start: number, end: number): boolean {
    const entry = this.nodes[node]
    const keyLength = this.words[entry >>> 2]
    if (keyLength !== end - start) return false
    const arena = this.arena
    const keyOffset = entry + ENTRY_HEADER
    if (keyLength > 32) return compareRanges(arena, keyOffset, keyOffset + keyLength, key, start, end) === 0
    for (let i = 0; i < keyLength; i++) if (arena[keyOffset + i] !== key[start + i]) return false
    return true
  }

  nodeSequence (node: number): number {
    return this.doubles[(this.nodes[node] >>> 3) + 1]
  }

  kindOf (node: number): ValueKind {
    return this.arena[this.nodes[node] + 16]
  }

  /** A view of the value of `node`; valid for the memtable's life (the arena is never rewritten). */
  valueOf (node: number): Buffer {
    const entry = this.nodes[node]
    const start = entry + ENTRY_HEADER + this.words[entry >>> 2]
    return this.arena.subarray(start, start + this.words[(entry >>> 2) + 1])
  }

  /** Copies the value of `node` into a fresh string without an intermediate Buffer. */
  valueString (node: number, encoding: BufferEncoding): string {
    const entry = this.nodes[node]
    const start = entry + ENTRY_HEADER + this.words[entry >>> 2]
    return this.arena.toString(encoding, start, start + this.words[(entry >>> 2) + 1])
  }

  iterator (): InternalIterator {
    return new MemTableIterator(this)
  }

  // --- internals shared with the iterator ---

  /** The first node at or after (key, sequence) in internal order, or 0. */
  seekNode (key: Uint8Array, start: number, end: number, sequence: number): number {
    return this.nodes[this.seekBefore(key, start, end, sequence) + NEXT]
  }

  /**
   * The last node strictly before (key, sequence), or 0 (HEAD) when none; with `lowestLevel`,
   * the last such node among those that reach that level (the search stops there).
   */
  seekBefore (key: Uint8Array, start: number, end: number, sequence: number, lowestLevel = 0): number {
    if (this.count === 0) return HEAD
    // A key without the shared prefix sorts before or after every entry.
    const arena = this.arena
    const first = this.firstEntry + ENTRY_HEADER
    for (let i = 0; i < this.skip; i++) {
      if (start + i === end) return HEAD
      const d = key[start + i] - arena[first + i]
      if (d < 0) return HEAD
      if (d > 0) return this.lastNode()
    }
    this.targetWords(key, start, end)
    const nodes = this.nodes
    let node = HEAD
    for (let level = this.height - 1; level >= lowestLevel; level--) {
      let next = nodes[node + NEXT + level]
      while (next !== NONE && this.compareNodeTo(next, key, start, end, sequence) < 0) {
        node = next
        next = nodes[node + NEXT + level]
      }
    }
    return node
  }

  /** The last node in the list, or 0 when empty. */
  lastNode (): number {
    const nodes = this.nodes
    let node = HEAD
    for (let level = this.height - 1; level >= 0; level--) {
      let next = nodes[node + NEXT + level]
      while (next !== NONE) {
        node = next
        next = nodes[node + NEXT + level]
      }
    }
    return node
  }

  firstNode (): number {
    return this.nodes[HEAD + NEXT]
  }

  nextNode (node: number): number {
    return this.nodes[node + NEXT]
  }

  /** Reads the headers of `count` entries from `node` on (see MemTableIterator); returns the node after them. */
  touchAhead (node: number, count: number): number {
    const nodes = this.nodes
    const words = this.words
    let sink = 0
    for (let i = 0; i < count && node !== NONE; i++) {
      sink ^= words[nodes[node] >>> 2]
      node = nodes[node + NEXT]
    }
    this.sink = sink
    return node
  }

  /** A view of node's user key; valid for the memtable's life. */
  userKeyOf (node: number): Buffer {
    const keyOffset = this.nodes[node] + ENTRY_HEADER
    return this.arena.subarray(keyOffset, keyOffset + this.words[this.nodes[node] >>> 2])
  }

  /**
   * Sets `out` to a run of the nodes just before `node`, in list order (empty when `node` is
   * the first): those from the last node before it that reaches level BACK_LEVEL, about 16 on
   * average. The list links only forwards, so a step back is a search from the head; taking
   * the nodes of a run in one search and one walk makes a reverse scan cost a search per run
   * instead of per entry. The walk also reads each entry's header, so that their cache misses
   * overlap (as touchAhead does for forward scans).
   */
  nodesBefore (node: number, out: number[]): void {
    out.length = 0
    const nodes = this.nodes
    const words = this.words
    const entry = nodes[node]
    const keyOffset = entry + ENTRY_HEADER
    const lowest = Math.min(BACK_LEVEL, this.height - 1)
    const start = this.seekBefore(this.arena, keyOffset, keyOffset + words[entry >>> 2], this.nodeSequence(node), lowest)
    let sink = 0
    for (let at = start === HEAD ? nodes[HEAD + NEXT] : start; at !== node && at !== NONE; at = nodes[at + NEXT]) {
      sink ^= words[nodes[at] >>> 2]
      out.push(at)
    }
    this.sink = sink
  }

  /** Fills `into` with where node's entry is. */
  readNode (node: number, into: EntryLocation): void {
    const arena = this.arena
    const entry = this.nodes[node]
    const keyStart = entry + ENTRY_HEADER
    const keyEnd = keyStart + this.words[entry >>> 2]
    into.keySource = arena
    into.keyStart = keyStart
    into.keyEnd = keyEnd
    into.valueSource = arena
    into.valueStart = keyEnd
    into.valueEnd = keyEnd + this.words[(entry >>> 2) + 1]
    into.sequence = this.doubles[(entry >>> 3) + 1]
    into.kind = arena[entry + 16]
  }

  /**
   * Internal order of node's entry relative to (key[start,end), sequence): <0 when the node
   * sorts first. The key must have the shared prefix, and targetWords() must have been called.
   */
  private compareNodeTo (node: number, key: Uint8Array, start: number, end: number, sequence: number): number {
    const nodes = this.nodes
    const high = nodes[node + 2]
    if (high !== this.targetHigh) return high < this.targetHigh ? -1 : 1
    const low = nodes[node + 3]
    if (low !== this.targetLow) return low < this.targetLow ? -1 : 1
    const entry = nodes[node]
    const keyOffset = entry + ENTRY_HEADER
    const c = compareRanges(this.arena, keyOffset, keyOffset + this.words[entry >>> 2], key, start, end)
    if (c !== 0) return c
    const nodeSequence = this.doubles[(entry >>> 3) + 1]
    // Newer (larger) sequences sort first.
    return nodeSequence > sequence ? -1 : nodeSequence < sequence ? 1 : 0
  }

  /** Sets targetHigh and targetLow to key[start, end)'s words (see the node layout). */
  private targetWords (key: Uint8Array, start: number, end: number): void {
    const at = start + this.skip
    this.targetHigh = wordAt(key, at, end)
    this.targetLow = wordAt(key, at + 4, end)
  }

  /** How many of the first `skip` bytes arena[start, end) shares with the first entry's key. */
  private sharedWithFirst (arena: Uint8Array, start: number, end: number): number {
    const first = this.firstEntry + ENTRY_HEADER
    const limit = Math.min(this.skip, end - start)
    let i = 0
    while (i < limit && arena[start + i] === arena[first + i]) i++
    return i
  }

  /** Makes `skip` smaller and recomputes every node's words from their keys. */
  private shrinkSkip (skip: number): void {
    this.skip = skip
    const nodes = this.nodes
    const arena = this.arena
    for (let node = nodes[HEAD + NEXT]; node !== NONE; node = nodes[node + NEXT]) {
      const entry = nodes[node]
      const keyEnd = entry + ENTRY_HEADER + this.words[entry >>> 2]
      nodes[node + 2] = wordAt(arena, entry + ENTRY_HEADER + skip, keyEnd)
      nodes[node + 3] = wordAt(arena, entry + ENTRY_HEADER + skip + 4, keyEnd)
    }
  }

  private allocateEntry (size: number): number {
    if (this.used + size > this.arena.length) {
      let capacity = this.arena.length * 2
      while (capacity < this.used + size) capacity *= 2
      const grown = sharedBuffer(capacity)
      this.arena.copy(grown, 0, 0, this.used)
      this.arena = grown
      this.words = new Uint32Array(grown.buffer)
      this.doubles = new Float64Array(grown.buffer)
      this.copier.retarget(grown)
    }
    const offset = this.used
    this.used += size
    return offset
  }

  private allocateNode (height: number): number {
    const size = NEXT + height
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
