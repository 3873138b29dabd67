// clear(): deletes a range at one snapshot, in batches of about 16 KiB of keys (as
// classic-level does), yielding to the event loop between batches. Like classic-level's,
// a clear is not atomic as a whole; each of its batches is.

import type { DatabaseEngine } from '../sharing/database-engine'
import { engineIterator, breathe } from './iterator'
import { type Bytes } from './codec'
import { levelError } from '../base/errors'
import { readOnlyError } from '../engine/read-only'

const BATCH_KEY_BYTES = 16 * 1024

export async function clearRange (engine: DatabaseEngine, options: Record<string, unknown>): Promise<void> {
  // Even a range with nothing in it: a clear is a write.
  if (engine.isReadOnly) throw readOnlyError()
  const it = engineIterator(engine, options)
  const limit = typeof options.limit === 'number' && options.limit >= 0 ? options.limit : Infinity
  let deleted = 0
  try {
    while (deleted < limit && it.valid()) {
      // close() does not wait for a clear; the next batch would write after it.
      if (engine.isClosed) throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open: clear() was interrupted by close()')
      const keys: Bytes[] = []
      let bytes = 0
      while (bytes < BATCH_KEY_BYTES && deleted < limit && it.valid()) {
        const key = Buffer.from(it.key())
        keys.push(key)
        bytes += key.length
        deleted++
        it.advance()
      }
      await engine.batch(keys.map((key) => ({ type: 'del' as const, key })), false)
      await breathe()
      if (engine.isClosed && it.valid()) throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open: clear() was interrupted by close()')
    }
  } finally {
    it.close()
  }
}
