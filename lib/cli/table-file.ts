// A table file opened for inspection (sst, verify, stats), as opposed to the engine's Table,
// which is built for fast reads: this one keeps every structure's place in the file so that
// reports can say where damage is, and reads nothing until asked.
//
//   [data block | trailer]*  [filter block | trailer]  [metaindex | trailer]  [index | trailer]  footer (48)
//
// A failure to read the footer, index or metaindex is a LEVEL_CORRUPTION error carrying the
// `offset` of the structure it was reading.

import { corruption } from '../base/errors'
import type { RandomAccessFile } from '../env/env'
import { Block, blockEntries } from '../sstable/block'
import { type BlockHandle, BLOCK_TRAILER_SIZE, FOOTER_SIZE, type Footer, decodeBlockHandle, decodeFooter, readBlock } from '../sstable/format'
import { TableIndex } from '../sstable/table-index'
import { findingMessage } from './findings'

export interface MetaEntry {
  name: string
  handle: BlockHandle
}

/** Names of the block types of a trailer (leveldb-format.md §6.2). */
export function compressionName (type: number): string {
  switch (type) {
    case 0: return 'none'
    case 1: return 'snappy'
    case 2: return 'zstd'
    default: return `unknown type ${type}`
  }
}

/** A corruption error at `offset` of `file`. */
export function damageAt (file: string, offset: number, err: unknown): Error {
  return Object.assign(corruption(file, findingMessage(err, file)), { offset })
}

export class TableFile {
  private constructor (
    readonly file: RandomAccessFile,
    /** The size the table is read with: the MANIFEST's, or the file's own. */
    readonly size: number,
    readonly footer: Footer,
    readonly index: TableIndex,
    readonly meta: MetaEntry[]
  ) {}

  static open (file: RandomAccessFile, size = file.size): TableFile {
    const path = file.path
    const footerAt = Math.max(0, size - FOOTER_SIZE)
    let footer: Footer
    try {
      if (size < FOOTER_SIZE) throw corruption(path, `file of ${size} bytes is too short to be a table`)
      if (size > file.size) throw corruption(path, `file is truncated (${file.size} of ${size} bytes)`)
      footer = decodeFooter(path, file.read(footerAt, FOOTER_SIZE))
      for (const handle of [footer.index, footer.metaindex]) {
        if (handle.offset + handle.size + BLOCK_TRAILER_SIZE > footerAt) throw corruption(path, 'footer names a block past the footer')
      }
    } catch (err) {
      throw damageAt(path, footerAt, err)
    }
    let index: TableIndex
    try {
      index = TableIndex.decode(path, new Block(path, readBlock(file, footer.index)), footer.metaindex.offset)
    } catch (err) {
      throw damageAt(path, footer.index.offset, new Error(`index block: ${findingMessage(err, path)}`))
    }
    const meta: MetaEntry[] = []
    try {
      for (const entry of blockEntries(new Block(path, readBlock(file, footer.metaindex)))) {
        meta.push({ name: entry.key.toString('latin1'), handle: decodeBlockHandle(path, entry.value) })
      }
    } catch (err) {
      throw damageAt(path, footer.metaindex.offset, new Error(`metaindex block: ${findingMessage(err, path)}`))
    }
    return new TableFile(file, size, footer, index, meta)
  }

  get path (): string {
    return this.file.path
  }

  get blockCount (): number {
    return this.index.count
  }

  handle (i: number): BlockHandle {
    return this.index.handle(i, { offset: 0, size: 0 })
  }

  /** The index key of data block i: an internal key at or after its last key. */
  separator (i: number): Buffer {
    return this.index.keys.subarray(this.index.keyStarts[i], this.index.keyStarts[i + 1])
  }

  /** The block type byte of the trailer after the block at `handle`. */
  blockType (handle: BlockHandle): number {
    return this.file.read(handle.offset + handle.size, 1)[0]
  }

  /** Data block i, its checksum verified; throws LEVEL_CORRUPTION. */
  readDataBlock (i: number): Block {
    return new Block(this.path, readBlock(this.file, this.handle(i)))
  }

  /** The contents of a meta block (the filter), its checksum verified. */
  readMetaBlock (entry: MetaEntry): Buffer {
    return readBlock(this.file, entry.handle)
  }

  filterEntry (): MetaEntry | undefined {
    return this.meta.find((entry) => entry.name.startsWith('filter.'))
  }
}

/**
 * How many keys the bloom filters of a filter block were built from: each filter holds about
 * 10 bits per key (classic-level's and lsm-level's policy, leveldb-format.md §6.7) plus one
 * byte for the probe count. Off by less than one key per filter, and filters of fewer than 7
 * keys (64 bits, the minimum) count as 6.
 */
export function keysInFilterBlock (filter: Buffer): number {
  if (filter.length < 5) return 0
  const arrayStart = filter.readUInt32LE(filter.length - 5)
  if (arrayStart > filter.length - 5) return 0
  const count = Math.floor((filter.length - 5 - arrayStart) / 4)
  let keys = 0
  for (let i = 0; i < count; i++) {
    const start = filter.readUInt32LE(arrayStart + i * 4)
    const end = i + 1 < count ? filter.readUInt32LE(arrayStart + (i + 1) * 4) : arrayStart
    if (end > start + 1) keys += Math.floor((end - start - 1) * 8 / 10)
  }
  return keys
}
