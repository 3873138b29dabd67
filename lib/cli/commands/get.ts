// get <dir> <key>: the value of one key, read-only.

import { positional } from '../positional'
import { type Command, EXIT_DAMAGE, EXIT_OK } from '../command'
import { decodeArgument, formatJson, formatText } from '../encoding'
import { ENTRY_OPTIONS, entryFormat, formatEntry } from '../entries'
import { openForReading } from '../open'
import { Output } from '../output'
import { printNotes } from '../notes'

export const getCommand: Command = {
  name: 'get',
  summary: 'print the value of a key (exit 1 when the key is not there)',
  positionals: ['<dir>', '<key>'],
  options: ENTRY_OPTIONS,
  details: [
    'Prints the value alone, or {"key":...,"value":...} with --json. A key that is not there',
    'prints nothing (with --json: {"key":...,"found":false}) and exits with 1.',
    'Read-only: works while another process has the database open.'
  ],
  async run (args) {
    const format = entryFormat(args)
    const location = positional(args, 0)
    const key = decodeArgument(positional(args, 1), format.keys, 'key')
    const source = await openForReading(location)
    const out = new Output()
    try {
      printNotes(source.notes)
      const value = await source.get(key)
      if (format.json) {
        await out.line(value === undefined
          ? JSON.stringify({ key: formatJson(key, format.keys, 'key'), found: false })
          : formatEntry(format, key, value))
      } else if (value !== undefined) {
        await out.line(formatText(value, format.values, 'value'))
      }
      await out.flush()
      return value === undefined ? EXIT_DAMAGE : EXIT_OK
    } finally {
      await source.close()
    }
  }
}
