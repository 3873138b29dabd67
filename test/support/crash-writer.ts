// Child process for test/recovery/crash.test.ts: writes the plan of test/support/crash-plan.ts
// from op `start` on, forever, until the parent kills it with SIGKILL.
//
//   node dist/test/support/crash-writer.js '<json {location, seed, start, writeBufferSize, maxValue, syncRate}>'
//
// stdout protocol, one line each, written synchronously (fs.writeSync) so that a line the
// parent reads was written before the kill:
//   opening          about to call db.open()
//   ready            open resolved
//   ack <id>         the write of op <id> resolved (is acknowledged)
//   error <message>  something failed; the child exits with code 1

import * as fs from 'fs'
import { LsmLevel } from '../../index'
import { Plan, prng, valueFor, COUNTER_KEY, type PlanOp, type WriterArgs } from './crash-plan'

const args = JSON.parse(process.argv[2]) as WriterArgs

function say (line: string): void {
  fs.writeSync(1, line + '\n')
}

function fail (err: unknown): never {
  say(`error ${(err as Error)?.stack ?? String(err)}`.replace(/\n/g, ' | '))
  process.exit(1)
}

process.on('unhandledRejection', fail)

async function main (): Promise<void> {
  const db = new LsmLevel<string, string>(args.location, { writeBufferSize: args.writeBufferSize })
  say('opening')
  await db.open()
  say('ready')
  if (args.idle === true) {
    setInterval(() => {}, 1000)
    return
  }

  const plan = new Plan(args.seed, args.maxValue)
  const rand = prng((args.seed ^ 0x5bd1e995 ^ (args.start * 31)) >>> 0)
  let next = args.start

  const issue = (op: PlanOp, sync: boolean): Promise<void> => {
    let p: Promise<void>
    switch (op.kind) {
      case 'put': p = db.put(op.key, valueFor(op.id, op.size), { sync }); break
      case 'del': p = db.del(op.key, { sync }); break
      case 'counter': p = db.put(COUNTER_KEY, valueFor(op.id, op.size), { sync }); break
      case 'batch': {
        const value = valueFor(op.id, op.size)
        if (op.chained) {
          const batch = db.batch()
          for (const key of op.keys) batch.put(key, value)
          p = batch.write({ sync })
        } else {
          p = db.batch(op.keys.map((key) => ({ type: 'put' as const, key, value })), { sync })
        }
        break
      }
    }
    return p.then(() => say(`ack ${op.id}`))
  }

  for (;;) {
    const r = rand()
    if (r < 0.5) {
      // One awaited write.
      await issue(plan.get(next++), rand() < args.syncRate)
    } else if (r < 0.8) {
      // An unawaited burst in one tick: one group commit.
      const n = 2 + Math.floor(rand() * 40)
      const pending: Array<Promise<void>> = []
      for (let i = 0; i < n; i++) pending.push(issue(plan.get(next++), false))
      await Promise.all(pending)
    } else {
      // An unawaited burst spread over ticks: several groups in flight at once.
      const n = 2 + Math.floor(rand() * 20)
      const pending: Array<Promise<void>> = []
      for (let i = 0; i < n; i++) {
        pending.push(issue(plan.get(next++), rand() < args.syncRate))
        if (rand() < 0.5) await new Promise((resolve) => setImmediate(resolve))
        else await new Promise((resolve) => process.nextTick(resolve))
      }
      await Promise.all(pending)
    }
  }
}

main().catch(fail)
