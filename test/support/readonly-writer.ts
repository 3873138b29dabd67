// Child process of test/readonly/processes.test.ts: writes the batches of readonly-plan.ts
// with lsm-level or classic-level, as fast as it can for `millis` ms, with a small write
// buffer so that flushes and compactions happen all the time.
//
//   fork(dist/test/support/readonly-writer.js, ['<json WriterArgs>'])
//
// Messages: 'ready' once open, 'ack' every 25 acknowledged batches, 'done' after the last
// one (with how many table files it saw come and go). It then keeps the database open until
// the parent sends 'close', so that readers catch up while it is still open.

import * as fs from 'fs'
import { ClassicLevel } from 'classic-level'
import { LsmLevel } from '../../index'
import { batchOps, type ChildMessage, type WriterArgs } from './readonly-plan'

const args = JSON.parse(process.argv[2]) as WriterArgs

function send (message: ChildMessage): void {
  process.send?.(message)
}

function fail (err: unknown): never {
  send({ type: 'error', message: `writer: ${(err as Error)?.stack ?? String(err)}` })
  process.exit(1)
}

process.on('unhandledRejection', fail)

async function main (): Promise<void> {
  const options = { writeBufferSize: args.writeBufferSize }
  const db = args.engine === 'classic-level'
    ? new ClassicLevel<string, string>(args.location, options)
    : new LsmLevel<string, string>(args.location, options)
  await db.open()
  send({ type: 'ready' })

  const seen = new Set<string>()
  const sample = (): void => {
    for (const name of fs.readdirSync(args.location)) if (name.endsWith('.ldb')) seen.add(name)
  }
  const started = Date.now()
  let i = 0
  for (; Date.now() - started < args.millis; i++) {
    await db.batch(batchOps(i))
    if (i % 25 === 24) {
      send({ type: 'ack', batch: i })
      sample()
    }
  }
  sample()
  const now = new Set(fs.readdirSync(args.location))
  send({ type: 'done', last: i - 1, tablesSeen: seen.size, tablesDeleted: [...seen].filter((name) => !now.has(name)).length })

  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'close') return
    db.close().then(() => process.exit(0), fail)
  })
}

main().catch(fail)
