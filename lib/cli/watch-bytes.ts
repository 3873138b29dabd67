// Progress for work that reports none (compactRange, repair, checkpoint): the bytes it has
// written so far, measured every 250 ms from the directory it writes to. Polls only while the
// progress bar is drawn.

import type { Env } from '../env/env'
import { listDbFiles } from './db-directory'
import type { Progress } from './progress'

const POLL_MS = 250

/** Calls `measure` every 250 ms while `progress` draws, until the returned function is called. */
export function watchBytes (progress: Progress, measure: () => number): () => void {
  if (!progress.enabled) return () => {}
  const poll = (): void => {
    try {
      progress.update(measure())
    } catch {} // a file deleted while measured: the next poll sees the new state
  }
  const timer = setInterval(poll, POLL_MS)
  return () => clearInterval(timer)
}

/**
 * Bytes of table files numbered `from` or higher ever seen in `location`: new outputs. A table
 * a later step of the same work deleted again still counts, since it was written.
 */
export function newTableBytes (env: Env, location: string, from: number): () => number {
  const seen = new Map<number, number>()
  return () => {
    for (const file of listDbFiles(env, location)) {
      if (file.type === 'table' && file.number >= from) seen.set(file.number, Math.max(seen.get(file.number) ?? 0, file.size))
    }
    let total = 0
    for (const bytes of seen.values()) total += bytes
    return total
  }
}

/** Bytes of the files in `location` now (0 while it does not exist). */
export function directoryBytes (env: Env, location: string): () => number {
  return () => env.exists(location) ? listDbFiles(env, location).reduce((sum, f) => sum + f.size, 0) : 0
}

/** One more than the highest file number in `location`: what new files will be numbered from. */
export function nextFileNumber (env: Env, location: string): number {
  return listDbFiles(env, location).reduce((max, f) => Math.max(max, f.number), 0) + 1
}
