// Entry point of the background worker thread (started by worker-pool.ts): runs one job per
// message, synchronously, and answers {id, result} or {id, error}. A job that throws is
// reported, not fatal; the worker stays up for the next one.

import { parentPort } from 'worker_threads'
import { nodeEnv } from '../env/node-env'
import { type EnvChannel, RemoteEnv } from '../env/remote-env'
import { transferableError } from '../env/io-error'
import { type Job, executeJob, portableJobResult } from './jobs'
import { lowerThisThreadPriority } from './background-priority'

if (parentPort === null) throw new Error('lib/compaction/worker.js must be run as a worker thread')
const port = parentPort
// Flushes and compactions yield the CPU to the event loop's thread when both want it.
lowerThisThreadPriority()

port.on('message', (message: { id: number, job: Job, channel?: EnvChannel }) => {
  const { id, job, channel } = message
  // A job on a test environment reaches it through the channel; otherwise files are ours to open.
  const remote = channel === undefined ? undefined : new RemoteEnv(channel)
  let reply: object
  try {
    reply = { id, result: portableJobResult(executeJob(job, remote ?? nodeEnv)) }
  } catch (err) {
    reply = { id, error: transferableError(err) }
  } finally {
    remote?.close()
  }
  port.postMessage(reply)
})
