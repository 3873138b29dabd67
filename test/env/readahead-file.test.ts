// ReadaheadFile: a compaction reads each input table from start to end; reads are served
// from one chunk fetched per chunkBytes, earlier views survive later fetches, and reads past
// the end still fail as the file itself would.

import test = require('tape')
import type { RandomAccessFile } from '../../lib/env/env'
import { ReadaheadFile } from '../../lib/env/readahead-file'

/** A file over `bytes` that counts the reads reaching it. */
function countingFile (bytes: Buffer): RandomAccessFile & { reads: number } {
  return {
    path: '/db/000007.ldb',
    size: bytes.length,
    reads: 0,
    read (offset: number, length: number): Buffer {
      this.reads++
      if (offset + length > bytes.length) throw Object.assign(new Error(`truncated read at offset ${bytes.length}`), { code: 'LEVEL_CORRUPTION' })
      return Buffer.from(bytes.subarray(offset, offset + length))
    },
    readInto (offset: number, length: number, into: Buffer): void {
      into.set(this.read(offset, length))
    },
    close (): void {}
  }
}

const bytes = Buffer.from(Array.from({ length: 10000 }, (_, i) => (i * 7 + 3) & 0xff))

test('sequential reads of short blocks: one inner read per chunk, the same bytes', (t) => {
  const inner = countingFile(bytes)
  const file = new ReadaheadFile(inner, 4096)
  const views: Buffer[] = []
  let same = true
  for (let offset = 0; offset + 100 <= bytes.length; offset += 100) {
    const view = file.read(offset, 100)
    views.push(view)
    if (!view.equals(bytes.subarray(offset, offset + 100))) same = false
  }
  t.ok(same, 'every read returns the bytes at its offset')
  t.is(inner.reads, 3, '100 reads of 100 bytes made 3 reads of at most 4096')
  t.ok(views.every((view, i) => view.equals(bytes.subarray(i * 100, i * 100 + 100))), 'views from earlier chunks are intact after later fetches')
  t.end()
})

test('a read larger than a chunk, a read back before the chunk, a read at the tail', (t) => {
  const inner = countingFile(bytes)
  const file = new ReadaheadFile(inner, 1024)
  t.ok(file.read(100, 5000).equals(bytes.subarray(100, 5100)), 'a 5000-byte read is served whole')
  t.ok(file.read(50, 10).equals(bytes.subarray(50, 60)), 'a read before the chunk fetches again')
  t.ok(file.read(bytes.length - 48, 48).equals(bytes.subarray(bytes.length - 48)), 'the last 48 bytes (a footer)')
  t.is(inner.reads, 3, 'three fetches')
  t.ok(file.read(bytes.length - 20, 10).equals(bytes.subarray(bytes.length - 20, bytes.length - 10)), 'inside the tail chunk: no fetch')
  t.is(inner.reads, 3, 'still three')
  t.end()
})

test('a read past the end fails as the file does', (t) => {
  const file = new ReadaheadFile(countingFile(bytes), 4096)
  t.throws(() => file.read(bytes.length - 10, 20), /truncated read/, 'short read is refused, not padded')
  t.is(file.path, '/db/000007.ldb', 'the path is the file\'s')
  t.is(file.size, bytes.length, 'the size is the file\'s')
  t.end()
})
