// checkpoint <dir> <target>: db.checkpoint(target), a consistent copy of the database that
// opens in lsm-level and classic-level. The method comes with another change; an engine
// without it gets a clear error (exit 2) before anything is opened.

import { LsmLevel } from '../../adapter/level'
import { levelError } from '../../base/errors'
import { nodeEnv } from '../../env/node-env'
import { flag } from '../args'
import { type Command, EXIT_OK } from '../command'
import { listDbFiles } from '../db-directory'
import { formatSize } from '../human'
import { withWritableDb } from '../open'
import { Output } from '../output'
import { positional } from '../positional'
import { Progress } from '../progress'
import { directoryBytes, watchBytes } from '../watch-bytes'

type Checkpointing = (targetDir: string) => Promise<unknown>

function checkpointMethod (): Checkpointing | undefined {
  const method = (LsmLevel.prototype as unknown as { checkpoint?: unknown }).checkpoint
  return typeof method === 'function' ? method as Checkpointing : undefined
}

export const checkpointCommand: Command = {
  name: 'checkpoint',
  summary: 'write a consistent copy of the database to a new directory',
  positionals: ['<dir>', '<target>'],
  options: [{ name: 'json', type: 'flag', description: 'print what the checkpoint made as JSON' }],
  details: [
    'Calls db.checkpoint(<target>): tables are hard-linked where possible, the WAL copied. The copy',
    'opens in lsm-level and classic-level. <target> must not exist (or be an empty directory).',
    'Needs the database to itself (exit 2 if another process has it open).'
  ],
  async run (args) {
    const method = checkpointMethod()
    if (method === undefined) {
      throw levelError('LEVEL_NOT_SUPPORTED', 'this version of lsm-level has no db.checkpoint() method')
    }
    const location = positional(args, 0)
    const target = positional(args, 1)
    const result = await withWritableDb(location, async (db) => {
      const total = listDbFiles(nodeEnv, location).filter((f) => f.type === 'table' || f.type === 'log').reduce((sum, f) => sum + f.size, 0)
      const progress = new Progress('checkpoint', total)
      const stop = watchBytes(progress, directoryBytes(nodeEnv, target))
      try {
        return await method.call(db, target)
      } finally {
        stop()
        progress.finish()
      }
    })
    const out = new Output()
    const info = typeof result === 'object' && result !== null ? result as Record<string, unknown> : {}
    if (flag(args, 'json')) {
      await out.line(JSON.stringify({ target, ...info }))
    } else {
      const walBytes = typeof info.walBytes === 'number' ? `, ${formatSize(info.walBytes)} of WAL` : ''
      const tables = typeof info.tables === 'number' ? `: ${info.tables} tables${walBytes}` : ''
      const sequence = typeof info.sequence === 'number' ? `, up to sequence ${info.sequence}` : ''
      await out.line(`checkpoint written to ${target}${tables}${sequence}`)
    }
    await out.flush()
    return EXIT_OK
  }
}
