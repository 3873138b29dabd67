// Background threads run at a lower CPU priority than the thread that called them.
//
// On a machine with few cores the flush and compaction workers compete with the main thread
// for the same CPUs; when the kernel preempts the main thread for them, the event loop stalls
// for whole scheduler slices (a scan next to a compaction measured p99 loop delays of 8 ms
// instead of 5). A raised nice value leaves them all the CPU nobody else wants, so a steady
// fill, where the main thread only uses one core, keeps its background throughput. RocksDB
// offers the same for its low-priority pool (Env::LowerThreadPoolCPUPriority).
//
// Linux only: there setpriority() on a thread id changes that one thread, and the id is the
// last component of /proc/thread-self. Elsewhere it would change the whole process, so we do
// nothing. Failure is harmless (the thread keeps the caller's priority), never an error.

import fs = require('fs')
import os = require('os')

/** The nice value of background threads: below normal (0), above idle (19). */
export const BACKGROUND_NICE = 10

/**
 * Lowers the calling thread's priority to BACKGROUND_NICE, unless it is already lower.
 * Returns the thread's nice value afterwards, or undefined where threads cannot be told apart.
 */
export function lowerThisThreadPriority (): number | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const threadId = Number(fs.readlinkSync('/proc/thread-self').split('/').pop())
    // The main thread's id is the process id: never change that one.
    if (!Number.isInteger(threadId) || threadId === process.pid) return undefined
    if (os.getPriority(threadId) < BACKGROUND_NICE) os.setPriority(threadId, BACKGROUND_NICE)
    return os.getPriority(threadId)
  } catch {
    return undefined
  }
}
