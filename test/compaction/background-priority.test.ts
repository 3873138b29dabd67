import test = require('tape')
import fs = require('fs')
import os = require('os')
import { BACKGROUND_NICE, lowerThisThreadPriority } from '../../lib/compaction/background-priority'
import { flushJob } from '../../lib/compaction/jobs'
import { runInBackground, terminateWorkerPool } from '../../lib/compaction/worker-pool'
import { nodeEnv } from '../../lib/env/node-env'
import { ValueKind } from '../../lib/format/internal-key'
import { MemTable } from '../../lib/memtable/memtable'
import { tempLocation } from '../support/temp'

/** Nice value of every thread of this process, by thread id (Linux: /proc/self/task/<tid>/stat). */
function threadNiceValues (): Map<number, number> {
  const out = new Map<number, number>()
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'latin1')
      // Fields after the parenthesised name start with field 3 (state); nice is field 19.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(Number(tid), Number(fields[19 - 3]))
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out
}

test('background priority: the main thread is never changed', (t) => {
  const before = os.getPriority()
  t.is(lowerThisThreadPriority(), undefined, 'nothing to do on the main thread')
  t.is(os.getPriority(), before, `the process keeps nice ${before}`)
  t.end()
})

test('background priority: flush and compaction workers run below the main thread (Linux)', { skip: process.platform !== 'linux' }, async (t) => {
  const mainNice = os.getPriority()
  const expected = Math.max(BACKGROUND_NICE, mainNice)
  const before = [...threadNiceValues()].filter(([, nice]) => nice > mainNice)
  t.same(before, [], `before a worker starts, no thread runs below the main thread (nice ${mainNice})`)

  const location = tempLocation('background-priority')
  fs.mkdirSync(location)
  const mem = new MemTable()
  mem.add(1, ValueKind.Value, Buffer.from('k'), 0, 1, Buffer.from('v'), 0, 1)
  const result = await runInBackground(flushJob(location, { blockSize: 4096, blockRestartInterval: 16, compression: true }, 5, mem), 'flush', nodeEnv)
  t.is(result.outputs.length, 1, 'the worker ran a flush')

  const after = threadNiceValues()
  const background = [...after].filter(([tid, nice]) => tid !== process.pid && nice === expected)
  t.ok(background.length >= 1, `a worker thread runs at nice ${expected} (threads ${[...after].map(([tid, nice]) => `${tid}:${nice}`).join(' ')})`)
  t.is(after.get(process.pid), mainNice, 'the main thread keeps its nice value')
  t.is(os.getPriority(), mainNice, 'and so does the process')
  await terminateWorkerPool()
})
