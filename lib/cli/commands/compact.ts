// compact <dir> [--start k] [--end k]: LevelDB's CompactRange through db.compactRange().

import { nodeEnv } from '../../env/node-env'
import { stringOption } from '../args'
import { type Command, EXIT_OK } from '../command'
import { ENCODING_OPTIONS, decodeArgument, parseEncoding } from '../encoding'
import { currentManifestPath, readManifest } from '../manifest-reader'
import { withWritableDb } from '../open'
import { positional } from '../positional'
import { Progress } from '../progress'
import { newTableBytes, nextFileNumber, watchBytes } from '../watch-bytes'
import { largestUserKey } from '../../version/file-meta'

/**
 * An end key after every key in the tables and after the last live key: 0xff bytes, one more
 * than the longest of those keys, is greater than any key not longer than it. compactRange
 * wants both bounds; this stands for "no end". (A flushed table holding nothing but deletions
 * of keys past that bound would be left alone: nothing worth compacting.)
 */
function endOfAllKeys (location: string, lastKey: Buffer | undefined): Buffer {
  let longest = lastKey?.length ?? 0
  const manifest = readManifest(nodeEnv, currentManifestPath(nodeEnv, location))
  for (const level of manifest.version.files) {
    for (const file of level) longest = Math.max(longest, largestUserKey(file).length)
  }
  return Buffer.alloc(longest + 1, 0xff)
}

export const compactCommand: Command = {
  name: 'compact',
  summary: 'compact a key range (default: everything) down through the levels',
  positionals: ['<dir>'],
  options: [
    { name: 'start', type: 'string', value: '<key>', description: 'first key of the range (default: the first key)' },
    { name: 'end', type: 'string', value: '<key>', description: 'last key of the range, included (default: the last key)' },
    ENCODING_OPTIONS[0]
  ],
  details: [
    'Flushes the memtable, then rewrites the tables holding keys in the range, dropping overwritten',
    'and deleted versions. Needs the database to itself (exit 2 if another process has it open).',
    'On a terminal, stderr shows the bytes written so far.'
  ],
  async run (args) {
    const keys = parseEncoding(stringOption(args, 'key-encoding'), 'key-encoding')
    const startText = stringOption(args, 'start')
    const endText = stringOption(args, 'end')
    const start = startText === undefined ? Buffer.alloc(0) : decodeArgument(startText, keys, '--start')
    const end = endText === undefined ? undefined : decodeArgument(endText, keys, '--end')
    const location = positional(args, 0)
    await withWritableDb(location, async (db) => {
      const progress = new Progress('compact', undefined)
      const stop = watchBytes(progress, newTableBytes(nodeEnv, location, nextFileNumber(nodeEnv, location)))
      try {
        const last = end === undefined ? (await db.keys({ reverse: true, limit: 1 }).all())[0] : undefined
        await db.compactRange(start, end ?? endOfAllKeys(location, last))
      } finally {
        stop()
        progress.finish()
      }
    })
    return EXIT_OK
  }
}
