// A VersionEdit: the payload of one MANIFEST record (leveldb-format.md §8). A record is a
// run of fields, each a varint32 tag and its payload:
//
//   1  comparator         slice (length-prefixed name)
//   2  log number         varint64
//   9  prev log number    varint64
//   3  next file number   varint64
//   4  last sequence      varint64
//   5  compact pointer    varint32 level, slice internal key
//   6  deleted file       varint32 level, varint64 number
//   7  new file           varint32 level, varint64 number, varint64 size, slice smallest, slice largest
//
// We write the fields in the order 1, 2, 9, 3, 4, 5*, 6*, 7* (LevelDB's order) and read them in
// any order, repeats included. Tag 8 is retired and every other tag is unknown: LevelDB fails
// the open on either, so we do too, and we never write one.

import { corruption } from '../base/errors'
import { ByteWriter, decoded, getVarint, getVarint32 } from '../format/coding'
import { TRAILER_SIZE } from '../format/internal-key'
import { NUM_LEVELS } from './constants'
import { type FileMeta, newFileMeta } from './file-meta'

export interface VersionEdit {
  comparator?: string
  logNumber?: number
  prevLogNumber?: number
  nextFileNumber?: number
  lastSequence?: number
  compactPointers: Array<{ level: number; key: Buffer }>
  deletedFiles: Array<{ level: number; number: number }>
  newFiles: Array<{ level: number; file: FileMeta }>
}

// On-disk tags: frozen.
const TAG_COMPARATOR = 1
const TAG_LOG_NUMBER = 2
const TAG_NEXT_FILE_NUMBER = 3
const TAG_LAST_SEQUENCE = 4
const TAG_COMPACT_POINTER = 5
const TAG_DELETED_FILE = 6
const TAG_NEW_FILE = 7
const TAG_PREV_LOG_NUMBER = 9

export function emptyEdit (): VersionEdit {
  return { compactPointers: [], deletedFiles: [], newFiles: [] }
}

function checkLevel (level: number): void {
  // Guarding the writer keeps us from ever producing a MANIFEST that LevelDB refuses to open.
  if (!Number.isInteger(level) || level < 0 || level >= NUM_LEVELS) throw new RangeError(`Invalid level: ${level}`)
}

export function encodeVersionEdit (edit: VersionEdit): Buffer {
  const w = new ByteWriter(64)
  if (edit.comparator !== undefined) {
    w.varint(TAG_COMPARATOR)
    w.lengthPrefixed(Buffer.from(edit.comparator, 'utf8'))
  }
  if (edit.logNumber !== undefined) {
    w.varint(TAG_LOG_NUMBER)
    w.varint(edit.logNumber)
  }
  if (edit.prevLogNumber !== undefined) {
    w.varint(TAG_PREV_LOG_NUMBER)
    w.varint(edit.prevLogNumber)
  }
  if (edit.nextFileNumber !== undefined) {
    w.varint(TAG_NEXT_FILE_NUMBER)
    w.varint(edit.nextFileNumber)
  }
  if (edit.lastSequence !== undefined) {
    w.varint(TAG_LAST_SEQUENCE)
    w.varint(edit.lastSequence)
  }
  for (const { level, key } of edit.compactPointers) {
    checkLevel(level)
    w.varint(TAG_COMPACT_POINTER)
    w.varint(level)
    w.lengthPrefixed(key)
  }
  for (const { level, number } of edit.deletedFiles) {
    checkLevel(level)
    w.varint(TAG_DELETED_FILE)
    w.varint(level)
    w.varint(number)
  }
  for (const { level, file } of edit.newFiles) {
    checkLevel(level)
    w.varint(TAG_NEW_FILE)
    w.varint(level)
    w.varint(file.number)
    w.varint(file.size)
    w.lengthPrefixed(file.smallest)
    w.lengthPrefixed(file.largest)
  }
  return w.view()
}

/**
 * Decodes one MANIFEST record. `file` names the manifest in error messages. Keys are copied,
 * so `bytes` may be a reused read buffer. Throws LEVEL_CORRUPTION on a truncated field, an
 * unknown tag, a level >= 7, an internal key shorter than its 8-byte trailer, or a number
 * above 2^53 - 1 (the largest we can hold exactly).
 */
export function decodeVersionEdit (bytes: Uint8Array, file: string): VersionEdit {
  const edit = emptyEdit()
  const end = bytes.length
  let offset = 0

  const fail = (what: string, at: number): never => {
    throw corruption(file, `bad VersionEdit: ${what} at byte ${at}`)
  }
  const number = (what: string): number => {
    if (!getVarint(bytes, offset, end)) fail(what, offset)
    offset = decoded.offset
    return decoded.value
  }
  const level = (what: string): number => {
    if (!getVarint32(bytes, offset, end)) fail(what, offset)
    if (decoded.value >= NUM_LEVELS) fail(`${what} (level ${decoded.value})`, offset)
    offset = decoded.offset
    return decoded.value
  }
  const slice = (what: string): Buffer => {
    if (!getVarint32(bytes, offset, end)) fail(what, offset)
    const start = decoded.offset
    const length = decoded.value
    if (length > end - start) fail(what, offset)
    offset = start + length
    return Buffer.from(bytes.subarray(start, offset))
  }
  const internalKey = (what: string): Buffer => {
    const at = offset
    const key = slice(what)
    if (key.length < TRAILER_SIZE) fail(what, at)
    return key
  }

  while (offset < end) {
    const tagStart = offset
    if (!getVarint32(bytes, offset, end)) fail('tag', offset)
    const tag = decoded.value
    offset = decoded.offset
    switch (tag) {
      case TAG_COMPARATOR:
        edit.comparator = slice('comparator name').toString('utf8')
        break
      case TAG_LOG_NUMBER:
        edit.logNumber = number('log number')
        break
      case TAG_PREV_LOG_NUMBER:
        edit.prevLogNumber = number('previous log number')
        break
      case TAG_NEXT_FILE_NUMBER:
        edit.nextFileNumber = number('next file number')
        break
      case TAG_LAST_SEQUENCE:
        edit.lastSequence = number('last sequence')
        break
      case TAG_COMPACT_POINTER: {
        const l = level('compact pointer')
        edit.compactPointers.push({ level: l, key: internalKey('compact pointer') })
        break
      }
      case TAG_DELETED_FILE: {
        const l = level('deleted file')
        edit.deletedFiles.push({ level: l, number: number('deleted file') })
        break
      }
      case TAG_NEW_FILE: {
        const l = level('new file')
        const n = number('new file')
        const size = number('new file')
        const smallest = internalKey('new file')
        const largest = internalKey('new file')
        edit.newFiles.push({ level: l, file: newFileMeta(n, size, smallest, largest) })
        break
      }
      default:
        fail(`unknown tag ${tag}`, tagStart)
    }
  }
  return edit
}
