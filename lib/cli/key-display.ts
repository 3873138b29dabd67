// How sst and manifest show keys, which are often binary: escaped bytes (human.ts) unless
// --key-encoding / --value-encoding chooses an encoding; internal keys with their sequence and
// kind.

import { MAX_SEQUENCE } from '../format/internal-key'
import { stringOption } from './args'
import type { OptionSpec, ParsedArgs } from './command'
import { formatText, parseEncoding } from './encoding'
import { escapeBytes, splitInternalKey } from './human'

export const DISPLAY_OPTIONS: OptionSpec[] = [
  { name: 'key-encoding', type: 'string', value: '<enc>', description: 'show keys as utf8, hex, base64 or json (default: escaped bytes)' },
  { name: 'value-encoding', type: 'string', value: '<enc>', description: 'show values as utf8, hex, base64 or json (default: escaped bytes)' }
]

export type BytesDisplay = (bytes: Buffer) => string

function display (args: ParsedArgs, option: string, what: 'key' | 'value'): BytesDisplay {
  const name = stringOption(args, option)
  if (name === undefined) return escapeBytes
  const encoding = parseEncoding(name, option)
  return (bytes) => formatText(bytes, encoding, what)
}

export function keyDisplay (args: ParsedArgs): BytesDisplay {
  return display(args, 'key-encoding', 'key')
}

export function valueDisplay (args: ParsedArgs): BytesDisplay {
  return display(args, 'value-encoding', 'value')
}

export interface InternalKeyJson {
  key: string
  /** 'max' for 2^56 - 1, which index separators carry and a double cannot hold exactly. */
  sequence: number | 'max'
  kind: string
}

export function internalKeyJson (key: Uint8Array, show: BytesDisplay): InternalKeyJson {
  const parts = splitInternalKey(key)
  return { key: show(parts.userKey), sequence: parts.sequence >= MAX_SEQUENCE ? 'max' : parts.sequence, kind: parts.kind }
}

/** 'key' @ 12 : put */
export function internalKeyText (key: Uint8Array, show: BytesDisplay): string {
  const parts = internalKeyJson(key, show)
  return `'${parts.key}' @ ${parts.sequence} : ${parts.kind}`
}
