// Formatting for people: byte sizes, durations and keys as LevelDB's tools show them.

import { TRAILER_SIZE, trailerKind, trailerSequence } from '../format/internal-key'

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB']

/** 512 B, 1.5 KiB, 12.0 MiB. */
export function formatSize (bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`
}

/** m:ss, or h:mm:ss from an hour on. */
export function formatDuration (ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000))
  const s = total % 60
  const m = Math.floor(total / 60) % 60
  const h = Math.floor(total / 3600)
  const ss = String(s).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

/**
 * Bytes as printable text, losslessly: printable ASCII as is (backslash doubled), anything
 * else as \xNN, like LevelDB's EscapeString. The default for keys in sst and manifest output,
 * where keys are often binary.
 */
export function escapeBytes (bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]
    if (c === 0x5c) out += '\\\\'
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c)
    else out += '\\x' + c.toString(16).padStart(2, '0')
  }
  return out
}

export interface InternalKeyParts {
  userKey: Buffer
  sequence: number
  /** 'put', 'del', or the number of an unknown kind. */
  kind: string
}

export function splitInternalKey (key: Uint8Array): InternalKeyParts {
  const buf = Buffer.from(key.buffer, key.byteOffset, key.byteLength)
  if (buf.length < TRAILER_SIZE) return { userKey: buf, sequence: 0, kind: 'short key' }
  const at = buf.length - TRAILER_SIZE
  const kind = trailerKind(buf, at)
  return { userKey: buf.subarray(0, at), sequence: trailerSequence(buf, at), kind: kind === 1 ? 'put' : kind === 0 ? 'del' : String(kind) }
}

