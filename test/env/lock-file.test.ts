import test = require('tape')
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { type ChildProcess, spawn, spawnSync } from 'child_process'
import { LockFile } from '../../lib/env/lock-file'
import { InfoLog } from '../../lib/env/info-log'
import { nodeEnv } from '../../lib/env/node-env'

const MODULE = path.join(__dirname, '..', '..', 'lib', 'env', 'lock-file.js')

// Run in a child: tries to take the lock on argv[1]; prints the outcome; with argv[2] = 'hold'
// keeps it until killed, with a number holds it that many ms.
const CHILD = `
const { LockFile } = require(${JSON.stringify(MODULE)})
const [location, mode, goAt] = process.argv.slice(1)
while (goAt !== undefined && Date.now() < Number(goAt)) {}
try {
  const lock = LockFile.acquire(location)
  console.log('acquired ' + Date.now())
  if (mode === 'hold') setInterval(() => {}, 1000)
  else if (mode !== undefined) setTimeout(() => { console.log('released ' + Date.now()); lock.release() }, Number(mode))
  else lock.release()
} catch (err) {
  console.log('error ' + err.code + ' ' + err.message)
}
`

function tempDir (): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lsm-lock-'))
}

function claims (dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.startsWith('LOCK')).sort()
}

function tryInChild (location: string): string {
  return spawnSync(process.execPath, ['-e', CHILD, location], { encoding: 'utf8' }).stdout.trim()
}

function lockedError (t: test.Test, fn: () => unknown, label: string): Error | undefined {
  try {
    fn()
    t.fail(`${label}: acquired`)
  } catch (err) {
    t.equal((err as { code?: string }).code, 'LEVEL_LOCKED', `${label}: LEVEL_LOCKED`)
    return err as Error
  }
  return undefined
}

/** Spawns a child that acquires the lock and holds it until killed. */
function holdInChild (location: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD, location, 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      if (out.startsWith('acquired')) resolve(child)
      else if (out.includes('\n')) reject(new Error(out))
    })
    child.on('error', reject)
  })
}

function killed (child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

test('lock: acquire creates LOCK and a claim; release removes the claim, keeps LOCK', (t) => {
  const dir = tempDir()
  const lock = LockFile.acquire(dir)
  t.ok(fs.existsSync(path.join(dir, 'LOCK')), 'LOCK exists')
  t.equal(fs.readFileSync(path.join(dir, 'LOCK')).length, 0, 'LOCK is empty')
  t.equal(claims(dir).length, 2, 'LOCK plus one claim')
  t.ok(claims(dir).some((name) => name.startsWith(`LOCK.owner.${process.pid}.`)), 'the claim names our pid')
  lock.release()
  t.same(claims(dir), ['LOCK'], 'no claim left')
  t.ok(fs.existsSync(path.join(dir, 'LOCK')), 'LOCK still exists')
  t.end()
})

test('lock: an existing LOCK keeps its content', (t) => {
  const dir = tempDir()
  fs.writeFileSync(path.join(dir, 'LOCK'), 'left by someone')
  const lock = LockFile.acquire(dir)
  lock.release()
  t.equal(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8'), 'left by someone')
  t.end()
})

test('lock: same-process double acquire fails and leaves the first valid', (t) => {
  const dir = tempDir()
  const first = LockFile.acquire(dir)
  const err = lockedError(t, () => LockFile.acquire(dir), 'second acquire')
  t.equal(err?.message, `IO error: lock ${path.join(dir, 'LOCK')}: already held by process`)
  const link = path.join(tempDir(), 'link')
  fs.symlinkSync(dir, link)
  lockedError(t, () => LockFile.acquire(link), 'through a symlink')
  lockedError(t, () => LockFile.acquire(dir + path.sep), 'with a trailing separator')
  t.ok(tryInChild(dir).startsWith('error LEVEL_LOCKED'), 'another process is still kept out')
  first.release()
  const again = LockFile.acquire(dir)
  again.release()
  t.end()
})

test('lock: release is idempotent, then re-acquire works', (t) => {
  const dir = tempDir()
  const lock = LockFile.acquire(dir)
  lock.release()
  lock.release()
  const second = LockFile.acquire(dir)
  lock.release() // a stale handle must not release the new holder
  lockedError(t, () => LockFile.acquire(dir), 'still held by the second')
  second.release()
  LockFile.acquire(dir).release()
  t.end()
})

test('lock: another process fails while we hold it', (t) => {
  const dir = tempDir()
  const lock = LockFile.acquire(dir)
  const before = claims(dir)
  const out = tryInChild(dir)
  t.ok(out.startsWith(`error LEVEL_LOCKED IO error: lock ${path.join(dir, 'LOCK')}: already held by process ${process.pid}`), out)
  t.same(claims(dir), before, 'our claim untouched, the child withdrew its own')
  t.ok(tryInChild(dir).startsWith('error LEVEL_LOCKED'), 'a second try fails too')
  lock.release()
  t.ok(tryInChild(dir).startsWith('acquired'), 'free once released')
  t.end()
})

test('lock: a child killed with SIGKILL leaves a stale claim that we take over', async (t) => {
  const dir = tempDir()
  const child = await holdInChild(dir)
  lockedError(t, () => LockFile.acquire(dir), 'while the child lives')
  const stale = claims(dir).filter((name) => name.startsWith(`LOCK.owner.${child.pid}.`))
  t.equal(stale.length, 1, 'the child\'s claim')
  await killed(child)
  t.same(claims(dir).filter((name) => name !== 'LOCK'), stale, 'the claim survives SIGKILL')
  const lock = LockFile.acquire(dir)
  t.notOk(fs.existsSync(path.join(dir, stale[0])), 'the stale claim was removed')
  lock.release()
})

test('lock: stale claims are judged by pid and start time', (t) => {
  const dir = tempDir()
  fs.writeFileSync(path.join(dir, 'LOCK'), '')
  const host = os.hostname().replace(/[^A-Za-z0-9-]/g, '_').slice(0, 64)
  const hasProc = fs.existsSync('/proc/self/stat')
  const old = new Date(Date.now() - 60000)
  const plant = (name: string): string => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, '')
    fs.utimesSync(file, old, old)
    return file
  }

  // A pid that cannot exist.
  const dead = plant(`LOCK.owner.4194999.123.${host}.aa`)
  // Our own pid with another start time: an earlier process that had our pid.
  const reused = hasProc ? plant(`LOCK.owner.${process.pid}.999999999.${host}.bb`) : undefined
  // Not a claim (does not parse): left alone.
  const other = plant('LOCK.owner.notes')
  const lock = LockFile.acquire(dir)
  t.notOk(fs.existsSync(dead), 'dead pid removed')
  if (reused !== undefined) t.notOk(fs.existsSync(reused), 'earlier life of our pid removed')
  t.ok(fs.existsSync(other), 'unrelated name left alone')
  lock.release()

  // A live process (our parent) with the wrong start time is a reused pid: stale.
  if (hasProc && process.ppid > 1) {
    const wrongStart = plant(`LOCK.owner.${process.ppid}.1.${host}.cc`)
    LockFile.acquire(dir).release()
    t.notOk(fs.existsSync(wrongStart), 'live pid with another start time removed')
    const parentStart = fs.readFileSync(`/proc/${process.ppid}/stat`, 'latin1').split(') ')[1].split(' ')[19]
    const live = plant(`LOCK.owner.${process.ppid}.${parentStart}.${host}.dd`)
    const err = lockedError(t, () => LockFile.acquire(dir), 'live pid with its start time')
    t.ok(err?.message.includes(`already held by process ${process.ppid}`), err?.message)
    t.ok(fs.existsSync(live), 'the live claim is kept')
    fs.unlinkSync(live)
  }

  // A claim from another host cannot be judged: held, and the message says what to delete.
  const foreign = plant('LOCK.owner.1234.5678.elsewhere.ee')
  const err = lockedError(t, () => LockFile.acquire(dir), 'foreign host')
  t.ok(err?.message.includes('on host elsewhere') && err?.message.includes(foreign), err?.message)
  t.ok(fs.existsSync(foreign), 'foreign claim kept')
  fs.unlinkSync(foreign)
  LockFile.acquire(dir).release()
  t.end()
})

test('lock: a claim whose owner cannot be asked about counts as live', (t) => {
  const dir = tempDir()
  const host = os.hostname().replace(/[^A-Za-z0-9-]/g, '_').slice(0, 64)
  const claim = path.join(dir, `LOCK.owner.4194999.-.${host}.aa`)
  fs.writeFileSync(claim, '')
  // What Deno's process.kill throws without --allow-run: an error with no errno code.
  const kill = process.kill
  process.kill = () => { throw new Error('Requires run access') }
  try {
    lockedError(t, () => LockFile.acquire(dir), 'liveness unknown')
  } finally {
    process.kill = kill
  }
  t.ok(fs.existsSync(claim), 'the claim is kept')
  LockFile.acquire(dir).release()
  t.notOk(fs.existsSync(claim), 'once kill(pid, 0) answers ESRCH it is stale')
  t.end()
})

test('lock: a missing directory is an IO error', (t) => {
  try {
    LockFile.acquire(path.join(tempDir(), 'missing'))
    t.fail('acquired')
  } catch (err) {
    t.equal((err as { code?: string }).code, 'LEVEL_IO_ERROR')
    t.ok((err as Error).message.startsWith('IO error: lock '), (err as Error).message)
  }
  t.end()
})

test('lock: processes racing for a free lock: exactly one wins', async (t) => {
  const dir = tempDir()
  const goAt = Date.now() + 1500
  const runs = Array.from({ length: 5 }, () => new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ['-e', CHILD, dir, '1500', String(goAt)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.on('exit', () => resolve(out))
  }))
  const outs = await Promise.all(runs)
  const winners = outs.filter((out) => out.startsWith('acquired'))
  t.equal(winners.length, 1, `one winner (${outs.map((o) => o.split(' ')[0] + ' ' + o.split(' ')[1]).join(', ')})`)
  t.ok(outs.filter((out) => !out.startsWith('acquired')).every((out) => out.startsWith('error LEVEL_LOCKED')), 'the others are locked out')
  t.same(claims(dir), ['LOCK'], 'no claims left')
})

test('lock: a directory held by classic-level (fcntl) is refused on Linux', async (t) => {
  if (process.platform !== 'linux') {
    t.pass('skipped: not Linux')
    return
  }
  let ClassicLevel: any
  try {
    ClassicLevel = require('classic-level').ClassicLevel
  } catch {
    t.pass('skipped: classic-level not loadable')
    return
  }
  const dir = tempDir()
  const db = new ClassicLevel(dir)
  await db.open()
  const err = lockedError(t, () => LockFile.acquire(dir), 'while classic-level is open')
  t.ok(err?.message.includes('fcntl'), err?.message)
  t.same(claims(dir), ['LOCK'], 'no claim left behind')
  const stat = fs.statSync(path.join(dir, 'LOCK'))
  t.ok(fs.readFileSync('/proc/locks', 'latin1').includes(`:${stat.ino} `), 'classic-level\'s fcntl lock survived our attempt')
  await db.close()
  LockFile.acquire(dir).release()
})

/** Runs fn, counting the reads of /proc/locks it makes. */
function procLocksReads (fn: () => void): number {
  // The module object itself: the namespace import above only has getters.
  const fsModule = require('fs') as { readFileSync: (...args: unknown[]) => unknown }
  const readFileSync = fsModule.readFileSync
  let reads = 0
  fsModule.readFileSync = (file: unknown, ...rest: unknown[]) => {
    if (file === '/proc/locks') reads++
    return readFileSync(file, ...rest)
  }
  try {
    fn()
  } finally {
    fsModule.readFileSync = readFileSync
  }
  return reads
}

test('lock: /proc/locks is skipped while LOG is the one lsm-level started, and read once classic-level has opened the directory', async (t) => {
  if (process.platform !== 'linux') {
    t.pass('skipped: not Linux')
    return
  }
  const { ClassicLevel } = require('classic-level')
  const dir = tempDir()
  t.equal(procLocksReads(() => LockFile.acquire(dir).release()), 1, 'no LOG yet: /proc/locks is read')

  // What an lsm-level open does under its lock: start a LOG.
  const lock = LockFile.acquire(dir)
  await InfoLog.open(nodeEnv, dir).closeAsync()
  lock.release()
  t.ok(fs.readFileSync(path.join(dir, 'LOG'), 'latin1').split('\n')[0].endsWith(' lsm-level opened the database'), 'LOG starts with lsm-level\'s line')
  t.equal(procLocksReads(() => LockFile.acquire(dir).release()), 0, 'lsm-level\'s LOG: /proc/locks is not read')

  const classic = new ClassicLevel(dir)
  await classic.open()
  t.notOk(fs.readFileSync(path.join(dir, 'LOG'), 'latin1').includes('lsm-level opened the database'), 'classic-level replaced LOG when it opened')
  const reads = procLocksReads(() => {
    const err = lockedError(t, () => LockFile.acquire(dir), 'while classic-level holds the directory lsm-level had')
    t.ok(err?.message.includes('fcntl'), err?.message)
  })
  t.equal(reads, 1, 'classic-level\'s LOG: /proc/locks is read')
  await classic.close()
  t.equal(procLocksReads(() => LockFile.acquire(dir).release()), 1, 'after classic-level closed, still read until lsm-level starts a LOG')

  fs.writeFileSync(path.join(dir, 'LOG'), 'lsm-level opened the database\n')
  t.equal(procLocksReads(() => LockFile.acquire(dir).release()), 1, 'a LOG that only looks like ours (no timestamp and pid) does not count')
  fs.writeFileSync(path.join(dir, 'LOG'), '')
  t.equal(procLocksReads(() => LockFile.acquire(dir).release()), 1, 'nor does an empty one')
})

test('lock: a worker thread terminated while holding the lock leaves a claim another thread takes over', async (t) => {
  const dir = tempDir()
  const { Worker } = await import('worker_threads')
  const source = `
    const { parentPort } = require('worker_threads')
    const { LockFile } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'env', 'lock-file.js'))})
    LockFile.acquire(${JSON.stringify(dir)})
    parentPort.postMessage('held')
    setInterval(() => {}, 1000)
  `
  const worker = new Worker(source, { eval: true })
  await new Promise((resolve) => worker.once('message', resolve))
  lockedError(t, () => LockFile.acquire(dir), 'while the worker lives')
  const held = claims(dir).filter((name) => name.startsWith('LOCK.owner.'))
  t.equal(held.length, 1, 'the worker\'s claim')
  t.match(fs.readFileSync(path.join(dir, held[0]), 'latin1'), process.platform === 'linux' ? /^\d+ \d+$/ : /^/, 'it names its thread')
  await worker.terminate()
  if (process.platform !== 'linux') {
    t.skip('thread liveness is known on Linux only')
    return
  }
  const lock = LockFile.acquire(dir)
  t.notOk(fs.existsSync(path.join(dir, held[0])), 'the dead thread\'s claim was removed')
  lock.release()
})
