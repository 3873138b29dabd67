// lsm-level runs unchanged on Bun and Deno as well as Node: each runtime runs smoke.ts (see
// there) as a child process. Bun and Deno come from the devDependencies @oven/bun-linux-x64
// and @deno/linux-x64-glibc; npm ci installs them, so a missing binary fails.
//
// Deno gets the permissions the README lists, and no more: read of the package and of the
// database, write of the database, the one variable lsm-level reads, the host name (lock
// claims carry it) and run (process.kill(pid, 0) tells whether a lock claim's owner is alive).

import test = require('tape')
import { spawn, type ChildProcess } from 'child_process'
import * as fs from 'fs'
import * as path from 'path'
import { tempLocation, tempRoot } from '../support/temp'

const SMOKE = path.join(__dirname, 'smoke.js')
const PACKAGE_ROOT = path.join(__dirname, '..', '..', '..')
const TIMEOUT_MS = 60_000

interface Runtime {
  name: string
  /** The executable and the arguments that come before the script. */
  command: () => { file: string, args: string[] }
}

function binary (pkg: string, relative: string): string {
  let dir: string
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`))
  } catch {
    throw new Error(`${pkg} is not installed: it is a devDependency, npm ci installs it`)
  }
  const file = path.join(dir, relative)
  fs.accessSync(file, fs.constants.X_OK)
  return file
}

const denoPermissions = [
  `--allow-read=${PACKAGE_ROOT},${tempRoot}`,
  `--allow-write=${tempRoot}`,
  '--allow-env=LSM_LEVEL_INLINE_JOBS',
  '--allow-sys=hostname'
]

const node: Runtime = { name: 'node', command: () => ({ file: process.execPath, args: [] }) }
const bun: Runtime = { name: 'bun', command: () => ({ file: binary('@oven/bun-linux-x64', 'bin/bun'), args: [] }) }
const deno: Runtime = {
  name: 'deno',
  command: () => ({ file: binary('@deno/linux-x64-glibc', 'deno'), args: ['run', '--no-prompt', '--no-lock', ...denoPermissions, '--allow-run'] })
}
// Without --allow-run Deno cannot ask whether a claim's owner is alive.
const denoNoRun: Runtime = {
  name: 'deno without --allow-run',
  command: () => ({ file: binary('@deno/linux-x64-glibc', 'deno'), args: ['run', '--no-prompt', '--no-lock', ...denoPermissions] })
}

// No update checks, telemetry or caches outside the test's directory.
const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: path.join(tempRoot, 'deno-dir'), DO_NOT_TRACK: '1' }

function start (runtime: Runtime, command: string, location: string): ChildProcess {
  const { file, args } = runtime.command()
  return spawn(file, [...args, SMOKE, command, location], { env, stdio: ['ignore', 'pipe', 'pipe'] })
}

interface Outcome {
  code: number | null
  output: string
}

function finish (child: ChildProcess, output = ''): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS)
    child.stdout?.on('data', (d) => { output += d })
    child.stderr?.on('data', (d) => { output += d })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

function run (runtime: Runtime, command: string, location: string): Promise<Outcome> {
  return finish(start(runtime, command, location))
}

/** Starts `hold` and resolves once the database is open. */
function hold (runtime: Runtime, location: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = start(runtime, 'hold', location)
    let output = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS)
    const onData = (d: Buffer): void => {
      output += d
      if (!output.includes('ready\n')) return
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      resolve(child)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (d) => { output += d })
    child.on('error', reject)
    child.on('close', (code) => reject(new Error(`${runtime.name} hold exited with code ${code}: ${output}`)))
  })
}

async function kill (child: ChildProcess): Promise<void> {
  child.removeAllListeners('close')
  const done = finish(child)
  child.kill('SIGKILL')
  await done
}

function expectOk (t: test.Test, outcome: Outcome, runtime: Runtime, command: string): void {
  const line = new RegExp(`^ok ${command} on .*$`, 'm').exec(outcome.output)
  t.ok(outcome.code === 0 && line !== null, `${runtime.name}: ${command}`)
  if (line !== null) t.comment(line[0])
  else t.comment(outcome.output.slice(-3000))
}

for (const runtime of [node, bun, deno]) {
  test(`${runtime.name}: write past writeBufferSize, reopen, compactRange; locking between processes`, async (t) => {
    const location = tempLocation()
    expectOk(t, await run(runtime, 'smoke', location), runtime, 'smoke')

    const holder = await hold(runtime, location)
    try {
      expectOk(t, await run(node, 'locked', location), node, 'locked')
      expectOk(t, await run(runtime, 'locked', location), runtime, 'locked')
    } finally {
      await kill(holder)
    }
    // The killed holder's claim is still there, and stale.
    expectOk(t, await run(runtime, 'reopen', location), runtime, 'reopen')
  })
}

test('deno without --allow-run never takes a live holder\'s lock', async (t) => {
  const location = tempLocation()
  const holder = await hold(node, location)
  try {
    expectOk(t, await run(denoNoRun, 'locked', location), denoNoRun, 'locked')
  } finally {
    await kill(holder)
  }
})
