// Writes a run of entries, already in internal order, as one table file NNNNNN.ldb, made
// durable (synced) before its metadata is returned, so a MANIFEST edit that names it never
// points at bytes still in the page cache. Used by flushes and compactions, on the main
// thread or in the background worker alike.

import type { Env, WritableFile } from '../env/env'
import { tableFileName } from '../format/filename'
import { EntryLocation, type InternalIterator } from '../base/internal-iterator'
import { TableBuilder, type TableBuildOptions } from '../sstable/table-builder'
import { type FileMeta, newFileMeta } from '../version/file-meta'
import { duringBackgroundSync } from './sync-signal'

// Written bytes are synced every SYNC_EVERY_BYTES as the table grows (RocksDB's
// bytes_per_sync): the page cache then writes the table out in small steps instead of all at
// the final sync, which on a journaling file system would hold up every other write to the
// disk (the WAL's among them) for as long as it takes.
const SYNC_EVERY_BYTES = 1024 * 1024
// Blocks are gathered into writes of this size: one write(2) per 4 KiB block was a tenth of a
// flush's time.
const WRITE_BUFFER_BYTES = 64 * 1024

export class TableFileWriter {
  private readonly file: WritableFile
  private readonly builder: TableBuilder
  private readonly buffer = Buffer.allocUnsafe(WRITE_BUFFER_BYTES)
  // Where each added entry lies in its source (no views made per entry).
  private readonly entry = new EntryLocation()
  private buffered = 0
  private unsynced = 0
  readonly path: string

  constructor (private readonly env: Env, location: string, readonly number: number, options: TableBuildOptions) {
    this.path = tableFileName(location, number)
    this.file = env.createWritable(this.path)
    // The builder's chunks are views into its own buffers: copy them, or write them at once.
    this.builder = new TableBuilder(options, (chunk) => {
      if (this.buffered + chunk.length > WRITE_BUFFER_BYTES) this.writeBuffered()
      if (chunk.length >= WRITE_BUFFER_BYTES) {
        this.write(chunk)
      } else {
        this.buffer.set(chunk, this.buffered)
        this.buffered += chunk.length
      }
    })
  }

  private writeBuffered (): void {
    if (this.buffered === 0) return
    const bytes = this.buffer.subarray(0, this.buffered)
    this.buffered = 0
    this.write(bytes)
  }

  private write (bytes: Uint8Array): void {
    this.file.append(bytes)
    this.unsynced += bytes.length
    if (this.unsynced >= SYNC_EVERY_BYTES) {
      this.unsynced = 0
      this.file.sync()
    }
  }

  add (input: InternalIterator): void {
    input.read(this.entry)
    this.builder.addEntry(this.entry)
  }

  /** add() of an entry the caller has already located. */
  addEntry (entry: EntryLocation): void {
    this.builder.addEntry(entry)
  }

  get entryCount (): number {
    return this.builder.entryCount
  }

  fileSize (): number {
    return this.builder.fileSize()
  }

  /** Finishes and syncs the file; returns its metadata. On failure the file is removed. */
  finish (): FileMeta {
    try {
      const { fileSize, smallest, largest } = this.builder.finish()
      this.writeBuffered()
      duringBackgroundSync(() => this.file.sync())
      this.file.close()
      return newFileMeta(this.number, fileSize, smallest, largest)
    } catch (err) {
      this.abandon()
      throw err
    }
  }

  /** Gives up on the file and removes it. */
  abandon (): void {
    try { this.file.close() } catch {}
    try { this.env.remove(this.path) } catch {}
  }
}

/** Writes every entry of `input` into table `number`; undefined (and no file) when empty. */
export function writeTable (env: Env, location: string, number: number, input: InternalIterator, options: TableBuildOptions): FileMeta | undefined {
  const writer = new TableFileWriter(env, location, number, options)
  try {
    for (input.seekToFirst(); input.valid(); input.next()) writer.add(input)
  } catch (err) {
    writer.abandon()
    throw err
  }
  if (writer.entryCount === 0) {
    writer.abandon()
    return undefined
  }
  return writer.finish()
}
