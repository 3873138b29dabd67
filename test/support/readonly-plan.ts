// The batches of test/readonly/processes.test.ts, shared by its writer child
// (readonly-writer.ts) and reader children (readonly-reader.ts), and the check of one view.
//
// Batch i, one atomic write:
//   puts b<i>-k0..k9 = "<i>|<filler>"     (new keys)
//   dels b<i-KEEP>-k0..k9                 (so tombstones reach compactions, and data stays small)
//   puts h<i % HOT> = "<i>"               (a few keys overwritten again and again)
//   puts counter = "<i>"
// So the state after batches 0..c is known from c alone: b<i>-* for c-KEEP < i <= c, every h<j>
// holding the newest i <= c with i % HOT = j, counter = c. A view holding part of a batch, or
// holding batch i without batch i-1, is told apart from every such state.

export const KEYS_PER_BATCH = 10
export const KEEP = 100
export const HOT = 16
export const COUNTER = 'counter'

export interface WriterArgs {
  location: string
  engine: 'lsm-level' | 'classic-level'
  /** How long to write, in ms. */
  millis: number
  writeBufferSize: number
}

export interface ReaderArgs {
  location: string
  id: number
}

/** What the children send the parent (process.send). */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'ack', batch: number }
  | { type: 'done', last: number, tablesSeen: number, tablesDeleted: number }
  | { type: 'result', id: number, refreshes: number, views: number, carried: number, distinct: number, last: number, errors: string[] }
  | { type: 'error', message: string }

/** What the parent sends a reader: check one last time, expecting batch `last`, then exit. */
export interface FinalMessage { type: 'final', last: number }

const FILLER = 'abcdefghijklmnopqrstuvwxyz0123456789'

export function batchValue (i: number): string {
  let filler = ''
  for (let n = 0; n < 120; n++) filler += FILLER[(i * 7 + n * 13) % FILLER.length]
  return `${i}|${filler}`
}

export function batchKey (i: number, k: number): string {
  return `b${i}-k${k}`
}

export type Op = { type: 'put', key: string, value: string } | { type: 'del', key: string }

export function batchOps (i: number): Op[] {
  const ops: Op[] = []
  for (let k = 0; k < KEYS_PER_BATCH; k++) ops.push({ type: 'put', key: batchKey(i, k), value: batchValue(i) })
  if (i >= KEEP) for (let k = 0; k < KEYS_PER_BATCH; k++) ops.push({ type: 'del', key: batchKey(i - KEEP, k) })
  ops.push({ type: 'put', key: `h${i % HOT}`, value: String(i) })
  ops.push({ type: 'put', key: COUNTER, value: String(i) })
  return ops
}

/**
 * Checks that `entries` (one consistent view: all of one iterator) is the state after batches
 * 0..c for some c, and returns c (-1: no batch yet), with what is wrong (empty when it is).
 */
export function checkView (entries: Array<[string, string]>): { c: number, problems: string[] } {
  const problems: string[] = []
  const map = new Map(entries)
  const counter = map.get(COUNTER)
  const c = counter === undefined ? -1 : Number(counter)
  if (Number.isNaN(c)) problems.push(`counter holds '${String(counter)}'`)
  const perBatch = new Map<number, number>()
  for (const [key, value] of entries) {
    if (key === COUNTER) continue
    const b = /^b(\d+)-k(\d+)$/.exec(key)
    if (b !== null) {
      const i = Number(b[1])
      if (value !== batchValue(i)) problems.push(`${key} holds '${value.slice(0, 20)}...'`)
      perBatch.set(i, (perBatch.get(i) ?? 0) + 1)
      continue
    }
    const h = /^h(\d+)$/.exec(key)
    if (h !== null) {
      const j = Number(h[1])
      const expected = c - ((((c - j) % HOT) + HOT) % HOT)
      if (Number(value) !== expected) problems.push(`${key} holds ${value}, after batch ${c} it holds ${expected}`)
      continue
    }
    problems.push(`unexpected key ${key}`)
  }
  for (const [i, n] of [...perBatch].sort(([a], [b]) => a - b)) {
    if (i > c) problems.push(`${n} keys of batch ${i} are there, the counter says ${c}`)
    else if (i <= c - KEEP) problems.push(`${n} keys of batch ${i} are there, deleted by batch ${i + KEEP} <= ${c}`)
  }
  for (let i = Math.max(0, c - KEEP + 1); i <= c; i++) {
    const n = perBatch.get(i) ?? 0
    if (n !== KEYS_PER_BATCH) problems.push(`batch ${i} has ${n} of its ${KEYS_PER_BATCH} keys (counter ${c})`)
  }
  for (let j = 0; j < HOT && j <= c; j++) if (!map.has(`h${j}`)) problems.push(`h${j} is missing after batch ${c}`)
  return { c, problems: problems.slice(0, 30) }
}
