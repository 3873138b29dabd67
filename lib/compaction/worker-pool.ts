// The process-wide pool of background workers, shared by every open database. It has two
// lanes, each one worker thread running one job at a time in submission order, so that a
// long compaction never holds up a flush (and a flush never waits behind a queue of
// compactions). Workers start on first use and are unref'd while idle, so an idle pool never
// keeps the process alive; a worker is ref'd while it runs a job, so pending work finishes.
// A worker with no job for a second exits: an idle one holds 10-20 MiB (its own V8 heap and
// code), which a database that is only read would keep for nothing, while starting one again
// costs the next job about 40 ms, and a second of idleness bounds that to a few percent.
//
// A worker that dies (uncaught error, out of memory, terminate) takes its current job with
// it: the job is rejected and the next job starts a fresh worker. Files the dead job had
// written are not in any version; the caller's obsolete-file sweep removes them.
//
// LSM_LEVEL_INLINE_JOBS=1 runs every job on the calling thread instead (for debugging and
// profiling): synchronously, inside an already resolved promise. So does running from the
// TypeScript sources (ts-node, tsx), where there is no compiled worker.js to start.

import { syncSignalBuffer } from './sync-signal'
import * as fs from 'fs'
import * as path from 'path'
import { Worker } from 'worker_threads'
import type { Env } from '../env/env'
import { type EnvChannel, serveEnv } from '../env/remote-env'
import { type TransferableError, reviveError } from '../env/io-error'
import { type Job, type JobResult, executeJob, reviveJobResult } from './jobs'

export type Lane = 'flush' | 'compaction'

interface Pending {
  id: number
  job: Job
  /** Set when the job's environment is served from this thread (see remote-env.ts). */
  channel: EnvChannel | undefined
  resolve: (result: JobResult) => void
  reject: (err: Error) => void
}

interface Reply {
  id: number
  result?: JobResult
  error?: TransferableError
}

const WORKER_SCRIPT = path.join(__dirname, 'worker.js')
let workerScriptExists: boolean | undefined

let nextJobId = 1

let idleExitMs = 1000

/** How long a worker may wait for a job before it exits (tests shorten it). */
export function setWorkerIdleExit (ms: number): void {
  idleExitMs = ms
}

class LaneRunner {
  private worker: Worker | undefined
  private running: Pending | undefined
  private readonly queue: Pending[] = []
  // The 'error' event of the current worker, reported with the job when it exits.
  private workerError: Error | undefined
  private idleTimer: ReturnType<typeof setTimeout> | undefined

  constructor (private readonly lane: Lane) {}

  /** Whether this lane has a worker thread (running a job, or idle and not yet exited). */
  get started (): boolean {
    return this.worker !== undefined
  }

  submit (job: Job, channel: EnvChannel | undefined): Promise<JobResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: nextJobId++, job, channel, resolve, reject })
      this.pump()
    })
  }

  private scheduleIdleExit (): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined
      const worker = this.worker
      if (worker === undefined || this.running !== undefined || this.queue.length > 0) return
      // Forgotten at once: a job submitted from here on starts a new worker, and this one's
      // exit event is ignored (onExit).
      this.worker = undefined
      worker.terminate().catch(() => {})
    }, idleExitMs)
    this.idleTimer.unref()
  }

  /** Stops the worker; its job (if any) and every queued job are rejected. */
  terminate (): Promise<void> {
    const queued = this.queue.splice(0)
    for (const pending of queued) pending.reject(new Error(`Background ${this.lane} job cancelled: the worker pool was terminated`))
    const worker = this.worker
    if (worker === undefined) return Promise.resolve()
    return worker.terminate().then(() => {})
  }

  private pump (): void {
    if (this.idleTimer !== undefined && this.queue.length > 0) {
      clearTimeout(this.idleTimer)
      this.idleTimer = undefined
    }
    while (this.running === undefined && this.queue.length > 0) {
      const pending = this.queue.shift() as Pending
      let worker: Worker
      try {
        worker = this.ensureWorker()
        this.running = pending
        worker.ref()
        const channel = pending.channel
        worker.postMessage({ id: pending.id, job: pending.job, channel }, channel === undefined ? [] : [channel.port])
      } catch (err) {
        // Could not start a worker or clone the job: fail this job, try the next.
        this.running = undefined
        this.worker?.unref()
        pending.reject(err as Error)
      }
    }
    if (this.running === undefined && this.worker !== undefined) this.scheduleIdleExit()
  }

  private ensureWorker (): Worker {
    if (this.worker !== undefined) return this.worker
    // A small young generation makes the worker collect its per-block garbage early: the
    // default lets each thread hold tens of MiB of dead buffers, which counts against the
    // process's memory bound.
    const worker = new Worker(WORKER_SCRIPT, { workerData: { syncSignal: syncSignalBuffer() }, resourceLimits: { maxYoungGenerationSizeMb: 8 } })
    worker.unref()
    this.worker = worker
    this.workerError = undefined
    worker.on('message', (reply: Reply) => this.onReply(worker, reply))
    worker.on('error', (err: Error) => {
      if (worker === this.worker) this.workerError = err
    })
    worker.on('exit', (code: number) => this.onExit(worker, code))
    return worker
  }

  private onReply (worker: Worker, reply: Reply): void {
    const pending = this.running
    if (worker !== this.worker || pending === undefined || pending.id !== reply.id) return
    this.running = undefined
    worker.unref()
    if (reply.error !== undefined) pending.reject(reviveError(reply.error))
    else pending.resolve(reviveJobResult(reply.result as JobResult))
    this.pump()
  }

  private onExit (worker: Worker, code: number): void {
    if (worker !== this.worker) return
    this.worker = undefined
    const pending = this.running
    this.running = undefined
    if (pending !== undefined) {
      const cause = this.workerError
      const why = cause !== undefined ? `: ${cause.message}` : ''
      const err = new Error(`Background worker for ${this.lane} jobs exited with code ${code} during a ${pending.job.kind} job${why}`, cause === undefined ? undefined : { cause })
      pending.reject(err)
    }
    this.pump()
  }
}

const lanes = new Map<Lane, LaneRunner>()

/**
 * Whether a job on `lane` would start at once: its worker thread is up (it exits when idle),
 * or jobs run inline. Starting a worker costs the job about 40 ms, and its code starts cold.
 */
export function laneStarted (lane: Lane): boolean {
  return runsInline() || lanes.get(lane)?.started === true
}

function runsInline (): boolean {
  workerScriptExists ??= fs.existsSync(WORKER_SCRIPT)
  return process.env.LSM_LEVEL_INLINE_JOBS === '1' || !workerScriptExists
}

/**
 * Runs `job` on the lane's worker thread. Resolves with its result (keys as Buffers);
 * rejects with the job's error rebuilt as a LEVEL_* ModuleError (e.g. LEVEL_CORRUPTION
 * naming a damaged input), or with a plain Error if the worker died.
 */
export function runInBackground (job: Job, lane: Lane, env: Env): Promise<JobResult> {
  if (runsInline()) {
    return Promise.resolve().then(() => executeJob(job, env))
  }
  let runner = lanes.get(lane)
  if (runner === undefined) {
    if (lane !== 'flush' && lane !== 'compaction') return Promise.reject(new RangeError(`Unknown lane: ${String(lane)}`))
    runner = new LaneRunner(lane)
    lanes.set(lane, runner)
  }
  if (env.threading === 'node') return runner.submit(job, undefined)
  // The job's files live in an environment on this thread: serve it to the worker while the job runs.
  const served = serveEnv(env)
  const result = runner.submit(job, served.channel)
  result.then(served.close, served.close)
  return result
}

/**
 * Stops the workers now, rejecting running and queued jobs. Not needed for a clean exit (idle
 * workers do not hold the process); for tests and hard shutdowns. A later job starts afresh.
 */
export async function terminateWorkerPool (): Promise<void> {
  await Promise.all(Array.from(lanes.values(), (runner) => runner.terminate()))
}
