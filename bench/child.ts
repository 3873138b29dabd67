// The child role: runs one engine through one scenario in a process of its own (so heaps, GC
// and peak RSS are per engine) and sends an EngineRun back to the parent.
import fs = require('fs')
import path = require('path')
import { Options } from './args'
import { Engine, loadEngine } from './engines'
import { Rng, ValueSource, permutation, streamSeed } from './keys'
import { dirSizeIfAny, peakRss, startTiming } from './measure'
import { EngineRun, Plan, WorkloadResult } from './results'
import { startProfile } from './profile'
import { runEventLoop, runMemory } from './scenarios'
import { DbSession, engineOptions } from './session'
import { StandaloneWorkload, WORKLOADS, fillBatches } from './workloads'

function streamFor (options: Options, name: string): { rng: Rng, values: ValueSource } {
  const rng = new Rng(streamSeed(options.seed, name))
  return { rng, values: new ValueSource(options.valueSize, options.values, new Rng(streamSeed(options.seed, name + '/values'))) }
}

/** A workload with a database of its own, next to the shared one, which stays as it is. */
async function runStandalone (engine: Engine, plan: Plan, workload: StandaloneWorkload): Promise<WorkloadResult> {
  const { options } = plan
  const dbOptions = engineOptions(options)
  const location = path.join(plan.root, `${engine.name}-${process.pid}-${workload.name}`)
  const ctx = { newDb: (at: string) => new engine.Db(at, dbOptions), location, ...streamFor(options, workload.name) }
  try {
    await workload.setup(ctx)
    const stopProfile = await startProfile(options.cpuProf, `${engine.name}-${workload.name}`)
    const stop = startTiming()
    const outcome = await workload.run(ctx)
    const timing = stop(outcome.ops)
    await stopProfile()
    return { name: workload.name, ...timing, ...outcome }
  } finally {
    fs.rmSync(location, { recursive: true, force: true })
  }
}

function progress (result: WorkloadResult): void {
  process.stderr.write(`  ${result.name} ${Math.round(result.opsPerSec).toLocaleString('en-US')} ops/s\n`)
}

async function runWorkloads (engine: Engine, plan: Plan): Promise<WorkloadResult[]> {
  const { options } = plan
  const names = options.only ?? WORKLOADS.map((w) => w.name)
  const session = new DbSession(engine, plan.root, engineOptions(options))
  const results: WorkloadResult[] = []
  let filled = false
  try {
    for (const name of names) {
      const workload = WORKLOADS.find((w) => w.name === name)
      if (workload === undefined) throw new Error(`unknown workload "${name}"`)
      if (workload.standalone === true) {
        const result = await runStandalone(engine, plan, workload)
        result.peakRssBytes = peakRss()
        results.push(result)
        progress(result)
        continue
      }
      let db = session.db
      let prefilled = false
      if (workload.fill || db === null) db = await session.fresh()
      if (!workload.fill && !filled) {
        const order = permutation(options.n, new Rng(streamSeed(options.seed, 'prefill')))
        await fillBatches({ db, n: options.n, ...streamFor(options, 'prefill') }, (i) => order[i])
        prefilled = true
      }
      let reopenMs: number | undefined
      if (workload.reopen === true) {
        const t0 = Date.now()
        db = await session.reopen()
        reopenMs = Date.now() - t0
      }

      const stopProfile = await startProfile(options.cpuProf, `${engine.name}-${name}`)
      const stop = startTiming()
      const ops = workload.ops?.(options.n) ?? options.n
      const outcome = await workload.run({ db, n: options.n, ops, depth: options.inFlight, ...streamFor(options, name) })
      const timing = stop(outcome.ops)
      await stopProfile()

      const result: WorkloadResult = { name, ...timing, ...outcome }
      if (prefilled) result.prefilled = true
      if (reopenMs !== undefined) result.reopenMs = reopenMs
      if (outcome.userBytes !== undefined) {
        result.diskBytes = dirSizeIfAny(session.location)
        if (timing.io !== null) result.writeAmp = timing.io.wchar / outcome.userBytes
      }
      result.peakRssBytes = peakRss()
      results.push(result)
      progress(result)
      filled = true
    }
  } finally {
    await session.dispose()
  }
  return results
}

async function execute (plan: Plan): Promise<EngineRun> {
  const engine = loadEngine(plan.engine, plan.options.lsmFrom)
  const run: EngineRun = { engine: engine.name, source: engine.source, version: engine.version, scenario: plan.scenario, peakRssBytes: 0 }
  if (plan.scenario === 'workloads') run.workloads = await runWorkloads(engine, plan)
  else if (plan.scenario === 'memory') run.memory = await runMemory(engine, plan)
  else run.eventLoop = await runEventLoop(engine, plan)
  run.peakRssBytes = peakRss()
  return run
}

/** The stack plus the cause chain: abstract-level wraps the engine's real error as `cause`. */
function describeError (err: unknown): string {
  const parts: string[] = []
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as Error).cause, depth++) {
    parts.push((e as Error).stack ?? String(e))
  }
  return parts.join('\ncaused by: ')
}

export function runChild (): void {
  process.once('message', (plan: Plan) => {
    const send = (run: EngineRun): void => {
      process.send!(run, () => process.exit(0))
    }
    execute(plan).then(send, (err: unknown) => send({
      engine: plan.engine,
      source: '',
      version: '',
      scenario: plan.scenario,
      peakRssBytes: peakRss(),
      error: describeError(err)
    }))
  })
}
