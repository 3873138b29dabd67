// Human-readable output: the machine header and one table per scenario.
import os = require('os')
import { Options } from './args'
import { KEY_BYTES } from './keys'
import { EngineRun, EventLoopResult, Scenario, WorkloadResult } from './results'
import { WORKLOADS } from './workloads'

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
    return `event-loop: ${o.valueSize}-byte ${values}, keys in random order, each phase on a fresh database:` +
      ` ${int(o.eventLoopN)} awaited puts; ${int(o.eventLoopConcN)} puts with ${o.inFlight} in flight;` +
      ` a for await scan of ${int(o.eventLoopScanN)} entries (loaded untimed in batches first);` +
      ` monitorEventLoopDelay resolution ${o.eventLoopResolution} ms`
  }
  return `workloads: n = ${int(o.n)} keys; ${KEY_BYTES}-byte utf8 string keys ("%016d"), ${o.valueSize}-byte ${values}` +
    ` (~50% compressible); one op at a time (awaited; readsync synchronous), except readconc and fillconc (${o.inFlight} in flight)`
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

/** Columns right-aligned except the first `left` ones (and the last, for notes, if `leftLast`). */
function table (headers: string[], rows: string[][], left: number, leftLast = false): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)))
  const line = (cells: string[]): string => cells
    .map((cell, c) => c < left || (leftLast && c === cells.length - 1) ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))
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

/** One cell for every engine, in column order ("a / b"); a single value where `merge` and all agree. */
function perEngine (cells: string[], merge: boolean): string {
  if (cells.every((c) => c === '')) return ''
  if (merge && cells.every((c) => c === cells[0])) return cells[0]
  return cells.join(' / ')
}

function notes (runs: EngineRun[], results: Array<WorkloadResult | undefined>): string {
  const out: string[] = []
  results.forEach((w, i) => {
    if (w?.expected !== undefined && w.found !== w.expected) out.push(`${label(runs[i])} FOUND ${w.found} OF ${w.expected}`)
  })
  if (results.some((w) => w?.prefilled === true)) out.push('untimed prefill')
  const reopen = perEngine(results.map((w) => w?.reopenMs === undefined ? '' : String(w.reopenMs)), false)
  if (reopen !== '') out.push(`reopen ${reopen} ms`)
  const unit = results.find((w) => w?.unit !== undefined)?.unit
  if (unit !== undefined) out.push(`ops are ${unit}s, ${perEngine(results.map((w) => fixed(w === undefined ? null : w.wallUsPerOp / 1000)), false)} ms each`)
  return out.join('; ')
}

/** One row per workload: ops/s and CPU µs/op of each engine side by side, then their ratio. */
export function formatWorkloads (runs: EngineRun[]): string {
  const ratio = ratios(runs)
  const repeated = runs.some((r) => r.workloads?.some((w) => (w.samples?.length ?? 0) > 1))
  const names: string[] = []
  for (const run of runs) for (const w of run.workloads ?? []) if (!names.includes(w.name)) names.push(w.name)
  const headers = ['workload', 'ops']
  for (const run of runs) headers.push(`${label(run)} ops/s`, ...(repeated ? ['±'] : []), 'cpu µs/op')
  const compared = Object.keys(ratio).length > 0
  if (compared) headers.push('lsm/classic')
  headers.push('disk MiB', 'w-amp', 'RSS MiB', 'notes')
  const rows = names.map((name) => {
    const results = runs.map((r) => r.workloads?.find((x) => x.name === name))
    const row = [name, perEngine(results.map((w) => w === undefined ? '' : int(w.ops)), true)]
    for (const w of results) {
      row.push(w === undefined ? '' : int(w.opsPerSec), ...(repeated ? [spread(w?.samples)] : []), fixed(w?.cpuUsPerOp))
    }
    if (compared) row.push(ratio[name] === undefined ? '' : ratio[name].toFixed(2) + 'x')
    row.push(
      perEngine(results.map((w) => w?.diskBytes === undefined ? '' : mib(w.diskBytes)), false),
      perEngine(results.map((w) => fixed(w?.writeAmp)), false),
      perEngine(results.map((w) => w?.peakRssBytes === undefined ? '' : mib(w.peakRssBytes, 0)), false),
      notes(runs, results)
    )
    return row
  })
  const order = runs.length > 1 ? `; "a / b" = ${runs.map(label).join(' / ')}` : ''
  const legend = names.map((name) => `  ${name.padEnd(Math.max(...names.map((x) => x.length)))}  ${WORKLOADS.find((w) => w.name === name)?.about ?? ''}`)
  const rss = runs.map((r) => `${label(r)} ${mib(r.peakRssBytes)} MiB`).join(', ')
  const median = repeated ? '; ops/s is the median run, ± half its min-max spread' : ''
  return table(headers, rows, 1, true) +
    `\npeak RSS (whole child, all workloads): ${rss}${median}` +
    `\nRSS MiB = the child's peak RSS so far, after each workload${order}\n${legend.join('\n')}`
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

const PHASES: Record<EventLoopResult['phase'], string> = { awaited: 'awaited puts', 'in-flight': 'puts in flight', scan: 'for await scan' }

/** Rows by phase, one per engine, so the engines' delays for the same work sit together. */
export function formatEventLoop (runs: EngineRun[]): string {
  const rows: string[][] = []
  for (const phase of Object.keys(PHASES) as Array<EventLoopResult['phase']>) {
    let first = true
    for (const r of runs) {
      const e = r.eventLoop?.find((x) => x.phase === phase)
      if (e === undefined) continue
      rows.push([
        first ? PHASES[phase] : '',
        label(r),
        `${int(e.timing.ops)} ${e.unit}`,
        int(e.timing.opsPerSec),
        fixed(e.timing.wallMs / 1000, 1),
        fixed(e.p50Ms),
        fixed(e.p99Ms),
        fixed(e.maxMs),
        fixed(e.meanMs),
        int(e.samples),
        e.diskBytes === undefined ? '' : mib(e.diskBytes),
        fixed(e.writeAmp),
        e.expected !== undefined && e.found !== e.expected ? `FOUND ${e.found} OF ${e.expected}` : ''
      ])
      first = false
    }
  }
  const headers = ['phase', 'engine', 'ops', 'ops/s', 'secs', 'p50 ms', 'p99 ms', 'max ms', 'mean ms', 'samples', 'disk MiB', 'w-amp', 'notes']
  const resolution = runs.find((r) => r.eventLoop !== undefined)?.eventLoop?.[0]?.resolutionMs ?? 0
  return table(headers, rows, 2, true) +
    `\n(delay = time between ticks of a ${resolution} ms timer, so an idle loop reads about ${resolution} ms;` +
    ' few samples over a long run mean the loop was starved)'
}
