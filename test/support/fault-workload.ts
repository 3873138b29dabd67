// A sustained write load for fault tests, and the checks they share.
//
// The writer commits batches back to back: batch i puts BATCH_OPS keys b<i>-<j> (so a
// partial batch is visible as some of its keys without the others) and overwrites one of
// HOT_KEYS shared keys (so compactions have versions to drop). It records which batches
// were acknowledged and every error a write rejected with, and keeps trying after a
// rejection (more slowly), so that a test sees later writes fail too, and succeed again
// once the database resumes.

import { LsmLevel } from '../../index'
import { FaultEnv } from '../../lib/env/fault-env'
import { MemEnv } from '../../lib/env/mem-env'

export const BATCH_OPS = 8
const HOT_KEYS = 50
const VALUE = 'v'.repeat(100)

export interface FaultDatabase {
  mem: MemEnv
  env: FaultEnv
  location: string
  db: LsmLevel<string, string>
  events: Array<{ event: string, payload: any }>
}

let counter = 0

/** A database on FaultEnv(MemEnv) with a small write buffer, so flushes and compactions are frequent. */
export async function openFaultDatabase (options: Record<string, unknown> = {}): Promise<FaultDatabase> {
  const mem = new MemEnv()
  const env = new FaultEnv(mem)
  const location = `/faults/db-${++counter}`
  const db = new LsmLevel<string, string>(location, { env, writeBufferSize: 64 * 1024, ...options })
  const events: Array<{ event: string, payload: any }> = []
  for (const event of ['background-error', 'resumed']) db.on(event, (payload: any) => events.push({ event, payload }))
  await db.open()
  return { mem, env, location, db, events }
}

export function batchKeys (i: number): string[] {
  return Array.from({ length: BATCH_OPS }, (_v, j) => `b${String(i).padStart(6, '0')}-${j}`)
}

export class Writer {
  /** Batches whose write resolved. */
  readonly acknowledged = new Set<number>()
  /** Errors writes rejected with, in order. */
  readonly errors: Error[] = []
  private next = 0
  private stopping = false
  private running: Promise<void>

  constructor (private readonly db: LsmLevel<string, string>, readonly sync = false) {
    this.running = this.loop()
  }

  get attempted (): number {
    return this.next
  }

  private async loop (): Promise<void> {
    while (!this.stopping) {
      const i = this.next++
      const ops = batchKeys(i).map((key) => ({ type: 'put' as const, key, value: `${VALUE}${i}` }))
      ops.push({ type: 'put', key: `hot-${i % HOT_KEYS}`, value: `${i}` })
      try {
        await this.db.batch(ops, { sync: this.sync })
        this.acknowledged.add(i)
      } catch (err) {
        this.errors.push(err as Error)
        await sleep(5)
      }
    }
  }

  /** Resolves once `n` more batches were acknowledged (false after `ms`). */
  async progress (n: number, ms = 20000): Promise<boolean> {
    const target = this.acknowledged.size + n
    return await until(() => this.acknowledged.size >= target, ms)
  }

  /** Resolves once a write rejected after this call (false after `ms`). */
  async rejection (ms = 20000): Promise<Error | undefined> {
    const seen = this.errors.length
    await until(() => this.errors.length > seen, ms)
    return this.errors[seen]
  }

  async stop (): Promise<void> {
    this.stopping = true
    await this.running
  }
}

/**
 * Reopens the database (the same files, as a new process would find them) and checks that
 * every acknowledged batch is there in full and no batch is there in part. Returns problems.
 */
export async function verifyReopen (env: FaultEnv | MemEnv, location: string, acknowledged: Set<number>, attempted: number): Promise<string[]> {
  const db = new LsmLevel<string, string>(location, { env })
  await db.open()
  const problems: string[] = []
  try {
    for (let i = 0; i < attempted; i++) {
      const values = await db.getMany(batchKeys(i))
      const present = values.filter((v) => v !== undefined).length
      if (acknowledged.has(i) && present !== BATCH_OPS) problems.push(`acknowledged batch ${i} has ${present} of ${BATCH_OPS} keys`)
      else if (present !== 0 && present !== BATCH_OPS) problems.push(`batch ${i} is partial: ${present} of ${BATCH_OPS} keys`)
      else if (present > 0 && values.some((v) => v !== `${VALUE}${i}`)) problems.push(`batch ${i} has wrong values`)
    }
  } finally {
    await db.close()
  }
  return problems
}

/** Collects unhandled rejections and uncaught exceptions while a test runs. */
export function watchProcess (): { problems: string[], stop: () => string[] } {
  const problems: string[] = []
  const onRejection = (reason: unknown): void => { problems.push(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`) }
  const onException = (err: Error): void => { problems.push(`uncaught exception: ${err.stack ?? String(err)}`) }
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  return {
    problems,
    stop: () => {
      process.off('unhandledRejection', onRejection)
      process.off('uncaughtException', onException)
      return problems
    }
  }
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export async function until (cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!cond() && Date.now() < deadline) await sleep(2)
  return cond()
}
