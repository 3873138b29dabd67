// The engine answers gets, puts and iterator steps without leaving the main thread, so a
// loop of awaited operations would run on microtasks alone and never let the event loop
// turn: timers, I/O and other clients would starve. The pacer notices when the loop has
// not turned for half a millisecond and tells the next operation to wait for one setImmediate
// first. It costs a counter increment per operation and a clock read every 32 of them.

import { performance } from 'perf_hooks'

const SLICE_MS = 0.5

let sliceStart = 0
let turnPending = false
let work = 0
let nextCheck = 32

function onTurn (): void {
  turnPending = false
}

/**
 * True when the caller should `await nextTurn()` before doing its work. `units` weighs the
 * work done since the last call (e.g. entries a nextv returned), so big steps count more.
 */
export function mustYield (units = 1): boolean {
  if (!turnPending) {
    // A new slice: ask to be told when the event loop next turns.
    turnPending = true
    sliceStart = performance.now()
    setImmediate(onTurn)
    return false
  }
  work += units
  if (work < nextCheck) return false
  nextCheck = work + 32
  return performance.now() - sliceStart > SLICE_MS
}

/** Resolves after the event loop has turned once (timers and I/O had their chance). */
export function nextTurn (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
