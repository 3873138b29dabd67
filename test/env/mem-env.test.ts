// The in-memory environment's durability model: what a power cut keeps and drops.

import test = require('tape')
import { MemEnv } from '../../lib/env/mem-env'

const DIR = '/mem/db'

function code (fn: () => unknown): string | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    const e = err as { code?: string, cause?: { code?: string } }
    return `${e.code}/${e.cause?.code}`
  }
}

test('mem env: a power cut keeps synced bytes of files whose directory entry was synced', (t) => {
  const env = new MemEnv()
  env.makeDirectory(DIR)
  const file = env.createWritable(`${DIR}/a`)
  file.append(Buffer.from('synced'))
  file.sync()
  file.append(Buffer.from('+unsynced'))
  env.syncDirectory(DIR)
  const after = env.crash('power')
  t.equal(after.readFile(`${DIR}/a`).toString(), 'synced', 'bytes appended after the last sync are lost')
  t.end()
})

test('mem env: a power cut drops files created since the last directory sync, even synced ones', (t) => {
  const env = new MemEnv()
  env.makeDirectory(DIR)
  const file = env.createWritable(`${DIR}/new`)
  file.append(Buffer.from('data'))
  file.sync()
  const after = env.crash('power')
  t.equal(after.exists(`${DIR}/new`), false, 'the directory entry was never made durable')
  t.deepEqual(after.list(DIR), [], 'the directory is empty')
  t.end()
})

test('mem env: renames and removals are undone by a power cut until the directory is synced', (t) => {
  const env = new MemEnv()
  env.makeDirectory(DIR)
  for (const name of ['CURRENT', 'old', 'tmp']) {
    const f = env.createWritable(`${DIR}/${name}`)
    f.append(Buffer.from(name))
    f.sync()
  }
  env.syncDirectory(DIR)
  env.rename(`${DIR}/tmp`, `${DIR}/CURRENT`)
  env.remove(`${DIR}/old`)
  t.deepEqual(env.list(DIR), ['CURRENT'], 'before the cut: renamed and removed')
  const after = env.crash('power')
  t.deepEqual(after.list(DIR), ['CURRENT', 'old', 'tmp'], 'after the cut: the old entries are back')
  t.equal(after.readFile(`${DIR}/CURRENT`).toString(), 'CURRENT', 'CURRENT holds its old contents')

  after.rename(`${DIR}/tmp`, `${DIR}/CURRENT`)
  after.syncDirectory(DIR)
  const again = after.crash('power')
  t.equal(again.readFile(`${DIR}/CURRENT`).toString(), 'tmp', 'a synced rename survives')
  t.deepEqual(again.list(DIR), ['CURRENT', 'old'])
  t.end()
})

test('mem env: a process crash keeps everything, unsynced bytes and entries included', (t) => {
  const env = new MemEnv()
  env.makeDirectory(DIR)
  const file = env.createWritable(`${DIR}/log`)
  file.append(Buffer.from('in the page cache'))
  const after = env.crash('process')
  t.equal(after.readFile(`${DIR}/log`).toString(), 'in the page cache')
  t.end()
})

test('mem env: the crashed environment and its open files fail with EIO; its locks are gone', (t) => {
  const env = new MemEnv()
  env.makeDirectory(DIR)
  const lock = env.lock(DIR)
  t.equal(code(() => env.lock(DIR)), 'LEVEL_LOCKED/undefined', 'a second lock is refused')
  const file = env.createWritable(`${DIR}/f`)
  const reader = env.openRandomAccess(`${DIR}/f`)
  const after = env.crash('process')
  t.equal(code(() => file.append(Buffer.from('x'))), 'LEVEL_IO_ERROR/EIO', 'append on a dead file')
  t.equal(code(() => file.sync()), 'LEVEL_IO_ERROR/EIO', 'sync on a dead file')
  t.equal(code(() => reader.read(0, 0)), 'LEVEL_IO_ERROR/EIO', 'read on a dead file')
  t.equal(code(() => env.list(DIR)), 'LEVEL_IO_ERROR/EIO', 'list on the dead environment')
  t.equal(code(() => env.remove(`${DIR}/f`)), 'LEVEL_IO_ERROR/EIO', 'remove on the dead environment')
  t.ok(after.exists(`${DIR}/f`), 'the dead environment removed nothing')
  const relock = after.lock(DIR)
  t.pass('the new environment can take the lock the crashed process held')
  lock.release()
  t.equal(code(() => after.lock(DIR)), 'LEVEL_LOCKED/undefined', "releasing the dead process's lock does not free the new holder's")
  relock.release()
  t.end()
})

test('mem env: errors look like Node fs errors', (t) => {
  const env = new MemEnv()
  env.makeDirectory(DIR)
  t.equal(code(() => env.readFile(`${DIR}/missing`)), 'LEVEL_IO_ERROR/ENOENT')
  t.equal(code(() => env.createWritable('/nowhere/x')), 'LEVEL_IO_ERROR/ENOENT', 'no parent directory')
  t.equal(code(() => env.list(`${DIR}/missing`)), 'LEVEL_IO_ERROR/ENOENT')
  const f = env.createWritable(`${DIR}/x`)
  f.close()
  t.equal(code(() => f.append(Buffer.from('x'))), 'LEVEL_IO_ERROR/EBADF', 'append after close')
  t.equal(code(() => env.link(`${DIR}/x`, `${DIR}/x`)), 'LEVEL_IO_ERROR/EEXIST')
  t.equal(code(() => env.removeDirectory(DIR)), 'LEVEL_IO_ERROR/ENOTEMPTY')
  t.equal(code(() => env.openRandomAccess(`${DIR}/x`).read(0, 1)), 'LEVEL_CORRUPTION/undefined', 'a short read')
  t.match(String((() => { try { env.readFile(`${DIR}/missing`) } catch (e) { return (e as Error).message } })()),
    /^IO error: read \/mem\/db\/missing: ENOENT: no such file or directory$/, 'the message names operation, file and errno once')
  t.end()
})

test('mem env: hard links share contents; truncate cuts', (t) => {
  const env = new MemEnv()
  env.makeDirectory(DIR)
  const f = env.createWritable(`${DIR}/a`)
  f.append(Buffer.from('hello world'))
  env.link(`${DIR}/a`, `${DIR}/b`)
  f.truncate(5)
  t.equal(env.readFile(`${DIR}/b`).toString(), 'hello', 'the link sees the cut')
  t.equal(f.size, 5)
  t.end()
})
