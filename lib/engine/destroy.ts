// destroy(), classic-level's static function: deletes a database's files, and its
// directory if nothing else is left in it.

import * as path from 'path'
import type { Env } from '../env/env'
import { isNotFound } from '../env/io-error'
import { parseFileName } from '../format/filename'

/** Names LevelDB recognises; destroy() deletes only these. */
function isDatabaseFile (name: string): boolean {
  return parseFileName(name) !== undefined
}

export async function destroyDatabase (env: Env, location: string): Promise<void> {
  let names: string[]
  try {
    names = env.list(location)
  } catch (err) {
    if (isNotFound(err)) return
    throw err
  }
  const lock = env.lock(location) // throws LEVEL_LOCKED while the database is open
  try {
    for (const name of names) {
      if (!isDatabaseFile(name) || name === 'LOCK') continue
      removeIfPresent(env, path.join(location, name))
    }
  } finally {
    lock.release()
  }
  removeIfPresent(env, path.join(location, 'LOCK'))
  try {
    env.removeDirectory(location)
  } catch {
    // Not empty: files that are not the database's stay, with their directory.
  }
}

function removeIfPresent (env: Env, file: string): void {
  try {
    env.remove(file)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}

