// Writes a run of entries, already in internal order, as one table file NNNNNN.ldb, made
// durable (fsync) before its metadata is returned, so a MANIFEST edit that names it never
// points at bytes still in the page cache. Used by flushes and compactions, on the main
// thread or in the background worker alike.

import * as fs from 'fs'
import { tableFileName } from '../format/filename'
import type { InternalIterator } from '../base/internal-iterator'
import { TableBuilder, type TableBuildOptions } from '../sstable/table-builder'
import { type FileMeta, newFileMeta } from '../version/file-meta'
import { writeFully } from '../version/version-set'
import { duringBackgroundSync } from './sync-signal'

export class TableFileWriter {
  private readonly fd: number
  private readonly builder: TableBuilder
  readonly path: string

  constructor (location: string, readonly number: number, options: TableBuildOptions) {
    this.path = tableFileName(location, number)
    this.fd = fs.openSync(this.path, 'w')
    this.builder = new TableBuilder(options, (chunk) => writeFully(this.fd, chunk))
  }

  add (input: InternalIterator): void {
    this.builder.add(input.userKey(), input.sequence(), input.kind(), input.value())
  }

  get entryCount (): number {
    return this.builder.entryCount
  }

  fileSize (): number {
    return this.builder.fileSize()
  }

  /** Finishes and syncs the file; returns its metadata. */
  finish (): FileMeta {
    try {
      const { fileSize, smallest, largest } = this.builder.finish()
      duringBackgroundSync(() => fs.fsyncSync(this.fd))
      return newFileMeta(this.number, fileSize, smallest, largest)
    } finally {
      fs.closeSync(this.fd)
    }
  }

  /** Gives up on the file and removes it. */
  abandon (): void {
    try { fs.closeSync(this.fd) } catch {}
    try { fs.unlinkSync(this.path) } catch {}
  }
}

/** Writes every entry of `input` into table `number`; undefined (and no file) when empty. */
export function writeTable (location: string, number: number, input: InternalIterator, options: TableBuildOptions): FileMeta | undefined {
  const writer = new TableFileWriter(location, number, options)
  try {
    for (input.seekToFirst(); input.valid(); input.next()) writer.add(input)
    if (writer.entryCount === 0) {
      writer.abandon()
      return undefined
    }
    return writer.finish()
  } catch (err) {
    writer.abandon()
    throw err
  }
}
