// Writing entries out, shared by get, scan and dump. One entry per line:
//
//   plain    <key><TAB><value>        (or <key> alone with --keys-only)
//   --json   {"key":...,"value":...}  (JSON lines; see encoding.ts for what key and value hold)
//
// Plain lines are for people and for simple keys: a utf8 key or value holding a tab or a
// newline is ambiguous there; --json, hex or base64 never are.

import { flag, stringOption } from './args'
import type { OptionSpec, ParsedArgs } from './command'
import { type Encoding, ENCODING_OPTIONS, formatJson, formatText, parseEncoding } from './encoding'
import type { Output } from './output'
import type { EntryStream } from './read-source'

export interface EntryFormat {
  keys: Encoding
  values: Encoding
  json: boolean
}

export const JSON_LINES_OPTION: OptionSpec = { name: 'json', type: 'flag', description: 'one JSON object per entry: {"key":...,"value":...}' }

export const ENTRY_OPTIONS: OptionSpec[] = [JSON_LINES_OPTION, ...ENCODING_OPTIONS]

export function entryFormat (args: ParsedArgs): EntryFormat {
  return {
    keys: parseEncoding(stringOption(args, 'key-encoding'), 'key-encoding'),
    values: parseEncoding(stringOption(args, 'value-encoding'), 'value-encoding'),
    json: flag(args, 'json')
  }
}

export function formatEntry (format: EntryFormat, key: Buffer, value: Buffer | undefined): string {
  if (format.json) {
    const entry: { key: unknown, value?: unknown } = { key: formatJson(key, format.keys, 'key') }
    if (value !== undefined) entry.value = formatJson(value, format.values, 'value')
    return JSON.stringify(entry)
  }
  const text = formatText(key, format.keys, 'key')
  return value === undefined ? text : `${text}\t${formatText(value, format.values, 'value')}`
}

/**
 * Copies every entry of `stream` to `out`, batch by batch, waiting whenever the output is
 * full: memory stays at about one batch plus one output chunk. `onBatch` sees the last key
 * of each batch (for progress). Stops early if the reader of the output went away.
 */
export async function writeEntries (
  stream: EntryStream, format: EntryFormat, out: Output, onBatch?: (lastKey: Buffer) => Promise<void>
): Promise<number> {
  let count = 0
  try {
    for (let batch = await stream.next(); batch.length > 0 && !out.closed; batch = await stream.next()) {
      for (const [key, value] of batch) {
        const full = out.line(formatEntry(format, key, value))
        if (full !== undefined) await full
      }
      count += batch.length
      if (onBatch !== undefined) await onBatch(batch[batch.length - 1][0])
    }
    await out.flush()
  } finally {
    await stream.close()
  }
  return count
}
