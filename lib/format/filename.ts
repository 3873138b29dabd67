// Names of the files in a database directory (leveldb-format.md §9):
//
//   NNNNNN.log        write-ahead log            NNNNNN = file number, zero-padded to at least 6 digits
//   NNNNNN.ldb        table (written)
//   NNNNNN.sst        table (legacy name, read only)
//   NNNNNN.dbtmp      temp file, renamed over CURRENT
//   MANIFEST-NNNNNN   manifest
//   CURRENT  LOCK  LOG  LOG.old
//
// Every numbered file draws from one counter. LevelDB deletes recognised names that are not
// live, so parseFileName accepts exactly what LevelDB accepts and nothing more: files private
// to this engine must get names it returns undefined for.

import path = require('path')

export type FileType = 'log' | 'table' | 'manifest' | 'current' | 'lock' | 'infoLog' | 'oldInfoLog' | 'temp'

export interface ParsedFileName {
  type: FileType
  /** The file number; 0 for the unnumbered names (CURRENT, LOCK, LOG, LOG.old). */
  number: number
}

function formatNumber (n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Invalid file number: ${n}`)
  return String(n).padStart(6, '0')
}

export function tableFileName (location: string, n: number): string {
  return path.join(location, formatNumber(n) + '.ldb')
}

/** The pre-1.14 table name. Never written; tried when the .ldb name does not exist. */
export function legacyTableFileName (location: string, n: number): string {
  return path.join(location, formatNumber(n) + '.sst')
}

export function logFileName (location: string, n: number): string {
  return path.join(location, formatNumber(n) + '.log')
}

/** The bare name CURRENT holds (without the newline). */
export function manifestBaseName (n: number): string {
  return 'MANIFEST-' + formatNumber(n)
}

export function manifestFileName (location: string, n: number): string {
  return path.join(location, manifestBaseName(n))
}

export function tempFileName (location: string, n: number): string {
  return path.join(location, formatNumber(n) + '.dbtmp')
}

export function currentFileName (location: string): string {
  return path.join(location, 'CURRENT')
}

export function lockFileName (location: string): string {
  return path.join(location, 'LOCK')
}

export function infoLogFileName (location: string): string {
  return path.join(location, 'LOG')
}

export function oldInfoLogFileName (location: string): string {
  return path.join(location, 'LOG.old')
}

const SUFFIX_TYPES = new Map<string, FileType>([
  ['.log', 'log'],
  ['.ldb', 'table'],
  ['.sst', 'table'],
  ['.dbtmp', 'temp']
])

/**
 * Reads a decimal file number made only of ASCII digits (at least one). Leading zeros are
 * fine. Numbers past 2^53 - 1 are refused: LevelDB would accept them up to 2^64 - 1, but we
 * could not name them exactly, so such a file is treated as foreign and left alone.
 */
function parseNumber (digits: string): number | undefined {
  if (digits.length === 0) return undefined
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  const n = Number(digits)
  return Number.isSafeInteger(n) ? n : undefined
}

/** Classifies a bare file name (no directory part), or returns undefined for a name LevelDB does not recognise. */
export function parseFileName (name: string): ParsedFileName | undefined {
  switch (name) {
    case 'CURRENT': return { type: 'current', number: 0 }
    case 'LOCK': return { type: 'lock', number: 0 }
    case 'LOG': return { type: 'infoLog', number: 0 }
    case 'LOG.old': return { type: 'oldInfoLog', number: 0 }
  }
  if (name.startsWith('MANIFEST-')) {
    const number = parseNumber(name.slice('MANIFEST-'.length))
    return number === undefined ? undefined : { type: 'manifest', number }
  }
  const dot = name.indexOf('.')
  if (dot < 0) return undefined
  const type = SUFFIX_TYPES.get(name.slice(dot))
  if (type === undefined) return undefined
  const number = parseNumber(name.slice(0, dot))
  return number === undefined ? undefined : { type, number }
}
