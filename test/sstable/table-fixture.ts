// Shared helpers for the sstable tests: a seeded random source, a sorted model of entries in
// internal order, and table files written to a temporary directory.

import fs = require('fs')
import os = require('os')
import path = require('path')
import { compareBytes } from '../../lib/format/bytes'
import { ValueKind } from '../../lib/format/internal-key'
import { TableBuilder, TableBuildOptions } from '../../lib/sstable/table-builder'
import type { RandomAccessFile } from '../../lib/env/env'
import type { InternalIterator } from '../../lib/base/internal-iterator'

/** xorshift32: deterministic so failures reproduce. */
export function random (seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 0x100000000
  }
}

export function randomBytes (rand: () => number, length: number, alphabet?: number[]): Buffer {
  const b = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) {
    b[i] = alphabet !== undefined ? alphabet[Math.floor(rand() * alphabet.length)] : Math.floor(rand() * 256)
  }
  return b
}

export interface Entry {
  userKey: Buffer
  sequence: number
  kind: ValueKind
  value: Buffer
}

/** Internal order: user key ascending, then sequence descending, then kind descending. */
export function compareEntries (a: { userKey: Uint8Array, sequence: number, kind: number }, b: { userKey: Uint8Array, sequence: number, kind: number }): number {
  const c = compareBytes(a.userKey, b.userKey)
  if (c !== 0) return c
  if (a.sequence !== b.sequence) return a.sequence > b.sequence ? -1 : 1
  return b.kind - a.kind
}

/** Index of the first entry at or after (userKey, sequence) as a seek target. */
export function modelSeek (entries: Entry[], userKey: Uint8Array, sequence: number): number {
  const target = { userKey, sequence, kind: ValueKind.Value }
  let lo = 0
  let hi = entries.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareEntries(entries[mid], target) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function modelGet (entries: Entry[], userKey: Uint8Array, sequence: number): Entry | undefined {
  const i = modelSeek(entries, userKey, sequence)
  return i < entries.length && compareBytes(entries[i].userKey, userKey) === 0 ? entries[i] : undefined
}

/** Random entries in internal order: keys over `alphabet`, several versions, some tombstones. */
export function randomEntries (rand: () => number, count: number, options: {
  alphabet?: number[]
  maxKeyLength?: number
  maxValueLength?: number
  maxVersions?: number
} = {}): Entry[] {
  const maxKeyLength = options.maxKeyLength ?? 12
  const maxValueLength = options.maxValueLength ?? 40
  const maxVersions = options.maxVersions ?? 3
  const keys = new Map<string, Buffer>()
  while (keys.size < count) {
    const key = randomBytes(rand, Math.floor(rand() * (maxKeyLength + 1)), options.alphabet)
    keys.set(key.toString('hex'), key)
  }
  const entries: Entry[] = []
  for (const userKey of keys.values()) {
    const versions = 1 + Math.floor(rand() * maxVersions)
    const sequences = new Set<number>()
    while (sequences.size < versions) sequences.add(1 + Math.floor(rand() * 1000))
    for (const sequence of sequences) {
      const kind = rand() < 0.2 ? ValueKind.Deletion : ValueKind.Value
      const value = kind === ValueKind.Value ? randomBytes(rand, Math.floor(rand() * (maxValueLength + 1))) : Buffer.alloc(0)
      entries.push({ userKey, sequence, kind, value })
    }
  }
  return entries.sort(compareEntries)
}

export function tempDir (name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lsm-${name}-`))
}

/** Builds a table from `entries` into `file`; returns what finish() returned. */
export function writeTableFile (file: string, entries: Entry[], options: TableBuildOptions): { fileSize: number, smallest: Buffer, largest: Buffer } {
  const fd = fs.openSync(file, 'w')
  try {
    const builder = new TableBuilder(options, (chunk) => { fs.writeSync(fd, chunk) })
    for (const e of entries) builder.add(e.userKey, e.sequence, e.kind, e.value)
    return builder.finish()
  } finally {
    fs.closeSync(fd)
  }
}

/** Builds a table in memory. */
export function buildTable (entries: Entry[], options: TableBuildOptions): Buffer {
  const chunks: Buffer[] = []
  const builder = new TableBuilder(options, (chunk) => { chunks.push(Buffer.from(chunk)) })
  for (const e of entries) builder.add(e.userKey, e.sequence, e.kind, e.value)
  builder.finish()
  return Buffer.concat(chunks)
}

/** A RandomAccessFile over bytes in memory. */
export function memoryFile (bytes: Buffer, name = 'memory.ldb'): RandomAccessFile {
  return {
    path: name,
    size: bytes.length,
    read (offset: number, length: number): Buffer {
      if (offset + length > bytes.length) throw new Error('read past end')
      return Buffer.from(bytes.subarray(offset, offset + length))
    },
    readInto (offset: number, length: number, into: Buffer): void {
      into.set(this.read(offset, length))
    },
    close (): void {}
  }
}

/** Every entry of an iterator, copied, in the order visited. */
export function collect (it: InternalIterator, reverse = false): Entry[] {
  const out: Entry[] = []
  if (reverse) {
    for (it.seekToLast(); it.valid(); it.prev()) out.push(copyEntry(it))
  } else {
    for (it.seekToFirst(); it.valid(); it.next()) out.push(copyEntry(it))
  }
  return out
}

export function copyEntry (it: InternalIterator): Entry {
  return { userKey: Buffer.from(it.userKey()), sequence: it.sequence(), kind: it.kind(), value: Buffer.from(it.value()) }
}

export function describe (e: Entry | undefined): string {
  if (e === undefined) return 'undefined'
  return `${e.userKey.toString('hex')}@${e.sequence}/${e.kind}=${e.value.length > 16 ? e.value.length + 'B:' + e.value.subarray(0, 8).toString('hex') : e.value.toString('hex')}`
}

export function sameEntries (a: Entry[], b: Entry[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (compareEntries(a[i], b[i]) !== 0 || a[i].kind !== b[i].kind || !a[i].value.equals(b[i].value)) return false
  }
  return true
}

/** Runs fn and returns the error it throws (undefined if none). */
export function thrown (fn: () => void): (Error & { code?: string }) | undefined {
  try {
    fn()
  } catch (err) {
    return err as Error & { code?: string }
  }
  return undefined
}
