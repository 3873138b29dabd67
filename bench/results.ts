// What a child is asked to do and what it reports back (also the shape of --json output).
import { Options } from './args'
import { Timing } from './measure'

export type Scenario = 'workloads' | 'memory' | 'event-loop'

export interface Plan {
  scenario: Scenario
  engine: string
  options: Options
  /** Temporary directory owned by the parent; the child makes its databases inside it. */
  root: string
}

export interface WorkloadResult extends Timing {
  name: string
  found?: number
  expected?: number
  userBytes?: number
  /** What one op is, where not one key or entry (openclose: "round"). */
  unit?: string
  /** Writes: directory size and wchar / userBytes right when the last write returned. */
  diskBytes?: number
  writeAmp?: number
  /** The child's peak RSS so far, right after this workload: which workload raised it. */
  peakRssBytes?: number
  /** The keys were loaded by an untimed batch fill first (no fill workload ran before). */
  prefilled?: boolean
  /** Untimed close + open before the section. */
  reopenMs?: number
  /** With --repeat: ops/s of every run; the rest of the record is the median run's. */
  samples?: number[]
}

export interface MemoryResult {
  entries: number
  valueSize: number
  batch: number
  userBytes: number
  timing: Timing
  rssBeforeBytes: number
  peakRssBytes: number
  diskBytesLoaded: number
  diskBytesClosed: number
  writeAmp: number | null
}

/** One phase of --event-loop. */
export interface EventLoopResult {
  phase: 'awaited' | 'in-flight' | 'scan'
  /** What timing.ops counts. */
  unit: 'puts' | 'entries'
  timing: Timing
  resolutionMs: number
  samples: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  meanMs: number
  /** Write phases: directory size and wchar / key+value bytes when the last put returned. */
  diskBytes?: number
  writeAmp?: number | null
  /** The scan: entries seen, and how many were loaded. */
  found?: number
  expected?: number
}

export interface EngineRun {
  engine: string
  source: string
  version: string
  scenario: Scenario
  peakRssBytes: number
  workloads?: WorkloadResult[]
  memory?: MemoryResult
  eventLoop?: EventLoopResult[]
  error?: string
}

/** Folds repeated runs of one engine into one: per workload the median run by ops/s. */
export function medianRun (runs: EngineRun[]): EngineRun {
  const ok = runs.filter((r) => r.error === undefined)
  if (ok.length === 0) return runs[0]
  const first = ok[0]
  const workloads = (first.workloads ?? []).map((w) => {
    const all = ok.map((r) => r.workloads?.find((x) => x.name === w.name)).filter((x): x is WorkloadResult => x !== undefined)
    all.sort((a, b) => a.opsPerSec - b.opsPerSec)
    return { ...all[(all.length - 1) >> 1], samples: all.map((x) => x.opsPerSec) }
  })
  return { ...first, workloads, peakRssBytes: Math.max(...ok.map((r) => r.peakRssBytes)) }
}
