// Entry point of the background worker thread (started by worker-pool.ts): runs one job per
// message, synchronously, and answers {id, result} or {id, error}. A job that throws is
// reported, not fatal; the worker stays up for the next one.

import { parentPort } from 'worker_threads'
import { type Job, executeJob, portableJobResult, serializeJobError } from './jobs'

if (parentPort === null) throw new Error('lib/compaction/worker.js must be run as a worker thread')
const port = parentPort

port.on('message', (message: { id: number, job: Job }) => {
  const { id, job } = message
  let reply: object
  try {
    reply = { id, result: portableJobResult(executeJob(job)) }
  } catch (err) {
    reply = { id, error: serializeJobError(err) }
  }
  port.postMessage(reply)
})
