// A worker reaching an environment on the main thread (remote-env.ts): what flushes and
// compactions on MemEnv and FaultEnv go through. Two workers at once, small and large
// replies (past the mailbox), reads that stay intact after the next, errors with their codes.

import test = require('tape')
import * as path from 'path'
import { Worker } from 'worker_threads'
import { MemEnv } from '../../lib/env/mem-env'
import { serveEnv } from '../../lib/env/remote-env'

const WORKER = `
  const { parentPort } = require('worker_threads')
  const { RemoteEnv } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'env', 'remote-env.js'))})
  parentPort.on('message', ({ channel, name }) => {
    const env = new RemoteEnv(channel)
    const out = { name }
    try {
      const file = env.createWritable('/remote/' + name)
      for (let i = 0; i < 3000; i++) file.append(Buffer.alloc(100, i & 0xff))
      file.sync()
      file.close()
      const reader = env.openRandomAccess('/remote/' + name)
      const all = reader.read(0, reader.size)
      out.size = all.length
      out.sum = all.reduce((a, b) => a + b, 0)
      // A read's bytes are the caller's: the next reply must not overwrite them.
      const first = reader.read(0, 100)
      reader.read(100 * 2000, 100)
      out.firstKept = first.every((b) => b === 0)
      reader.close()
      try { env.readFile('/remote/missing') } catch (err) { out.error = err.code + ' ' + (err.cause && err.cause.code) }
    } catch (err) {
      out.failure = String(err && err.stack)
    } finally {
      env.close()
    }
    parentPort.postMessage(out)
  })
`

test('remote env: two workers at once, replies past the mailbox size, errors keep their codes', async (t) => {
  const env = new MemEnv()
  env.makeDirectory('/remote')
  const workers = [new Worker(WORKER, { eval: true }), new Worker(WORKER, { eval: true })]
  let expected = 0
  for (let i = 0; i < 3000; i++) expected += (i & 0xff) * 100
  const results: any[] = []
  for (let round = 0; round < 10; round++) {
    results.push(...await Promise.all(workers.map((worker, w) => new Promise((resolve) => {
      const served = serveEnv(env)
      worker.once('message', (message) => { served.close(); resolve(message) })
      worker.postMessage({ channel: served.channel, name: `f${round}-${w}` }, [served.channel.port])
    }))))
  }
  for (const worker of workers) await worker.terminate()
  t.deepEqual(results.filter((r) => r.failure !== undefined).map((r) => r.failure).slice(0, 2), [], 'no call failed')
  t.ok(results.every((r) => r.size === 300000 && r.sum === expected), 'every 300 KB read came back whole (past the 64 KiB mailbox)')
  t.ok(results.every((r) => r.firstKept === true), 'a read\'s bytes survive the next read (a copy, not a view of the mailbox)')
  t.ok(results.every((r) => r.error === 'LEVEL_IO_ERROR ENOENT'), 'an error crosses with its LEVEL_* code and errno')
  t.equal(env.fileSize('/remote/f9-1'), 300000, 'the writes reached the environment of the main thread')
})
