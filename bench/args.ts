// Command-line options. Everything the children need travels to them inside this object.
import os = require('os')
import { IN_FLIGHT } from './inflight'
import { OPEN_ROUNDS } from './openclose'
import { ValueKind } from './keys'

export interface Options {
  engines: string[]
  /** Workload names to run; null runs the default workload set (unless a scenario flag is given). */
  only: string[] | null
  n: number
  /** Operations outstanding at once in readconc, fillconc and the event-loop's concurrent phase. */
  inFlight: number
  /** Runs of the workload set per engine, alternating engine order; the median is reported. */
  repeat: number
  valueSize: number
  values: ValueKind
  seed: number
  /** Parent directory for the temporary databases. */
  dir: string
  json: string | null
  /** Extra options for every database constructor, e.g. '{"writeBufferSize":8388608}'. */
  dbOptions: Record<string, unknown>
  lsmFrom: string | null
  /** Directory for one CPU profile per timed workload and engine (development only). */
  cpuProf: string | null
  memory: boolean
  memoryBytes: number
  memoryValueSize: number
  memoryBatch: number
  eventLoop: boolean
  eventLoopN: number
  /** Puts of the event-loop phase with --in-flight outstanding. */
  eventLoopConcN: number
  /** Entries of the event-loop phase that scans with for await. */
  eventLoopScanN: number
  eventLoopResolution: number
}

export const USAGE = `Usage: npm run bench -- [options]

  --engines a,b          engines to compare (default lsm-level,classic-level; also memory-level)
  --only w1,w2           workloads to run, in the order given (default: all, in the order
  --workloads w1,w2      listed below); the two flags are the same option
  --n N                  keys in the database and ops per workload (default 100000; the reads
                         marked n/2 below do half); up to 4294967295. The harness holds 4 bytes
                         per key (a Uint32Array key order), so --n 10000000 fits; it takes hours
  --in-flight D          operations outstanding at once in readconc, fillconc and the
                         event-loop's in-flight phase (default ${IN_FLIGHT})
  --repeat R             run the workloads R times per engine, alternating engines, and
                         report the median ops/s with its spread (default 1)
  --value-size B         value bytes (default 100)
  --values string|buffer value type; keys are always utf8 strings (default string)
  --seed S               PRNG seed (default 301)
  --dir D                parent directory for temporary databases (default os.tmpdir())
  --db-options JSON      extra constructor options for every engine
  --json FILE            also write the results as JSON
  --lsm-from MODULE      load the lsm-level slot from MODULE (development only; labelled)
  --cpu-prof DIR         write <engine>-<workload>.cpuprofile to DIR for each timed workload
                         (main thread only; profiling slows every engine, so ratios are off)

  --memory               load --memory-bytes (1 GiB) of --memory-value-size (100 KiB) values,
                         --memory-batch per write (1 = awaited puts); report peak RSS, disk size
  --event-loop           event-loop delay (monitorEventLoopDelay, --event-loop-resolution ms,
                         default 1) in three phases, each on a fresh database, keys in random
                         order: --event-loop-n (2000000) awaited puts; --event-loop-conc-n
                         (300000) puts with --in-flight outstanding; a for await scan of
                         --event-loop-scan-n (300000) entries, loaded untimed in batches first

  A scenario flag replaces the default workloads; add --only to run workloads as well.

  Each engine runs in a child process of its own. Fills start from an empty database and leave
  keys 0..n-1; the workloads after a fill use what it left (overwrite included), or an untimed
  batch prefill of n keys if no fill ran before them. openclose makes a database of its own
  and runs ${OPEN_ROUNDS} rounds whatever --n is. The table has one row per workload: ops/s and
  CPU µs/op (every thread of the child) of each engine, the lsm-level/classic-level ops/s ratio,
  disk MiB and write amplification after fills, the child's peak RSS so far; "a / b" cells
  follow the engine order.
`

const defaults: Options = {
  engines: ['lsm-level', 'classic-level'],
  only: null,
  n: 100000,
  inFlight: IN_FLIGHT,
  repeat: 1,
  valueSize: 100,
  values: 'string',
  seed: 301,
  dir: os.tmpdir(),
  json: null,
  dbOptions: {},
  lsmFrom: null,
  cpuProf: null,
  memory: false,
  memoryBytes: 1 << 30,
  memoryValueSize: 100 * 1024,
  memoryBatch: 1,
  eventLoop: false,
  eventLoopN: 2000000,
  eventLoopConcN: 300000,
  eventLoopScanN: 300000,
  eventLoopResolution: 1
}

function positive (flag: string, text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${flag} wants a positive integer, got "${text}"`)
  return value
}

function list (text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

/** Parses argv (without node and script); throws with a message on bad input. */
export function parseArgs (argv: string[]): Options {
  const o: Options = { ...defaults }
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i]
    let inline: string | null = null
    const eq = flag.indexOf('=')
    if (flag.startsWith('--') && eq !== -1) {
      inline = flag.slice(eq + 1)
      flag = flag.slice(0, eq)
    }
    const value = (): string => {
      if (inline !== null) return inline
      const next = argv[++i]
      if (next === undefined) throw new Error(`${flag} needs a value`)
      return next
    }
    switch (flag) {
      case '--engines': o.engines = [...new Set(list(value()))]; break
      case '--only':
      case '--workloads': o.only = list(value()); break
      case '--n': o.n = positive(flag, value()); break
      case '--in-flight': o.inFlight = positive(flag, value()); break
      case '--repeat': o.repeat = positive(flag, value()); break
      case '--value-size': o.valueSize = positive(flag, value()); break
      case '--values': {
        const v = value()
        if (v !== 'string' && v !== 'buffer') throw new Error('--values is string or buffer')
        o.values = v
        break
      }
      case '--seed': o.seed = positive(flag, value()); break
      case '--dir': o.dir = value(); break
      case '--json': o.json = value(); break
      case '--db-options': o.dbOptions = JSON.parse(value()); break
      case '--lsm-from': o.lsmFrom = value(); break
      case '--cpu-prof': o.cpuProf = value(); break
      case '--memory': o.memory = true; break
      case '--memory-bytes': o.memoryBytes = positive(flag, value()); break
      case '--memory-value-size': o.memoryValueSize = positive(flag, value()); break
      case '--memory-batch': o.memoryBatch = positive(flag, value()); break
      case '--event-loop': o.eventLoop = true; break
      case '--event-loop-n': o.eventLoopN = positive(flag, value()); break
      case '--event-loop-conc-n': o.eventLoopConcN = positive(flag, value()); break
      case '--event-loop-scan-n': o.eventLoopScanN = positive(flag, value()); break
      case '--event-loop-resolution': o.eventLoopResolution = positive(flag, value()); break
      default: throw new Error(`unknown option "${flag}"`)
    }
  }
  if (o.engines.length === 0) throw new Error('--engines is empty')
  // Key orders are Uint32Arrays: 4 bytes per key, where an array of numbers would take 8 or more
  for (const [flag, n] of [['--n', o.n], ['--event-loop-n', o.eventLoopN], ['--event-loop-conc-n', o.eventLoopConcN], ['--event-loop-scan-n', o.eventLoopScanN]] as const) {
    if (n > 0xffffffff) throw new Error(`${flag} is at most 4294967295`)
  }
  return o
}
