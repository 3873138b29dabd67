// How keys and values are written on the command line and shown in output
// (--key-encoding, --value-encoding):
//
//   utf8    text as is (bytes that are not UTF-8 show as U+FFFD: use hex or base64 for binary)
//   hex     two lowercase hex digits per byte
//   base64  standard base64 with padding
//   json    the stored bytes are JSON text (level's 'json' encoding): arguments are parsed and
//           stored re-serialised; in --json output the value appears as JSON, not as a string
//
// The same encoding is used both ways, so a key printed by scan can be passed back to get.

import { usageError } from './command'
import type { OptionSpec } from './command'

export type Encoding = 'utf8' | 'hex' | 'base64' | 'json'

const ENCODINGS: readonly Encoding[] = ['utf8', 'hex', 'base64', 'json']

export const ENCODING_OPTIONS: OptionSpec[] = [
  { name: 'key-encoding', type: 'string', value: '<enc>', description: 'how keys are given and shown: utf8 (default), hex, base64, json' },
  { name: 'value-encoding', type: 'string', value: '<enc>', description: 'how values are given and shown: utf8 (default), hex, base64, json' }
]

export function parseEncoding (name: string | undefined, option: string): Encoding {
  if (name === undefined) return 'utf8'
  if ((ENCODINGS as readonly string[]).includes(name)) return name as Encoding
  throw usageError(`--${option} must be one of ${ENCODINGS.join(', ')}, not '${name}'`)
}

/** The bytes an argument stands for. `what` names it in errors ('key', '--gte'...). */
export function decodeArgument (text: string, encoding: Encoding, what: string): Buffer {
  switch (encoding) {
    case 'utf8':
      return Buffer.from(text, 'utf8')
    case 'hex':
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw usageError(`${what} is not hex: '${text}'`)
      return Buffer.from(text, 'hex')
    case 'base64':
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
        throw usageError(`${what} is not base64: '${text}'`)
      }
      return Buffer.from(text, 'base64')
    case 'json': {
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        throw usageError(`${what} is not JSON: '${text}'`)
      }
      return Buffer.from(JSON.stringify(parsed), 'utf8')
    }
  }
}

function parseStoredJson (bytes: Uint8Array, what: string): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    throw usageError(`a stored ${what} is not JSON (choose another --${what}-encoding): ${JSON.stringify(text.slice(0, 80))}`)
  }
}

/** Bytes as text for line output. `what` is 'key' or 'value' (for the JSON error). */
export function formatText (bytes: Uint8Array, encoding: Encoding, what: 'key' | 'value'): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (encoding) {
    case 'utf8': return buf.toString('utf8')
    case 'hex': return buf.toString('hex')
    case 'base64': return buf.toString('base64')
    case 'json': return JSON.stringify(parseStoredJson(buf, what))
  }
}

/** Bytes as a JSON value for --json output: a string, or the parsed JSON for 'json'. */
export function formatJson (bytes: Uint8Array, encoding: Encoding, what: 'key' | 'value'): unknown {
  return encoding === 'json' ? parseStoredJson(bytes, what) : formatText(bytes, encoding, what)
}
