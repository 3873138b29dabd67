// Child process of test/readonly/processes.test.ts: opens the writer's database with
// readOnly: true and, until the parent sends 'final', refreshes and checks views in a loop
// (readonly-plan.ts checkView): each must be the state after a prefix of the writer's
// batches, and that prefix must never shrink. Three kinds of view take turns:
//   - a fresh iterator after refresh();
//   - an iterator read half before a refresh() and half after it (the writer deletes files
//     under it meanwhile);
//   - an explicit snapshot taken before a refresh() and read after it, with get() and an
//     iterator, then a fresh view.
// On 'final' (with the writer's last acknowledged batch) it refreshes once more and checks
// that it sees exactly that batch, then sends its 'result' and exits.
//
//   fork(dist/test/support/readonly-reader.js, ['<json ReaderArgs>'])

import { LsmLevel } from '../../index'
import { checkView, COUNTER, type ChildMessage, type FinalMessage, type ReaderArgs } from './readonly-plan'

const args = JSON.parse(process.argv[2]) as ReaderArgs

function send (message: ChildMessage): void {
  process.send?.(message)
}

function fail (err: unknown): never {
  send({ type: 'error', message: `reader ${args.id}: ${(err as Error)?.stack ?? String(err)}` })
  process.exit(1)
}

process.on('unhandledRejection', fail)

let final: number | undefined
process.on('message', (message: FinalMessage) => {
  if (message?.type === 'final') final = message.last
})

async function main (): Promise<void> {
  const db = new LsmLevel<string, string>(args.location, { readOnly: true })
  await db.open()
  send({ type: 'ready' })

  const errors: string[] = []
  const distinct = new Set<number>()
  let last = -1
  let refreshes = 0
  let views = 0
  let carried = 0
  const check = (entries: Array<[string, string]>, what: string): number => {
    views++
    const { c, problems } = checkView(entries)
    for (const problem of problems) if (errors.length < 60) errors.push(`${what} (view ${views}): ${problem}`)
    if (c < last && errors.length < 60) errors.push(`${what} (view ${views}): went back in time, from batch ${last} to ${c}`)
    last = Math.max(last, c)
    distinct.add(c)
    return c
  }
  const refresh = async (): Promise<void> => {
    await db.refresh()
    refreshes++
  }

  for (let round = 0; final === undefined; round++) {
    if (round % 3 === 0) {
      await refresh()
      check(await db.iterator().all(), 'fresh iterator')
    } else if (round % 3 === 1) {
      const iterator = db.iterator()
      const firstHalf = await iterator.nextv(600)
      await refresh()
      const rest = await iterator.all()
      check([...firstHalf, ...rest], 'iterator across a refresh')
      carried++
    } else {
      const snapshot = db.snapshot()
      await refresh()
      const counter = await db.get(COUNTER, { snapshot })
      const c = check(await db.iterator({ snapshot }).all(), 'snapshot across a refresh')
      if (String(counter ?? -1) !== String(c) && errors.length < 60) errors.push(`snapshot get(counter) = ${String(counter)}, its iterator says ${c}`)
      await snapshot.close()
      check(await db.iterator().all(), 'fresh iterator after the snapshot')
    }
  }

  await refresh()
  const c = check(await db.iterator().all(), 'final view')
  if (c !== final) errors.push(`after the writer's last batch ${String(final)} and a refresh, the reader sees batch ${c}`)
  await db.close()
  const result: ChildMessage = { type: 'result', id: args.id, refreshes, views, carried, distinct: distinct.size, last: c, errors }
  process.send?.(result, undefined, {}, () => process.exit(0))
}

main().catch(fail)
