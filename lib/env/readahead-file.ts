// A RandomAccessFile for reading a table from start to end, as a compaction does: each read
// that falls outside the bytes fetched last fetches `chunkBytes` from there on in one call,
// and reads inside them are served as views.
//
// Every chunk is a fresh buffer, never refilled, so the views handed out stay valid for as
// long as their holder keeps them (a table's index and filter blocks do, for its life).

import type { RandomAccessFile } from './env'

export class ReadaheadFile implements RandomAccessFile {
  private chunk: Buffer = Buffer.alloc(0)
  private chunkStart = 0

  constructor (private readonly file: RandomAccessFile, private readonly chunkBytes: number) {}

  get path (): string {
    return this.file.path
  }

  get size (): number {
    return this.file.size
  }

  read (offset: number, length: number): Buffer {
    const start = offset - this.chunkStart
    if (start >= 0 && start + length <= this.chunk.length) return this.chunk.subarray(start, start + length)
    // Past the end of the file the inner read reports the short read, as it would unaided.
    const wanted = Math.max(length, Math.min(this.chunkBytes, this.file.size - offset))
    this.chunk = this.file.read(offset, wanted)
    this.chunkStart = offset
    return this.chunk.subarray(0, length)
  }

  readInto (offset: number, length: number, into: Buffer): void {
    into.set(this.read(offset, length))
  }

  close (): void {
    this.chunk = Buffer.alloc(0)
    this.file.close()
  }
}
