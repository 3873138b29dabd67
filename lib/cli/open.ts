// The two ways the tool opens a database, each in one place:
//
//   openForReading   get, scan, dump: never takes the lock and never writes, so that it works
//                    while an application has the database open: the engine's
//                    `readOnly: true` open (engine/read-only.ts).
//   openForWriting   put, del, compact, checkpoint: an ordinary open, which takes the LOCK and
//                    fails with LEVEL_LOCKED while another process holds it.
//
// Failures to open become LEVEL_LOCKED or LEVEL_DATABASE_NOT_OPEN errors (exit code 2) whose
// message says what to do, whatever the engine's error was.

import { LsmLevel } from '../adapter/level'
import { levelError } from '../base/errors'
import { nodeEnv } from '../env/node-env'
import { describeError } from './command'
import { requireDatabase } from './db-directory'
import { EngineReader } from './engine-reader'
import type { ReadSource } from './read-source'

function codeChain (err: unknown): string[] {
  const codes: string[] = []
  for (let e = err as { code?: unknown, cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') codes.push(e.code)
  }
  return codes
}

function openError (location: string, err: unknown): Error {
  if (codeChain(err).includes('LEVEL_LOCKED')) {
    return levelError('LEVEL_LOCKED', `${location} is open in another process; close it there first (${describeError(err)})`, err)
  }
  return levelError('LEVEL_DATABASE_NOT_OPEN', `cannot open ${location}: ${describeError(err)}`, err)
}

export async function openForReading (location: string): Promise<ReadSource> {
  requireDatabase(nodeEnv, location)
  try {
    return await EngineReader.open(location)
  } catch (err) {
    throw openError(location, err)
  }
}

export async function openForWriting (location: string): Promise<LsmLevel<Buffer, Buffer>> {
  requireDatabase(nodeEnv, location)
  const db = new LsmLevel<Buffer, Buffer>(location, { createIfMissing: false, keyEncoding: 'buffer', valueEncoding: 'buffer' })
  try {
    await db.open()
  } catch (err) {
    throw openError(location, err)
  }
  return db
}

/** Runs `work` with the database open for writing, and always closes it. */
export async function withWritableDb<T> (location: string, work: (db: LsmLevel<Buffer, Buffer>) => Promise<T>): Promise<T> {
  const db = await openForWriting(location)
  try {
    return await work(db)
  } finally {
    await db.close()
  }
}

/** Maps a failure of LsmLevel.repair (which takes the lock itself) like an open failure. */
export function repairError (location: string, err: unknown): Error {
  return codeChain(err).includes('LEVEL_LOCKED') ? openError(location, err) : (err as Error)
}
