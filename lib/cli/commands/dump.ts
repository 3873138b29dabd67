// dump <dir>: every entry of the database, read-only, streamed, with progress on a terminal.

import { nodeEnv } from '../../env/node-env'
import { type Command, EXIT_OK } from '../command'
import { listDbFiles } from '../db-directory'
import { ENTRY_OPTIONS, entryFormat, writeEntries } from '../entries'
import { printNotes } from '../notes'
import { openForReading } from '../open'
import { Output } from '../output'
import { positional } from '../positional'
import { Progress } from '../progress'

export const dumpCommand: Command = {
  name: 'dump',
  summary: 'print every entry of the database, in key order',
  positionals: ['<dir>'],
  options: ENTRY_OPTIONS,
  details: [
    'Lines are <key><TAB><value> (or JSON lines with --json). Streams in batches with constant',
    'memory, however large the database. Progress (table bytes passed) shows on stderr when it is',
    'a terminal. Read-only: works while another process has the database open.'
  ],
  async run (args) {
    const format = entryFormat(args)
    const location = positional(args, 0)
    const source = await openForReading(location)
    try {
      printNotes(source.notes)
      const total = listDbFiles(nodeEnv, location).filter((f) => f.type === 'table').reduce((sum, f) => sum + f.size, 0)
      const progress = new Progress('dump', total)
      const onBatch = progress.enabled ? async (lastKey: Buffer) => progress.update(await source.bytesBefore(lastKey)) : undefined
      await writeEntries(source.scan({ reverse: false, values: true }), format, new Output(), onBatch)
      progress.finish()
      return EXIT_OK
    } finally {
      await source.close()
    }
  }
}
