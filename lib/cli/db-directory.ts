// The files of a database directory, classified by name (lib/format/filename.ts) and sized.
// Read-only: a listing and a stat per file. A file that disappears between the two (the
// application holding the database deleted it) is left out rather than failing the command.

import * as path from 'path'
import { levelError } from '../base/errors'
import type { Env } from '../env/env'
import { isNotFound } from '../env/io-error'
import { type FileType, currentFileName, parseFileName } from '../format/filename'

export interface DbFile {
  name: string
  path: string
  size: number
  /** Undefined for names LevelDB does not recognise (LOCK.owner.* claims, lost/, ...). */
  type: FileType | undefined
  number: number
}

export function listDbFiles (env: Env, location: string): DbFile[] {
  const files: DbFile[] = []
  for (const name of env.list(location).sort()) {
    const filePath = path.join(location, name)
    let size: number
    try {
      size = env.fileSize(filePath)
    } catch (err) {
      if (isNotFound(err)) continue
      throw err
    }
    const parsed = parseFileName(name)
    files.push({ name, path: filePath, size, type: parsed?.type, number: parsed?.number ?? 0 })
  }
  return files
}

/** Throws the open error (exit 2) unless `location` holds a database (a CURRENT file). */
export function requireDatabase (env: Env, location: string): void {
  if (!env.exists(location)) throw levelError('LEVEL_DATABASE_NOT_OPEN', `${location}: no such directory`)
  if (!env.exists(currentFileName(location))) {
    throw levelError('LEVEL_DATABASE_NOT_OPEN', `${location}: not a database (no CURRENT file)`)
  }
}
