// Runs the lsm-level tool as a user does: `node lib/cli/bin.js <args>` in a child process,
// against the compiled dist/ (the bin script requires dist/lib/cli/main.js).

import { spawn } from 'child_process'
import * as crypto from 'crypto'
import * as fs from 'fs'
import * as path from 'path'

export const PACKAGE_ROOT = path.join(__dirname, '..', '..', '..', '..')
export const BIN = path.join(PACKAGE_ROOT, 'lib', 'cli', 'bin.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  /** Called with the child's pid once it runs (e.g. to sample /proc/<pid>/status). */
  onSpawn?: (pid: number) => void
  /** Counts stdout bytes instead of keeping them (for dumps of hundreds of MB). */
  discardStdout?: boolean
  timeoutMs?: number
}

export function cli (args: readonly string[], options: RunOptions = {}): Promise<CliResult & { stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    if (child.pid !== undefined) options.onSpawn?.(child.pid)
    const out: Buffer[] = []
    const err: Buffer[] = []
    let stdoutBytes = 0
    child.stdout.on('data', (d: Buffer) => {
      stdoutBytes += d.length
      if (options.discardStdout !== true) out.push(d)
    })
    child.stderr.on('data', (d: Buffer) => err.push(d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes })
    })
  })
}

/** Non-empty stdout lines parsed as JSON. */
export function jsonLines (stdout: string): any[] {
  return stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line))
}

/** Every file under `dir` (relative name -> sha256 and size), to show nothing was written. */
export function hashTree (dir: string): Record<string, string> {
  const hashes: Record<string, string> = {}
  ;(function walk (at: string): void {
    for (const entry of fs.readdirSync(at, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(at, entry.name)
      if (entry.isDirectory()) walk(full)
      else {
        const data = fs.readFileSync(full)
        hashes[path.relative(dir, full)] = `${data.length}:${crypto.createHash('sha256').update(data).digest('hex')}`
      }
    }
  })(dir)
  return hashes
}

/** Modification times too: a rewrite of identical bytes is still a write. */
export function mtimes (dir: string): Record<string, number> {
  const times: Record<string, number> = {}
  for (const name of fs.readdirSync(dir)) times[name] = fs.statSync(path.join(dir, name)).mtimeMs
  return times
}
