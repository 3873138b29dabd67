// `npm run bench`: runs each engine through each scenario in a fresh child process, one at a
// time, then prints the machine, the tables and the lsm-level/classic-level ratios.
// The same file is the child (`--child`), so there is one entry point to build and fork.
import { ChildProcess, fork } from 'child_process'
import fs = require('fs')
import path = require('path')
import { Options, USAGE, parseArgs } from './args'
import { runChild } from './child'
import { loadEngine } from './engines'
import { describe, engines, formatEventLoop, formatMachine, formatMemory, formatWorkloads, machine, ratios } from './report'
import { EngineRun, Plan, Scenario, medianRun } from './results'
import { WORKLOADS } from './workloads'

let current: ChildProcess | null = null

function runInChild (plan: Plan): Promise<EngineRun> {
  return new Promise((resolve) => {
    const child = fork(__filename, ['--child'], { execArgv: ['--expose-gc'] })
    current = child
    let run: EngineRun | null = null
    child.once('message', (message) => { run = message as EngineRun })
    child.once('exit', (code, signal) => {
      current = null
      resolve(run ?? {
        engine: plan.engine,
        source: '',
        version: '',
        scenario: plan.scenario,
        peakRssBytes: 0,
        error: `child exited with ${signal ?? `code ${code}`} before reporting`
      })
    })
    child.send(plan)
  })
}

function scenarios (options: Options): Scenario[] {
  const out: Scenario[] = []
  if (options.only !== null || (!options.memory && !options.eventLoop)) out.push('workloads')
  if (options.memory) out.push('memory')
  if (options.eventLoop) out.push('event-loop')
  return out
}

/** Fails fast, before a minute of classic-level, when an engine cannot be loaded. */
function preflight (options: Options): boolean {
  let ok = true
  for (const name of options.engines) {
    try {
      const engine = loadEngine(name, options.lsmFrom)
      if (name === 'lsm-level' && options.lsmFrom !== null) console.log(`note: the ${name} slot is ${engine.source}`)
    } catch (err) {
      console.error(`${name} failed to load: ${(err as Error).message}`)
      if (name === 'lsm-level') console.error('(build index.ts first, or run with --engines classic-level)')
      ok = false
    }
  }
  return ok
}

async function main (): Promise<number> {
  let options: Options
  try {
    if (process.argv.includes('--help') || process.argv.includes('-h')) {
      const width = Math.max(...WORKLOADS.map((w) => w.name.length))
      console.log(USAGE + `\nWorkloads, in the order they run (n = --n):\n${WORKLOADS.map((w) => `  ${w.name.padEnd(width)}  ${w.about}`).join('\n')}`)
      return 0
    }
    options = parseArgs(process.argv.slice(2))
    for (const name of options.only ?? []) {
      if (!WORKLOADS.some((w) => w.name === name)) throw new Error(`unknown workload "${name}"`)
    }
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`)
    return 2
  }

  const started = Date.now()
  const info = machine()
  console.log(formatMachine(info))
  if (!preflight(options)) return 1

  const root = fs.mkdtempSync(path.join(options.dir, 'lsm-bench-'))
  const cleanup = (): void => fs.rmSync(root, { recursive: true, force: true })
  process.once('SIGINT', () => {
    current?.kill('SIGKILL')
    cleanup()
    process.exit(130)
  })

  const runs: EngineRun[] = []
  const raw: EngineRun[] = []
  let failed = false
  try {
    for (const scenario of scenarios(options)) {
      const rounds = scenario === 'workloads' ? options.repeat : 1
      const perEngine = new Map<string, EngineRun[]>(options.engines.map((e) => [e, []]))
      for (let round = 0; round < rounds; round++) {
        // Alternate the order so slow drift of the machine does not favour one engine
        const order = round % 2 === 0 ? options.engines : [...options.engines].reverse()
        for (const engine of order) {
          process.stderr.write(`[${engine}] ${scenario}${rounds > 1 ? ` (run ${round + 1} of ${rounds})` : ''}\n`)
          const run = await runInChild({ scenario, engine, options, root })
          if (run.error !== undefined) {
            console.error(`${engine} ${scenario} failed:\n${run.error}`)
            failed = true
          }
          perEngine.get(engine)!.push(run)
          raw.push(run)
        }
      }
      const group = options.engines.map((e) => medianRun(perEngine.get(e)!)).filter((r) => r.error === undefined)
      runs.push(...group)
      console.log(`\n${describe(scenario, options)}`)
      if (group.length === 0) console.log('(no results)')
      else if (scenario === 'workloads') console.log(formatWorkloads(group))
      else if (scenario === 'memory') console.log(formatMemory(group))
      else console.log(formatEventLoop(group))
    }
  } finally {
    cleanup()
  }

  const totalMs = Date.now() - started
  console.log(`\n${engines(runs)}`)
  console.log('CPU µs/op counts every thread of the child (LevelDB\'s background compaction too);' +
    ' w-amp = /proc/self/io wchar (write() bytes, page cache included) during the fill / key+value bytes.')
  console.log(`total ${(totalMs / 1000).toFixed(1)} s`)
  if (options.json !== null) {
    const workloadRuns = runs.filter((r) => r.scenario === 'workloads')
    const report = { machine: info, options, startedAt: new Date(started).toISOString(), totalMs, ratios: ratios(workloadRuns), runs, raw: options.repeat > 1 ? raw : undefined }
    fs.writeFileSync(options.json, JSON.stringify(report, null, 2) + '\n')
    console.log(`wrote ${options.json}`)
  }
  return failed ? 1 : 0
}

if (process.argv[2] === '--child') {
  runChild()
} else {
  main().then((code) => { process.exitCode = code }, (err) => {
    console.error(err)
    process.exitCode = 1
  })
}
