// put <dir> <key> <value> and del <dir> <key>: one synced write, through an ordinary open,
// so that it is refused (exit 2) while another process has the database open.

import { type Command, EXIT_OK } from '../command'
import { ENCODING_OPTIONS, decodeArgument, parseEncoding } from '../encoding'
import { stringOption } from '../args'
import { withWritableDb } from '../open'
import { positional } from '../positional'

const WRITE_DETAILS = [
  'The write is synced to disk before the command exits. It needs the database to itself: if',
  'another process (lsm-level or classic-level) has it open, nothing is written and the exit code is 2.'
]

export const putCommand: Command = {
  name: 'put',
  summary: 'write a key and its value',
  positionals: ['<dir>', '<key>', '<value>'],
  options: ENCODING_OPTIONS,
  details: WRITE_DETAILS,
  async run (args) {
    const key = decodeArgument(positional(args, 1), parseEncoding(stringOption(args, 'key-encoding'), 'key-encoding'), 'key')
    const value = decodeArgument(positional(args, 2), parseEncoding(stringOption(args, 'value-encoding'), 'value-encoding'), 'value')
    await withWritableDb(positional(args, 0), async (db) => await db.put(key, value, { sync: true }))
    return EXIT_OK
  }
}

export const delCommand: Command = {
  name: 'del',
  summary: 'delete a key',
  positionals: ['<dir>', '<key>'],
  options: [ENCODING_OPTIONS[0]],
  details: WRITE_DETAILS,
  async run (args) {
    const key = decodeArgument(positional(args, 1), parseEncoding(stringOption(args, 'key-encoding'), 'key-encoding'), 'key')
    await withWritableDb(positional(args, 0), async (db) => await db.del(key, { sync: true }))
    return EXIT_OK
  }
}
