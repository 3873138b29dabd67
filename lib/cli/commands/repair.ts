// repair <dir>: LsmLevel.repair, classic-level's static repair (lib/engine/repair.ts).

import { LsmLevel } from '../../adapter/level'
import { levelError } from '../../base/errors'
import { nodeEnv } from '../../env/node-env'
import { type Command, EXIT_OK } from '../command'
import { repairError } from '../open'
import { positional } from '../positional'
import { Progress } from '../progress'
import { newTableBytes, nextFileNumber, watchBytes } from '../watch-bytes'

export const repairCommand: Command = {
  name: 'repair',
  summary: 'rebuild the MANIFEST from the tables and WALs found, salvaging what is readable',
  positionals: ['<dir>'],
  options: [],
  details: [
    'Replays every WAL into a table, rewrites damaged tables from their readable entries, and',
    'writes a MANIFEST naming every table at level 0; damaged originals are moved to <dir>/lost/.',
    'Needs the database to itself (exit 2 if another process has it open). Run verify first to',
    'see what is damaged: repair may drop what it cannot read.'
  ],
  async run (args) {
    const location = positional(args, 0)
    // LsmLevel.repair would create it: a mistyped path should fail instead.
    if (!nodeEnv.exists(location)) throw levelError('LEVEL_DATABASE_NOT_OPEN', `${location}: no such directory`)
    const progress = new Progress('repair', undefined)
    const stop = watchBytes(progress, newTableBytes(nodeEnv, location, nextFileNumber(nodeEnv, location)))
    try {
      await LsmLevel.repair(location)
    } catch (err) {
      throw repairError(location, err)
    } finally {
      stop()
      progress.finish()
    }
    return EXIT_OK
  }
}
