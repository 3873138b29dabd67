// Which OS thread runs this JavaScript thread, and whether a thread is still alive: how the
// threads sharing a database (lib/sharing) notice that the thread owning it (or a client)
// has gone, e.g. a worker terminated with worker.terminate(), and how the LOCK claim of a
// dead thread is told from a live one (lib/env/lock-file.ts).
//
// Linux only: a thread is /proc/self/task/<tid>, and field 22 of its stat file (start time
// in clock ticks since boot) tells a reused tid from the original. Elsewhere the identity is
// { tid: 0 } and every thread counts as alive (no takeover; see README "Worker threads").

import * as fs from 'fs'

export interface ThreadIdentity {
  /** OS thread id; 0 where it cannot be known. */
  tid: number
  /** Field 22 of /proc/self/task/<tid>/stat. */
  start: string
}

let own: ThreadIdentity | undefined

export function ownThread (): ThreadIdentity {
  if (own === undefined) {
    own = { tid: 0, start: '' }
    try {
      const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop())
      const start = startTime(tid)
      if (tid > 0 && start !== undefined) own = { tid, start }
    } catch {}
  }
  return own
}

/** False only when the thread is known to be gone. */
export function threadAlive (thread: ThreadIdentity): boolean {
  if (thread.tid === 0) return true
  const start = startTime(thread.tid)
  return start === thread.start
}

function startTime (tid: number): string | undefined {
  let stat: string
  try {
    stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'latin1')
  } catch {
    return undefined
  }
  // Field 2 (the command) is in parentheses and may hold spaces or ')': split after the last ')'.
  const value = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]
  return value !== undefined && /^\d+$/.test(value) ? value : undefined
}
