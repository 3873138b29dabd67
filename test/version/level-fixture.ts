// Compact text descriptions of a Version for table-driven tests:
//
//   'L0: 1:a-c 2:b-d; L1: 3:a-b/4M 4:c@9-e'
//
// A file is `<number>:<smallest>-<largest>[/<size>]`. A key is `<user>[@<seq>]` (seq defaults
// to 100, kind is always "value"); size is bytes with an optional K or M suffix, 1M if omitted.

import { ValueKind, makeInternalKey, trailerSequence, TRAILER_SIZE } from '../../lib/format/internal-key'
import { type FileMeta, newFileMeta } from '../../lib/version/file-meta'
import { Version, applyEdit } from '../../lib/version/version'
import { emptyEdit } from '../../lib/version/version-edit'

export const MiB = 1024 * 1024

/** An internal key from `user[@seq]`. */
export function ikey (text: string): Buffer {
  const at = text.indexOf('@')
  const user = at < 0 ? text : text.slice(0, at)
  const seq = at < 0 ? 100 : Number(text.slice(at + 1))
  return makeInternalKey(Buffer.from(user), seq, ValueKind.Value)
}

/** `user@seq` of an internal key (the inverse of ikey). */
export function keyText (key: Buffer | undefined): string {
  if (key === undefined) return '-'
  const user = key.subarray(0, key.length - TRAILER_SIZE).toString()
  return `${user}@${trailerSequence(key, key.length - TRAILER_SIZE)}`
}

function parseSize (text: string | undefined): number {
  if (text === undefined) return MiB
  const unit = text.slice(-1)
  if (unit === 'M') return Number(text.slice(0, -1)) * MiB
  if (unit === 'K') return Number(text.slice(0, -1)) * 1024
  return Number(text)
}

export function file (spec: string): FileMeta {
  const m = /^(\d+):([^-/]+)-([^-/]+)(?:\/(.+))?$/.exec(spec)
  if (m === null) throw new Error(`Bad file spec: ${spec}`)
  return newFileMeta(Number(m[1]), parseSize(m[4]), ikey(m[2]), ikey(m[3]))
}

export function buildVersion (spec: string): Version {
  const edit = emptyEdit()
  for (const part of spec.split(';')) {
    const trimmed = part.trim()
    if (trimmed === '') continue
    const m = /^L(\d):(.*)$/.exec(trimmed)
    if (m === null) throw new Error(`Bad level spec: ${trimmed}`)
    for (const token of m[2].trim().split(/\s+/)) {
      if (token !== '') edit.newFiles.push({ level: Number(m[1]), file: file(token) })
    }
  }
  return applyEdit(new Version(), edit, 'fixture')
}

/** The file in `version` with this number. */
export function fileOf (version: Version, number: number): FileMeta {
  for (const level of version.files) {
    for (const f of level) if (f.number === number) return f
  }
  throw new Error(`No file ${number}`)
}

export function numbers (files: readonly FileMeta[]): string {
  return files.length === 0 ? '-' : files.map((f) => f.number).join(' ')
}
