// Locking at the database level: one open LsmLevel per directory, in this process and across
// processes; a holder killed with SIGKILL does not leave the directory locked; a failed open
// never disturbs the holder.

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { type ChildProcess, spawn } from 'child_process'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'

const HOLDER = path.join(__dirname, '..', 'support', 'db-holder.js')

// Holders still running when the tests end (after a failure) must not keep this process alive.
const children = new Set<ChildProcess>()
test.onFinish(() => { for (const child of children) child.kill('SIGKILL') })

interface Failure { code?: string, cause?: { code?: string, message?: string } }

async function openError (db: LsmLevel<string, string>): Promise<Failure | undefined> {
  try {
    await db.open()
    return undefined
  } catch (err) {
    return err as Failure
  }
}

/** Starts the holder; resolves with the child and its first line of output. */
function startHolder (location: string, mode: 'hold' | 'close' = 'hold'): Promise<{ child: ChildProcess, first: string, output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLDER, location, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
    children.add(child)
    child.on('close', () => children.delete(child))
    let out = ''
    let done = false
    child.stdout!.on('error', () => {}) // ECONNRESET after a SIGKILL
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (d: string) => {
      out += d
      if (!done && out.includes('\n')) {
        done = true
        resolve({ child, first: out.split('\n')[0], output: () => out })
      }
    })
    child.on('error', reject)
    child.on('close', (code) => { if (!done) reject(new Error(`holder exited with ${code} before reporting: ${out}`)) })
  })
}

function exited (child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('close', () => resolve())
  })
}

test('a second open in the same process fails with LEVEL_LOCKED; the first stays usable', async (t) => {
  const location = tempLocation('lock')
  const first = new LsmLevel<string, string>(location)
  await first.open()
  await first.put('a', '1')

  const second = new LsmLevel<string, string>(location)
  const err = await openError(second)
  t.equal(err?.code, 'LEVEL_DATABASE_NOT_OPEN', 'second open rejects with LEVEL_DATABASE_NOT_OPEN')
  t.equal(err?.cause?.code, 'LEVEL_LOCKED', `its cause is LEVEL_LOCKED (${err?.cause?.message})`)
  t.equal(second.status, 'closed', 'the second instance is closed')

  // Through another path spelling of the same directory, too.
  const third = new LsmLevel<string, string>(path.join(location, '..', path.basename(location), '.'))
  const err3 = await openError(third)
  t.equal(err3?.cause?.code, 'LEVEL_LOCKED', 'an equivalent path spelling is locked as well')

  t.equal(first.status, 'open', 'the first is still open')
  await first.put('b', '2')
  t.deepEqual(await first.getMany(['a', 'b']), ['1', '2'], 'the first still reads and writes')
  const entries = await first.iterator().all()
  t.deepEqual(entries, [['a', '1'], ['b', '2']], 'and iterates')

  // The failed opens did not release the first one's lock.
  const fourth = new LsmLevel<string, string>(location)
  t.equal((await openError(fourth))?.cause?.code, 'LEVEL_LOCKED', 'still locked after the failed opens')
  await second.close()
  t.equal((await openError(fourth))?.cause?.code, 'LEVEL_LOCKED', 'closing the failed instance does not unlock either')

  await first.close()
  t.equal(await openError(fourth), undefined, 'after a normal close, another instance opens')
  t.deepEqual(await fourth.getMany(['a', 'b']), ['1', '2'], 'and sees the data')
  await fourth.close()

  // Reopen the very same instance after close.
  await first.open()
  await first.put('c', '3')
  t.equal(await first.get('c'), '3', 'the first instance reopens after close')
  await first.close()
})

test('a database held by another process: LEVEL_LOCKED until that process is killed', async (t) => {
  const location = tempLocation('lock-proc')
  const holder = await startHolder(location)
  t.equal(holder.first, 'ready', 'the child opened the database')

  const db = new LsmLevel<string, string>(location)
  const err = await openError(db)
  t.equal(err?.code, 'LEVEL_DATABASE_NOT_OPEN', 'our open rejects with LEVEL_DATABASE_NOT_OPEN')
  t.equal(err?.cause?.code, 'LEVEL_LOCKED', `its cause is LEVEL_LOCKED (${err?.cause?.message})`)
  t.match(err?.cause?.message ?? '', new RegExp(`process ${holder.child.pid}`), 'the message names the holder pid')

  // A third process is refused as well.
  const other = await startHolder(location)
  t.match(other.first, /^error LEVEL_DATABASE_NOT_OPEN LEVEL_LOCKED/, `another child is refused too (${other.first})`)
  await exited(other.child)

  holder.child.kill('SIGKILL')
  await exited(holder.child)
  t.equal(await openError(db), undefined, 'after SIGKILL of the holder, our open succeeds')
  t.equal(await db.get('holder'), String(holder.child.pid), "the holder's acknowledged write is there")

  // Now we hold it: a child is refused.
  const refused = await startHolder(location)
  t.match(refused.first, /^error LEVEL_DATABASE_NOT_OPEN LEVEL_LOCKED/, `a child is refused while we hold it (${refused.first})`)
  await exited(refused.child)
  await db.close()

  // After our normal close a child opens, writes and closes normally; then we reopen.
  const polite = await startHolder(location, 'close')
  t.equal(polite.first, 'ready', 'after our close, a child opens it')
  await exited(polite.child)
  t.match(polite.output(), /closed/, 'the child closed it normally')
  t.equal(await openError(db), undefined, 'and after its close we reopen')
  t.equal(await db.get('holder'), String(polite.child.pid), "and see the child's write")
  t.deepEqual(fs.readdirSync(location).filter((n) => n.startsWith('LOCK.owner.')).length, 1, 'exactly one claim (ours) in the directory')
  await db.close()
  t.deepEqual(fs.readdirSync(location).filter((n) => n.startsWith('LOCK.owner.')), [], 'no claim left after close')
})

test('repeated kill and reopen does not accumulate stale locks', async (t) => {
  const location = tempLocation('lock-repeat')
  for (let round = 0; round < 3; round++) {
    const holder = await startHolder(location)
    t.equal(holder.first, 'ready', `round ${round}: the child opened the database (stale claims of killed holders did not block it)`)
    holder.child.kill('SIGKILL')
    await exited(holder.child)
  }
  const db = new LsmLevel<string, string>(location)
  t.equal(await openError(db), undefined, 'we open after three killed holders')
  t.equal(fs.readdirSync(location).filter((n) => n.startsWith('LOCK.owner.')).length, 1, 'stale claims were cleaned up')
  await db.close()
})

test('a directory classic-level holds in this process is refused; after it closes we open it', async (t) => {
  const { ClassicLevel } = require('classic-level')
  const location = tempLocation('lock-classic')
  const classic = new ClassicLevel(location)
  await classic.open()
  await classic.put('from-classic', 'yes')
  const db = new LsmLevel<string, string>(location)
  const err = await openError(db)
  t.equal(err?.cause?.code, 'LEVEL_LOCKED', `refused while classic-level holds the fcntl lock (${err?.cause?.message})`)
  t.equal(await classic.get('from-classic'), 'yes', 'classic-level is undisturbed')
  await classic.put('after', 'still writable')
  await classic.close()
  t.equal(await openError(db), undefined, 'after classic-level closed, we open')
  t.deepEqual(await db.getMany(['from-classic', 'after']), ['yes', 'still writable'], "and read classic-level's data")
  await db.close()
})
