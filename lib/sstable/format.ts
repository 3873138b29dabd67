// Table framing (leveldb-format.md §6.1, §6.2, §6.8):
//
//   block handle  offset: varint64 | size: varint64     size excludes the trailer; <= 20 bytes
//   block         contents[size] | type: uint8 | crc: fixed32 LE
//                   type 0 = raw, 1 = snappy; crc = masked CRC32C over [contents, type]
//   footer        metaindex handle | index handle | zero padding to byte 40 | magic fixed64 LE
//                   48 bytes at the very end of the file; magic bytes 57 fb 80 8b 24 75 47 db

import { corruption } from '../base/errors'
import { decoded, getFixed32, getVarint, putVarint, putFixed32 } from '../format/coding'
import { crc32cExtend, maskCrc, unmaskCrc } from '../format/crc32c'
import { snappyUncompress } from './compression'
import type { RandomAccessFile } from '../env/env'

export const BLOCK_TRAILER_SIZE = 5
export const MAX_BLOCK_HANDLE_LENGTH = 20
export const FOOTER_SIZE = 48

// On disk, frozen.
export const enum BlockType {
  Raw = 0,
  Snappy = 1
}

const MAGIC_LOW = 0x8b80fb57
const MAGIC_HIGH = 0xdb477524

export interface BlockHandle {
  offset: number
  size: number
}

/** Writes `handle` at buf[offset]; returns the offset after it. */
export function putBlockHandle (buf: Uint8Array, offset: number, handle: BlockHandle): number {
  return putVarint(buf, putVarint(buf, offset, handle.offset), handle.size)
}

export function encodeBlockHandle (handle: BlockHandle): Buffer {
  const buf = Buffer.allocUnsafe(MAX_BLOCK_HANDLE_LENGTH)
  return buf.subarray(0, putBlockHandle(buf, 0, handle))
}

/**
 * Decodes a handle from buf[start, end) into `out` without allocating. Returns the offset
 * after it, or -1 when the bytes are not a handle.
 */
export function decodeBlockHandleInto (buf: Uint8Array, start: number, end: number, out: BlockHandle): number {
  if (!getVarint(buf, start, end)) return -1
  const offset = decoded.value
  if (!getVarint(buf, decoded.offset, end)) return -1
  out.offset = offset
  out.size = decoded.value
  return decoded.offset
}

export function decodeBlockHandle (file: string, buf: Uint8Array, start = 0, end = buf.length): BlockHandle {
  const handle = { offset: 0, size: 0 }
  if (decodeBlockHandleInto(buf, start, end, handle) < 0) throw corruption(file, 'bad block handle')
  return handle
}

export interface Footer {
  metaindex: BlockHandle
  index: BlockHandle
}

export function encodeFooter (footer: Footer): Buffer {
  const buf = Buffer.alloc(FOOTER_SIZE)
  putBlockHandle(buf, putBlockHandle(buf, 0, footer.metaindex), footer.index)
  putFixed32(buf, FOOTER_SIZE - 8, MAGIC_LOW)
  putFixed32(buf, FOOTER_SIZE - 4, MAGIC_HIGH)
  return buf
}

/** Decodes the 48 footer bytes at buf[start]. */
export function decodeFooter (file: string, buf: Uint8Array, start = 0): Footer {
  if (buf.length - start < FOOTER_SIZE) throw corruption(file, 'file is too short to be a table')
  const magicAt = start + FOOTER_SIZE - 8
  if (getFixed32(buf, magicAt) !== MAGIC_LOW || getFixed32(buf, magicAt + 4) !== MAGIC_HIGH) {
    throw corruption(file, 'not a table (bad magic number)')
  }
  const metaindex = { offset: 0, size: 0 }
  const index = { offset: 0, size: 0 }
  const afterMeta = decodeBlockHandleInto(buf, start, magicAt, metaindex)
  if (afterMeta < 0 || decodeBlockHandleInto(buf, afterMeta, magicAt, index) < 0) {
    throw corruption(file, 'bad block handle in footer')
  }
  return { metaindex, index }
}

/**
 * Reads the block at `handle` with its trailer, checks the CRC (unless told not to) and
 * returns the uncompressed contents. Unknown block types (2 = zstd included) are corruption:
 * LevelDB 1.20, which classic-level bundles, cannot read them either.
 */
export function readBlock (file: RandomAccessFile, handle: BlockHandle, verifyChecksum = true): Buffer {
  return decodeBlock(file.path, readStoredBlock(file, handle, verifyChecksum), handle)
}

/**
 * The block at `handle` as stored, contents and trailer (handle.size + 5 bytes), its CRC
 * checked. With `into`, read into into.buffer (grown as needed, and then longer than the
 * block) and returned there: the next read into it replaces the block.
 */
export function readStoredBlock (file: RandomAccessFile, handle: BlockHandle, verifyChecksum = true, into?: { buffer: Buffer }): Buffer {
  const size = handle.size
  const length = size + BLOCK_TRAILER_SIZE
  if (handle.offset + length > file.size) {
    throw corruption(file.path, `block at ${handle.offset} extends past the end of the file`)
  }
  let raw: Buffer
  if (into === undefined) {
    raw = file.read(handle.offset, length)
  } else {
    // Not from Buffer's shared pool: crc32c keeps its view of one ArrayBuffer between calls.
    if (into.buffer.length < length) into.buffer = Buffer.allocUnsafeSlow(Math.max(length, 2 * into.buffer.length))
    raw = into.buffer
    file.readInto(handle.offset, length, raw)
  }
  if (verifyChecksum) {
    const expected = unmaskCrc(getFixed32(raw, size + 1))
    if (crc32cExtend(0, raw, 0, size + 1) !== expected) {
      throw corruption(file.path, `block checksum mismatch at ${handle.offset}`)
    }
  }
  return raw
}

/** The contents of a stored block (readStoredBlock), uncompressed (with `into`, as snappyUncompress's). */
export function decodeBlock (path: string, stored: Buffer, handle: BlockHandle, into?: { buffer: Buffer }): Buffer {
  const size = handle.size
  const type = stored[size]
  if (type === BlockType.Raw) return stored.subarray(0, size)
  if (type === BlockType.Snappy) return snappyUncompress(path, stored, 0, size, into)
  throw corruption(path, `bad block type ${type} at ${handle.offset}`)
}
/** The 5-byte trailer for `contents` stored with `type`. */
export function putBlockTrailer (out: Uint8Array, offset: number, contents: Uint8Array, type: BlockType): void {
  out[offset] = type
  const crc = crc32cExtend(crc32cExtend(0, contents), out, offset, offset + 1)
  putFixed32(out, offset + 1, maskCrc(crc))
}
