// Measuring one timed section: wall time, process CPU (all threads, so LevelDB's background
// compaction and libuv's pool count too) and I/O from /proc/self/io (also whole-process).
import fs = require('fs')
import path = require('path')

export interface IoCounters {
  /** Bytes passed to write()-family syscalls, page cache included: what the engine wrote. */
  wchar: number
  /** Bytes the kernel accounted to storage (at page-dirtying time); 0 on tmpfs. */
  writeBytes: number
  rchar: number
  readBytes: number
}

export interface Timing {
  ops: number
  wallMs: number
  cpuUserMs: number
  cpuSystemMs: number
  opsPerSec: number
  wallUsPerOp: number
  cpuUsPerOp: number
  io: IoCounters | null
}

/** The process's I/O counters, or null where /proc/self/io does not exist (not Linux). */
export function readIo (): IoCounters | null {
  let text: string
  try {
    text = fs.readFileSync('/proc/self/io', 'utf8')
  } catch {
    return null
  }
  const field = (name: string): number => Number((text.match(new RegExp(`^${name}: (\\d+)`, 'm')) ?? [])[1] ?? 0)
  return { wchar: field('wchar'), writeBytes: field('write_bytes'), rchar: field('rchar'), readBytes: field('read_bytes') }
}

function ioDelta (a: IoCounters | null, b: IoCounters | null): IoCounters | null {
  if (a === null || b === null) return null
  return { wchar: b.wchar - a.wchar, writeBytes: b.writeBytes - a.writeBytes, rchar: b.rchar - a.rchar, readBytes: b.readBytes - a.readBytes }
}

/** Starts a timed section; call the returned function with the op count to end it. */
export function startTiming (): (ops: number) => Timing {
  const gc = (globalThis as { gc?: () => void }).gc
  // Collect the previous section's garbage now rather than inside this one
  if (gc !== undefined) gc()
  const io = readIo()
  const cpu = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  return (ops) => {
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
    const used = process.cpuUsage(cpu)
    const io2 = readIo()
    const cpuMs = (used.user + used.system) / 1000
    return {
      ops,
      wallMs,
      cpuUserMs: used.user / 1000,
      cpuSystemMs: used.system / 1000,
      opsPerSec: ops / (wallMs / 1000),
      wallUsPerOp: wallMs * 1000 / ops,
      cpuUsPerOp: cpuMs * 1000 / ops,
      io: ioDelta(io, io2)
    }
  }
}

/** dirSize(dir), or undefined when there is no such directory (an in-memory engine). */
export function dirSizeIfAny (dir: string): number | undefined {
  return fs.existsSync(dir) ? dirSize(dir) : undefined
}

/**
 * Total size of the regular files under `dir`. The database may still be compacting in the
 * background, so a file listed may be gone by the time it is measured: it counts as nothing.
 */
export function dirSize (dir: string): number {
  let total = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) total += dirSize(full)
    else if (entry.isFile()) total += fs.statSync(full, { throwIfNoEntry: false })?.size ?? 0
  }
  return total
}

/** Peak resident set size of this process so far, in bytes. */
export function peakRss (): number {
  return process.resourceUsage().maxRSS * 1024
}
