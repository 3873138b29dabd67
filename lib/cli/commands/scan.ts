// scan <dir> [range options]: the entries of a key range, read-only and streamed.

import { flag, integerOption, stringOption } from '../args'
import { type Command, EXIT_OK, type ParsedArgs } from '../command'
import { decodeArgument, type Encoding } from '../encoding'
import { ENTRY_OPTIONS, entryFormat, writeEntries } from '../entries'
import { printNotes } from '../notes'
import { openForReading } from '../open'
import { Output } from '../output'
import { positional } from '../positional'
import type { ScanOptions } from '../read-source'

const BOUNDS = ['gt', 'gte', 'lt', 'lte'] as const

function scanOptions (args: ParsedArgs, keys: Encoding): ScanOptions {
  const options: ScanOptions = { reverse: flag(args, 'reverse'), limit: integerOption(args, 'limit'), values: !flag(args, 'keys-only') }
  for (const bound of BOUNDS) {
    const text = stringOption(args, bound)
    if (text !== undefined) options[bound] = decodeArgument(text, keys, `--${bound}`)
  }
  return options
}

export const scanCommand: Command = {
  name: 'scan',
  summary: 'print the entries of a key range, in key order',
  positionals: ['<dir>'],
  options: [
    { name: 'gt', type: 'string', value: '<key>', description: 'keys after this one' },
    { name: 'gte', type: 'string', value: '<key>', description: 'keys from this one on' },
    { name: 'lt', type: 'string', value: '<key>', description: 'keys before this one' },
    { name: 'lte', type: 'string', value: '<key>', description: 'keys up to this one' },
    { name: 'reverse', type: 'flag', description: 'from the last key of the range to the first' },
    { name: 'limit', type: 'integer', description: 'at most <n> entries' },
    { name: 'keys-only', type: 'flag', description: 'print keys without values' },
    ...ENTRY_OPTIONS
  ],
  details: [
    'Lines are <key><TAB><value> (or JSON lines with --json). Bounds are given in the key encoding.',
    'Streams in batches with constant memory. Read-only: works while another process has the',
    'database open.'
  ],
  async run (args) {
    const format = entryFormat(args)
    const options = scanOptions(args, format.keys)
    const source = await openForReading(positional(args, 0))
    try {
      printNotes(source.notes)
      await writeEntries(source.scan(options), format, new Output())
      return EXIT_OK
    } finally {
      await source.close()
    }
  }
}
