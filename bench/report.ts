// Human-readable output: the machine header and one table per scenario.
import os = require('os')
import { Options } from './args'
import { KEY_BYTES } from './keys'
import { EngineRun, Scenario, WorkloadResult } from './results'

export interface Machine {
  cpu: string
  cpus: number
  totalMemBytes: number
  node: string
  platform: string
}

export function machine (): Machine {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    totalMemBytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`
  }
}

export function formatMachine (m: Machine): string {
  return `machine: ${m.cpu}, ${m.cpus} CPUs, ${mib(m.totalMemBytes, 0)} MiB RAM, node ${m.node}, ${m.platform}`
}

const MiB = 1024 * 1024

/** One line saying what a scenario's table measured. */
export function describe (scenario: Scenario, o: Options): string {
  const values = `${o.values} values`
  if (scenario === 'memory') {
    return `memory: ${mib(o.memoryBytes, 0)} MiB of ${o.memoryValueSize}-byte ${values} in random key order,` +
      ` ${o.memoryBatch === 1 ? 'awaited puts' : `batches of ${o.memoryBatch}`}, default engine options`
  }
  if (scenario === 'event-loop') {
    return `event-loop: ${int(o.eventLoopN)} awaited puts of ${o.valueSize}-byte ${values} in random key order,` +
      ` monitorEventLoopDelay resolution ${o.eventLoopResolution} ms`
  }
  return `workloads: n = ${int(o.n)} each; ${KEY_BYTES}-byte utf8 string keys ("%016d"), ${o.valueSize}-byte ${values}` +
    ' (~50% compressible); every op awaited; seekrandom = iterator({ gte, limit: 10 }) + 10 next() + close()'
}

function mib (bytes: number, digits = 1): string {
  return (bytes / MiB).toFixed(digits)
}

function int (x: number): string {
  return Math.round(x).toLocaleString('en-US')
}

function fixed (x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits)
}

/** Columns right-aligned except the first `left` ones. */
function table (headers: string[], rows: string[][], left: number): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)))
  const line = (cells: string[]): string => cells
    .map((cell, c) => c < left ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))
    .join('  ')
    .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

/** ops/s of lsm-level over classic-level per workload, where both ran it. */
export function ratios (runs: EngineRun[]): Record<string, number> {
  const find = (engine: string): WorkloadResult[] => runs.find((r) => r.engine === engine)?.workloads ?? []
  const out: Record<string, number> = {}
  for (const w of find('lsm-level')) {
    const base = find('classic-level').find((b) => b.name === w.name)
    if (base !== undefined) out[w.name] = w.opsPerSec / base.opsPerSec
  }
  return out
}

function notes (w: WorkloadResult): string {
  const out: string[] = []
  if (w.expected !== undefined && w.found !== w.expected) out.push(`FOUND ${w.found} OF ${w.expected}`)
  if (w.prefilled === true) out.push('untimed prefill')
  if (w.reopenMs !== undefined) out.push(`reopen ${w.reopenMs} ms`)
  return out.join(', ')
}

/** Engine label; a starred slot was loaded from something else (see `engines`). */
function label (run: EngineRun): string {
  return run.engine === 'lsm-level' && run.source !== 'dist/index.js' ? 'lsm-level*' : run.engine
}

/** Which module and version every engine slot really was. */
export function engines (runs: EngineRun[]): string {
  const seen = new Map<string, string>()
  for (const r of runs) {
    if (r.error === undefined) seen.set(label(r), `${label(r)} = ${r.source} ${r.version}`)
  }
  return `engines: ${[...seen.values()].join(', ')}`
}

/** Half the min-max range of the repeated runs, relative to the median. */
function spread (samples: number[] | undefined): string {
  if (samples === undefined || samples.length < 2) return ''
  const median = samples[(samples.length - 1) >> 1]
  return `${Math.round((samples[samples.length - 1] - samples[0]) / 2 / median * 100)}%`
}

export function formatWorkloads (runs: EngineRun[]): string {
  const ratio = ratios(runs)
  const names: string[] = []
  for (const run of runs) for (const w of run.workloads ?? []) if (!names.includes(w.name)) names.push(w.name)
  const rows: string[][] = []
  for (const name of names) {
    let first = true
    for (const run of runs) {
      const w = run.workloads?.find((x) => x.name === name)
      if (w === undefined) continue
      rows.push([
        first ? name : '',
        label(run),
        int(w.ops),
        int(w.opsPerSec),
        spread(w.samples),
        fixed(w.cpuUsPerOp),
        fixed(w.wallUsPerOp),
        run.engine === 'lsm-level' && ratio[name] !== undefined ? ratio[name].toFixed(2) + 'x' : '',
        w.diskBytes === undefined ? '' : mib(w.diskBytes),
        fixed(w.writeAmp),
        notes(w)
      ])
      first = false
    }
  }
  const headers = ['workload', 'engine', 'ops', 'ops/s', '±', 'cpu µs/op', 'wall µs/op', 'lsm/classic', 'disk MiB', 'w-amp', 'notes']
  const repeated = runs.some((r) => r.workloads?.some((w) => (w.samples?.length ?? 0) > 1))
  if (!repeated) for (const row of rows) row.splice(4, 1)
  if (!repeated) headers.splice(4, 1)
  const rss = runs.map((r) => `${label(r)} ${mib(r.peakRssBytes)} MiB`).join(', ')
  const median = repeated ? '; ops/s is the median run, ± half its min-max spread' : ''
  return table(headers, rows, 2) + `\npeak RSS (whole child, all workloads): ${rss}${median}`
}

export function formatMemory (runs: EngineRun[]): string {
  const rows = runs.filter((r) => r.memory !== undefined).map((r) => {
    const m = r.memory!
    const target = r.engine === 'lsm-level' ? (m.peakRssBytes < 256 * MiB ? 'ok (< 256 MiB)' : 'OVER 256 MiB') : ''
    return [
      label(r),
      `${int(m.entries)} x ${int(m.valueSize)} B`,
      String(m.batch),
      fixed(m.timing.wallMs / 1000, 1),
      int(m.timing.opsPerSec),
      mib(m.rssBeforeBytes),
      mib(m.peakRssBytes),
      mib(m.diskBytesLoaded),
      mib(m.diskBytesClosed),
      fixed(m.writeAmp),
      target
    ]
  })
  const headers = ['engine', 'loaded', 'batch', 'secs', 'ops/s', 'RSS before', 'peak RSS', 'disk MiB', 'after close', 'w-amp', 'target']
  return table(headers, rows, 2) + '\n(RSS and disk in MiB; disk "after close" includes compactions that close waited for)'
}

export function formatEventLoop (runs: EngineRun[]): string {
  const rows = runs.filter((r) => r.eventLoop !== undefined).map((r) => {
    const e = r.eventLoop!
    return [
      label(r),
      int(e.timing.ops),
      int(e.timing.opsPerSec),
      fixed(e.timing.wallMs / 1000, 1),
      fixed(e.p50Ms),
      fixed(e.p99Ms),
      fixed(e.maxMs),
      fixed(e.meanMs),
      int(e.samples),
      mib(e.diskBytes),
      fixed(e.writeAmp)
    ]
  })
  const headers = ['engine', 'puts', 'ops/s', 'secs', 'p50 ms', 'p99 ms', 'max ms', 'mean ms', 'samples', 'disk MiB', 'w-amp']
  const resolution = runs.find((r) => r.eventLoop !== undefined)?.eventLoop?.resolutionMs ?? 0
  return table(headers, rows, 1) +
    `\n(delay = time between ticks of a ${resolution} ms timer, so an idle loop reads about ${resolution} ms;` +
    ' few samples over a long run mean the loop was starved)'
}
