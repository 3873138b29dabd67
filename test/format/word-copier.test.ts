import test = require('tape')
import { WordCopier } from '../../lib/format/word-copier'

function pattern (length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 17) & 0xff
  return bytes
}

test('word copier: every length from 0 to 500, at odd offsets, into a shared target', (t) => {
  const target = Buffer.from(new SharedArrayBuffer(4096))
  const copier = new WordCopier(target)
  const source = pattern(1024, 1)
  let bad = 0
  for (let length = 0; length <= 500; length++) {
    target.fill(0xee)
    const start = length % 7
    const at = 1 + (length % 5)
    copier.copy(source, start, start + length, at)
    for (let i = 0; i < length; i++) if (target[at + i] !== source[start + i]) bad++
    if (target[at - 1] !== 0xee || target[at + length] !== 0xee) bad++ // nothing outside the range
  }
  t.equal(bad, 0, 'each copy is exact and stays inside its range')
  t.end()
})

test('word copier: sources that are views at an offset, and different views of one buffer', (t) => {
  const target = Buffer.alloc(2048)
  const copier = new WordCopier(target)
  const backing = pattern(4096, 2)
  // Two views of the same memory at different offsets: the copier must not take one for the other.
  const first = new Uint8Array(backing.buffer, 3, 1000)
  const second = new Uint8Array(backing.buffer, 700, 1000)
  copier.copy(first, 10, 110, 0)
  copier.copy(second, 10, 110, 200)
  copier.copy(first, 20, 220, 400)
  t.ok(Buffer.from(target.subarray(0, 100)).equals(Buffer.from(first.subarray(10, 110))), 'first view')
  t.ok(Buffer.from(target.subarray(200, 300)).equals(Buffer.from(second.subarray(10, 110))), 'second view, same buffer')
  t.ok(Buffer.from(target.subarray(400, 600)).equals(Buffer.from(first.subarray(20, 220))), 'back to the first')
  // A pooled Buffer (a view into Node's shared pool, at a non-zero offset).
  const pooled = Buffer.from('x'.repeat(30) + 'the value of a put, one hundred bytes long or so.........................................')
  t.ok(pooled.byteOffset > 0 || pooled.buffer.byteLength === pooled.length, 'a view into a larger buffer, where Node pools')
  copier.copy(pooled, 30, pooled.length, 1000)
  t.equal(target.subarray(1000, 1000 + pooled.length - 30).toString(), pooled.subarray(30).toString())
  t.end()
})

test('word copier: after retarget it writes to the new target; forget keeps copies right', (t) => {
  const source = pattern(600, 3)
  const small = Buffer.alloc(256)
  const copier = new WordCopier(small)
  copier.copy(source, 0, 100, 10)
  const grown = Buffer.alloc(1024)
  small.copy(grown)
  copier.retarget(grown)
  copier.copy(source, 100, 400, 500)
  t.ok(grown.subarray(10, 110).equals(Buffer.from(source.subarray(0, 100))), 'earlier bytes carried over')
  t.ok(grown.subarray(500, 800).equals(Buffer.from(source.subarray(100, 400))), 'later copy in the new target')
  t.ok(small.subarray(110, 256).every((b) => b === 0), 'the old target is left alone')
  copier.forget()
  copier.copy(source, 1, 200, 0)
  t.ok(grown.subarray(0, 199).equals(Buffer.from(source.subarray(1, 200))), 'a copy after forget')
  t.end()
})
