// A deterministic write plan shared by the crash-test child (test/support/crash-writer.ts)
// and the parent that checks what survived a SIGKILL (test/recovery/crash.test.ts).
//
// Op ids are assigned in call order. Every op is a pure function of (seed, id) given the ops
// before it, so the parent can replay the plan as a model and compare it with the database:
// the visible state must be exactly the model after some prefix [0, M) of the plan.
//
// Every value is "<id>|<filler>" where <id> is the op that wrote it, so the database itself
// tells which ops are visible (except plain deletes, which leave no value behind).

export type PlanOp =
  | { id: number, kind: 'put', key: string, size: number }
  | { id: number, kind: 'del', key: string }
  | { id: number, kind: 'batch', keys: string[], size: number, chained: boolean }
  | { id: number, kind: 'counter', size: number }

import { prng } from './prng'
export { prng }

/** What the parent tells a crash-writer child (as JSON in argv[2]). */
export interface WriterArgs {
  location: string
  seed: number
  start: number
  writeBufferSize: number
  maxValue: number
  syncRate: number
  /** Open (recovering whatever is there), report ready, then write nothing. */
  idle?: boolean
}

export const BATCH_KEYS = 10
export const COUNTER_KEY = 'counter'


const FILLER = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** The value op `id` writes: its id, '|', then `size` pseudo-random (poorly compressible) chars. */
export function valueFor (id: number, size: number): string {
  let x = (id * 2654435761) >>> 0
  const chars: string[] = []
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    chars.push(FILLER[x % FILLER.length])
  }
  return `${id}|` + chars.join('')
}

/** The id of the op that wrote `value`, or NaN. */
export function idOf (value: string): number {
  const bar = value.indexOf('|')
  return bar > 0 ? Number(value.slice(0, bar)) : NaN
}

/** Generates the plan lazily; plan.get(i) for any i, ops are produced in order. */
export class Plan {
  private readonly rand: () => number
  private readonly ops: PlanOp[] = []
  private readonly singles: number[] = []

  constructor (readonly seed: number, readonly maxValue = 2048) {
    this.rand = prng(seed)
  }

  get (id: number): PlanOp {
    while (this.ops.length <= id) this.ops.push(this.generate(this.ops.length))
    return this.ops[id]
  }

  private size (): number {
    // Mostly mid-sized values, a few big ones (several memtable flushes per second).
    const r = this.rand()
    if (r < 0.05) return Math.floor(this.maxValue * 4 * this.rand())
    return Math.floor(this.maxValue * this.rand())
  }

  private generate (id: number): PlanOp {
    const r = this.rand()
    const singles = this.singles
    if (r < 0.40 || singles.length < 5) {
      singles.push(id)
      return { id, kind: 'put', key: `s${id}`, size: this.size() }
    }
    if (r < 0.60) {
      const keys: string[] = []
      for (let j = 0; j < BATCH_KEYS; j++) keys.push(`b${id}-${j}`)
      return { id, kind: 'batch', keys, size: this.size() >> 2, chained: this.rand() < 0.3 }
    }
    if (r < 0.78) return { id, kind: 'counter', size: this.size() >> 3 }
    const target = singles[Math.floor(this.rand() * singles.length)]
    if (r < 0.90) return { id, kind: 'put', key: `s${target}`, size: this.size() }
    return { id, kind: 'del', key: `s${target}` }
  }
}

/** Applies op to a model of the database. */
export function applyOp (model: Map<string, string>, op: PlanOp): void {
  switch (op.kind) {
    case 'put': model.set(op.key, valueFor(op.id, op.size)); break
    case 'del': model.delete(op.key); break
    case 'counter': model.set(COUNTER_KEY, valueFor(op.id, op.size)); break
    case 'batch': {
      const value = valueFor(op.id, op.size)
      for (const key of op.keys) model.set(key, value)
      break
    }
  }
}
