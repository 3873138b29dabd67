// Concurrent operations: a fixed number outstanding at all times, as a server handling many
// requests would keep them. classic-level then has that many jobs queued on the thread pool;
// lsm-level can answer them without yielding in between.

/** Default number of operations kept in flight (--in-flight). */
export const IN_FLIGHT = 64

/**
 * Calls `start(i)` for i = 0..count-1, keeping `depth` of the returned promises pending: each
 * completion starts the next index. Indices are handed out in order, so a workload drawing keys
 * from a seeded stream inside `start` draws the same keys whatever the completion order.
 * Resolves with the number of operations that completed.
 */
export async function inFlight (count: number, depth: number, start: (i: number) => Promise<void>): Promise<number> {
  let issued = 0
  let completed = 0
  const lane = async (): Promise<void> => {
    while (issued < count) {
      await start(issued++)
      completed++
    }
  }
  const lanes: Array<Promise<void>> = []
  for (let l = 0; l < Math.min(depth, count); l++) lanes.push(lane())
  await Promise.all(lanes)
  return completed
}
