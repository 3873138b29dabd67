// Which blocks were missed lately, approximately: the block cache's admission test once it
// is full. A block read once and never again (a get over a database much larger than the
// cache) then does not push out one that reads come back to, and need not be decoded whole
// (sstable/block-probe.ts); a block missed twice within the window gets in. TinyLFU puts the
// same "doorkeeper" in front of its frequency sketch.
//
// A bitset indexed by one hash of (table id, block number), cleared once it has taken as many
// marks as the window is long. A collision can only admit a block early.

const BITS_PER_MARK = 8

export class Doorkeeper {
  private readonly words: Uint32Array
  private readonly shift: number
  private marks = 0

  /** Remembers about the last `window` marks. */
  constructor (private readonly window: number) {
    let bits = 10
    while ((1 << bits) < window * BITS_PER_MARK) bits++
    this.words = new Uint32Array((1 << bits) >>> 5)
    this.shift = 32 - bits
  }

  /** Whether (id, block) was marked since the last clearing; marks it. */
  seenBefore (id: number, block: number): boolean {
    const bit = Math.imul(Math.imul(id, 0x9e3779b1) ^ block, 0x85ebca6b) >>> this.shift
    const word = bit >>> 5
    const mask = 1 << (bit & 31)
    if ((this.words[word] & mask) !== 0) return true
    if (++this.marks > this.window) {
      this.words.fill(0)
      this.marks = 1
    }
    this.words[word] |= mask
    return false
  }
}
