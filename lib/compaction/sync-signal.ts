// A process-wide counter, in shared memory, of background threads currently inside an
// fsync of a table file. While one is, the kernel may hold up any write to the same disk
// for tens of milliseconds (the filesystem journal commits), so the main thread sends its
// WAL appends through the thread pool instead of writing synchronously. Outside those
// windows appends stay synchronous, which is what makes single puts fast.

import { isMainThread, workerData } from 'worker_threads'

let counter: Int32Array = new Int32Array(new SharedArrayBuffer(4))

// Workers started by the pool share the main thread's counter.
if (!isMainThread && workerData?.syncSignal instanceof SharedArrayBuffer) {
  counter = new Int32Array(workerData.syncSignal as SharedArrayBuffer)
}

/** The shared memory to hand to worker threads (workerData.syncSignal). */
export function syncSignalBuffer (): SharedArrayBuffer {
  return counter.buffer as SharedArrayBuffer
}

/** Runs `sync` (an fsync) while the counter says a background sync is in progress. */
export function duringBackgroundSync<T> (sync: () => T): T {
  Atomics.add(counter, 0, 1)
  try {
    return sync()
  } finally {
    Atomics.sub(counter, 0, 1)
  }
}

export function backgroundSyncInProgress (): boolean {
  return Atomics.load(counter, 0) > 0
}
