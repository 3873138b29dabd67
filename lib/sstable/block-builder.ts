// Builds one data, index or metaindex block (leveldb-format.md §6.3):
//
//   entry*       shared: varint32 | non_shared: varint32 | value_length: varint32 |
//                key_delta[non_shared] | value[value_length]
//   restart*     fixed32 LE offset of each entry stored with shared = 0
//   num_restarts fixed32 LE
//
// Keys are whole byte strings (internal keys, or names in the metaindex) added in increasing
// order; the builder does not check the order, the table builder does.

import { ByteWriter, putFixed32, putVarint } from '../format/coding'

const MAX_RETAINED_BUFFER = 1 << 20

export class BlockBuilder {
  private readonly restartInterval: number
  private out = new ByteWriter(4096)
  private restarts: number[] = [0]
  private counter = 0
  private lastKey = Buffer.allocUnsafe(64)
  private lastKeyLength = 0
  private finished = false

  constructor (restartInterval: number) {
    if (!(restartInterval >= 1)) throw new RangeError('restartInterval must be at least 1')
    this.restartInterval = restartInterval
  }

  get empty (): boolean {
    return this.out.length === 0
  }

  /** Bytes finish() would return: entries, the restart array and its count. */
  estimatedSize (): number {
    if (this.finished) return this.out.length
    return this.out.length + this.restarts.length * 4 + 4
  }

  /** Appends key[0, keyLength) with `value`. */
  add (key: Uint8Array, value: Uint8Array, keyLength = key.length): void {
    this.addFrom(key, keyLength, value, 0, value.length)
  }

  /** Appends key[0, keyLength) with the value valueSource[valueStart, valueEnd) (no view made). */
  addFrom (key: Uint8Array, keyLength: number, valueSource: Uint8Array, valueStart: number, valueEnd: number): void {
    if (this.finished) throw new Error('BlockBuilder: add after finish')
    let shared = 0
    if (this.counter < this.restartInterval) {
      const last = this.lastKey
      const n = keyLength < this.lastKeyLength ? keyLength : this.lastKeyLength
      while (shared < n && last[shared] === key[shared]) shared++
    } else {
      this.restarts.push(this.out.length)
      this.counter = 0
    }
    const nonShared = keyLength - shared
    const valueLength = valueEnd - valueStart
    const out = this.out
    out.reserve(15 + nonShared + valueLength)
    const buf = out.buffer
    let p = out.length
    if (shared < 0x80 && nonShared < 0x80 && valueLength < 0x80) {
      buf[p] = shared
      buf[p + 1] = nonShared
      buf[p + 2] = valueLength
      p += 3
    } else {
      p = putVarint(buf, putVarint(buf, putVarint(buf, p, shared), nonShared), valueLength)
    }
    if (nonShared < 32) {
      for (let i = 0; i < nonShared; i++) buf[p + i] = key[shared + i]
    } else {
      buf.set(key.subarray(shared, keyLength), p)
    }
    p += nonShared
    if (valueLength < 32) {
      for (let i = 0; i < valueLength; i++) buf[p + i] = valueSource[valueStart + i]
    } else {
      buf.set(valueSource.subarray(valueStart, valueEnd), p)
    }
    out.length = p + valueLength
    this.rememberKey(key, shared, keyLength)
    this.counter++
  }

  /** The finished block (a view into the builder; valid until reset()). */
  finish (): Buffer {
    if (!this.finished) {
      const out = this.out
      out.reserve(this.restarts.length * 4 + 4)
      let p = out.length
      for (const restart of this.restarts) p = putFixed32(out.buffer, p, restart)
      out.length = putFixed32(out.buffer, p, this.restarts.length)
      this.finished = true
    }
    return this.out.view()
  }

  reset (): void {
    // Do not keep a huge buffer alive after one block held a huge value.
    if (this.out.buffer.length > MAX_RETAINED_BUFFER) this.out = new ByteWriter(4096)
    this.out.reset()
    this.restarts = [0]
    this.counter = 0
    this.lastKeyLength = 0
    this.finished = false
  }

  private rememberKey (key: Uint8Array, shared: number, keyLength: number): void {
    if (this.lastKey.length < keyLength) {
      const grown = Buffer.allocUnsafe(Math.max(keyLength, this.lastKey.length * 2))
      grown.set(this.lastKey.subarray(0, shared))
      this.lastKey = grown
    }
    const last = this.lastKey
    if (keyLength - shared < 32) {
      for (let i = shared; i < keyLength; i++) last[i] = key[i]
    } else {
      last.set(key.subarray(shared, keyLength), shared)
    }
    this.lastKeyLength = keyLength
  }
}
