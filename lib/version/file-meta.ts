// What the engine knows about one table file without opening it: the fields of a MANIFEST
// new-file entry (leveldb-format.md §8, tag 7) plus the seek allowance that drives seek
// compactions (§11). Versions share FileMeta objects, so the allowance a file uses up in one
// version carries into the next; everything else is fixed once the file exists.

import { TRAILER_SIZE, describeInternalKey } from '../format/internal-key'

export interface FileMeta {
  number: number
  /** Exact size of the table file in bytes. */
  size: number
  /** Smallest internal key in the file. */
  smallest: Buffer
  /** Largest internal key in the file. */
  largest: Buffer
  /** Gets that may still probe this file in vain before it is compacted (counts down). */
  allowedSeeks: number
}

/** One seek costs about as much as compacting 16 KiB, hence one allowed seek per 16 KiB of file. */
const BYTES_PER_SEEK = 16384

/** Small files still get this many, so they are not compacted after a handful of misses. */
const MIN_ALLOWED_SEEKS = 100

export function allowedSeeksFor (size: number): number {
  return Math.max(MIN_ALLOWED_SEEKS, Math.floor(size / BYTES_PER_SEEK))
}

export function newFileMeta (number: number, size: number, smallest: Buffer, largest: Buffer): FileMeta {
  return { number, size, smallest, largest, allowedSeeks: allowedSeeksFor(size) }
}

/** The user key of `smallest` (a view, no copy). */
export function smallestUserKey (file: FileMeta): Buffer {
  return file.smallest.subarray(0, file.smallest.length - TRAILER_SIZE)
}

/** The user key of `largest` (a view, no copy). */
export function largestUserKey (file: FileMeta): Buffer {
  return file.largest.subarray(0, file.largest.length - TRAILER_SIZE)
}

export function totalFileSize (files: readonly FileMeta[]): number {
  let total = 0
  for (const file of files) total += file.size
  return total
}

/**
 * Charges one wasted seek to `file` (a Get probed it and then had to look further). Returns
 * true once its allowance is used up: it should become the seek-compaction candidate if none
 * is pending. Keeps returning true after that, so a file passed over once is offered again.
 */
export function chargeSeek (file: FileMeta): boolean {
  file.allowedSeeks--
  return file.allowedSeeks <= 0
}

/** `<number>:<size>[<smallest> .. <largest>]`, as in LevelDB's `leveldb.sstables` property. */
export function describeFileMeta (file: FileMeta): string {
  return `${file.number}:${file.size}[${describeInternalKey(file.smallest)} .. ${describeInternalKey(file.largest)}]`
}
