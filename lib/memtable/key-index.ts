// A hash index over a memtable's user keys: for each key, the node of its newest version.
//
// A Get that finds its key here goes straight to that node (then, for an older snapshot, a
// few steps down the skiplist's bottom level, where older versions of a key follow the
// newest); a key not here is not in the memtable. Without it every Get searched the
// skiplist, about 12% of a getSync on a database just reopened (its WAL replayed into the
// memtable), and a bloom filter only saved that search for keys the memtable does not hold.
//
// Layout: open addressing with linear probing in one Int32Array of slot pairs
//
//   slots[2s]      the key's 32-bit hash (bloomHash), compared before any key bytes
//   slots[2s + 1]  its newest node, 0 for an empty slot (node 0 is the skiplist's head)
//
// The home slot comes from the hash's top bits after a Fibonacci multiply. The table
// doubles when it is half full, so a probe meets an empty slot soon; a rehash moves stored
// hashes only and never looks at keys. Main thread only: a worker reading a shared memtable
// image has none, and searches the skiplist.

const EMPTY = 0
const FIBONACCI = 0x9e3779b1

/** What the index needs of the memtable it indexes. */
export interface IndexedNodes {
  /** Whether node's user key is key[start, end). */
  nodeKeyEquals: (node: number, key: Uint8Array, start: number, end: number) => boolean
  nodeSequence: (node: number) => number
}

export class KeyIndex {
  private slots: Int32Array
  private shift: number
  private keys = 0

  constructor (private readonly nodes: IndexedNodes, expectedKeys: number) {
    let bits = 10
    while ((1 << bits) < 2 * expectedKeys) bits++
    this.slots = new Int32Array(2 << bits)
    this.shift = 32 - bits
  }

  /** Distinct keys indexed. */
  get size (): number {
    return this.keys
  }

  /** The node of the newest version of key[start, end) (whose hash is `hash`), or 0. */
  newest (hash: number, key: Uint8Array, start: number, end: number): number {
    const slots = this.slots
    const mask = (slots.length >>> 1) - 1
    for (let slot = Math.imul(hash, FIBONACCI) >>> this.shift; ; slot = (slot + 1) & mask) {
      const node = slots[2 * slot + 1]
      if (node === EMPTY) return EMPTY
      if (slots[2 * slot] === (hash | 0) && this.nodes.nodeKeyEquals(node, key, start, end)) return node
    }
  }

  /** Records `node`, just inserted with `sequence`, as its key's newest version unless a newer one is. */
  record (hash: number, node: number, key: Uint8Array, start: number, end: number, sequence: number): void {
    const slots = this.slots
    const mask = (slots.length >>> 1) - 1
    for (let slot = Math.imul(hash, FIBONACCI) >>> this.shift; ; slot = (slot + 1) & mask) {
      const held = slots[2 * slot + 1]
      if (held === EMPTY) {
        slots[2 * slot] = hash
        slots[2 * slot + 1] = node
        if (++this.keys * 2 > mask + 1) this.grow()
        return
      }
      if (slots[2 * slot] === (hash | 0) && this.nodes.nodeKeyEquals(held, key, start, end)) {
        if (sequence > this.nodes.nodeSequence(held)) slots[2 * slot + 1] = node
        return
      }
    }
  }

  clear (): void {
    // A memtable taken from the pool at open is often empty already: skip the fill.
    if (this.keys === 0) return
    this.slots.fill(0)
    this.keys = 0
  }

  private grow (): void {
    const old = this.slots
    this.slots = new Int32Array(old.length * 2)
    this.shift--
    const slots = this.slots
    const mask = (slots.length >>> 1) - 1
    for (let i = 0; i < old.length; i += 2) {
      const node = old[i + 1]
      if (node === EMPTY) continue
      const hash = old[i]
      let slot = Math.imul(hash, FIBONACCI) >>> this.shift
      while (slots[2 * slot + 1] !== EMPTY) slot = (slot + 1) & mask
      slots[2 * slot] = hash
      slots[2 * slot + 1] = node
    }
  }
}
