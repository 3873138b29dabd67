// readOnly: true across processes: a writer child (lsm-level, then classic-level) writes
// batches nonstop with a small write buffer, so that it flushes and compacts all the time and
// deletes files under the readers, while reader children (lsm-level, readOnly: true) refresh
// and check views in a loop (test/support/readonly-reader.ts). Every view must be the state
// after a prefix of the writer's batches (never part of a batch, never a batch without the
// one before), the prefix must never shrink across refreshes, and after the writer's last
// acknowledged batch plus one refresh every reader sees all of it. The readers take no lock
// (the writer holds it) and leave nothing behind.

import test = require('tape')
import * as path from 'path'
import { fork, type ChildProcess } from 'child_process'
import { tempLocation } from '../support/temp'
import type { ChildMessage, FinalMessage, ReaderArgs, WriterArgs } from '../support/readonly-plan'

const SUPPORT = path.join(__dirname, '..', 'support')

type Result = Extract<ChildMessage, { type: 'result' }>
type Done = Extract<ChildMessage, { type: 'done' }>

interface Child {
  process: ChildProcess
  messages: ChildMessage[]
  exited: Promise<number | null>
  stderr: string[]
  /** Resolves with the first message of `type`. */
  next: <T extends ChildMessage['type']>(type: T) => Promise<Extract<ChildMessage, { type: T }>>
}

function start (script: string, args: WriterArgs | ReaderArgs): Child {
  const child = fork(path.join(SUPPORT, script), [JSON.stringify(args)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  const messages: ChildMessage[] = []
  const waiting: Array<{ type: string, resolve: (m: ChildMessage) => void }> = []
  const stderr: string[] = []
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (d: string) => { stderr.push(d) })
  const onMessage = (message: ChildMessage): void => {
    messages.push(message)
    for (let i = 0; i < waiting.length; i++) {
      if (waiting[i].type === message.type || message.type === 'error') {
        waiting[i].resolve(message)
        waiting.splice(i--, 1)
      }
    }
  }
  child.on('message', onMessage)
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    // A child that died without its message: wake whoever waits for it.
    for (const w of waiting.splice(0)) w.resolve({ type: 'error', message: `${script} exited with code ${String(code)}: ${stderr.join('').slice(0, 2000)}` })
    resolve(code)
  }))
  return {
    process: child,
    messages,
    exited,
    stderr,
    next: async (type) => {
      const found = messages.find((m) => m.type === type || m.type === 'error')
      const message = found ?? await new Promise<ChildMessage>((resolve) => waiting.push({ type, resolve }))
      if (message.type === 'error') throw new Error(message.message)
      return message as any
    }
  }
}

async function run (t: test.Test, engine: WriterArgs['engine'], readers: number, millis: number): Promise<void> {
  const location = tempLocation(`ro-processes-${engine}`)
  const started = Date.now()
  const writer = start('readonly-writer.js', { location, engine, millis, writeBufferSize: 64 * 1024 })
  const children: Child[] = [writer]
  try {
    await writer.next('ready')
    const group = Array.from({ length: readers }, (_, id) => start('readonly-reader.js', { location, id }))
    children.push(...group)
    await Promise.all(group.map(async (reader) => await reader.next('ready')))
    t.pass(`${readers} readers opened the database ${engine} has open for writing`)

    const done: Done = await writer.next('done')
    const acks = writer.messages.filter((m) => m.type === 'ack').length
    t.ok(done.last > 200, `${engine} wrote ${done.last + 1} batches (${acks} acks)`)
    t.ok(done.tablesSeen > 10 && done.tablesDeleted > 5, `and flushed and compacted meanwhile: ${done.tablesSeen} table files seen, ${done.tablesDeleted} of them deleted again`)
    for (const reader of group) reader.process.send({ type: 'final', last: done.last } satisfies FinalMessage)
    const results: Result[] = await Promise.all(group.map(async (reader) => await reader.next('result')))
    for (const result of results) {
      const label = `reader ${result.id}`
      t.deepEqual(result.errors, [], `${label}: ${result.views} views in ${result.refreshes} refreshes (${result.carried} iterators read across one), each a whole prefix, none going back`)
      t.ok(result.distinct > 3, `${label}: saw the writer move on (${result.distinct} distinct prefixes)`)
      t.equal(result.last, done.last, `${label}: one refresh after the last acknowledged batch, sees batch ${done.last}`)
    }
    writer.process.send({ type: 'close' })
    const codes = await Promise.all(children.map(async (child) => await child.exited))
    t.deepEqual(codes, children.map(() => 0), 'every child exited cleanly')
    t.comment(`${engine}: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } catch (err) {
    t.error(err)
    for (const child of children) child.process.kill('SIGKILL')
  }
}

test('readOnly across processes: 4 readers follow an lsm-level writer', async (t) => {
  await run(t, 'lsm-level', 4, 6000)
})

test('readOnly across processes: 2 readers follow a classic-level writer', async (t) => {
  await run(t, 'classic-level', 2, 3000)
})
