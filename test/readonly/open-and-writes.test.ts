// readOnly: true, the surface: every write rejects with LEVEL_READ_ONLY (and leaves the
// instance readable), a missing database fails to open as classic-level fails one opened
// with createIfMissing: false (and no directory is created), and a read-only instance opens
// next to a writer that holds the lock, any number of times.

import test = require('tape')
import * as fs from 'fs'
import { ClassicLevel } from 'classic-level'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'

async function writtenDb (location: string): Promise<void> {
  const db = new LsmLevel<string, string>(location)
  await db.open()
  await db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'b', value: '2' }])
  await db.close()
}

async function rejects (t: test.Test, what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run()
    t.fail(`${what} resolved`)
  } catch (err) {
    const e = err as { code?: string, message?: string }
    t.equal(e.code, 'LEVEL_READ_ONLY', `${what} rejects with LEVEL_READ_ONLY`)
    t.match(String(e.message), /read-only/, `${what}: the message says why`)
  }
}

test('readOnly: every kind of write rejects with LEVEL_READ_ONLY', async (t) => {
  const location = tempLocation('ro-writes')
  await writtenDb(location)
  const db = new LsmLevel<string, string>(location, { readOnly: true })
  await db.open()
  await rejects(t, 'put', async () => await db.put('c', '3'))
  await rejects(t, 'del', async () => await db.del('a'))
  await rejects(t, 'del of a missing key', async () => await db.del('nope'))
  await rejects(t, 'batch', async () => await db.batch([{ type: 'put', key: 'c', value: '3' }, { type: 'del', key: 'a' }]))
  await rejects(t, 'chained batch write', async () => await db.batch().put('c', '3').del('a').write())
  await rejects(t, 'clear', async () => await db.clear())
  await rejects(t, 'clear of a range', async () => await db.clear({ gte: 'a', lt: 'b' }))
  await rejects(t, 'clear of a range with nothing in it', async () => await db.clear({ gte: 'x' }))
  await rejects(t, 'compactRange', async () => await db.compactRange('a', 'z'))
  await rejects(t, 'put through a sublevel', async () => await db.sublevel('sub').put('x', 'y'))
  try {
    await db.checkpoint(tempLocation('ro-checkpoint'))
    t.fail('checkpoint() resolved')
  } catch (err) {
    t.equal((err as { code?: string }).code, 'LEVEL_NOT_SUPPORTED', 'checkpoint() rejects with LEVEL_NOT_SUPPORTED (only the writer knows its WAL)')
  }
  t.deepEqual(await db.iterator().all(), [['a', '1'], ['b', '2']], 'nothing was written, and it still reads')
  t.equal(db.status, 'open', 'the instance stays open')
  await db.close()
})

test('readOnly: refresh() on a closed instance, and on a writable one', async (t) => {
  const location = tempLocation('ro-refresh-status')
  await writtenDb(location)
  const writable = new LsmLevel<string, string>(location)
  await writable.open()
  await writable.refresh()
  t.pass('refresh() of a writable instance is a no-op')
  await writable.close()

  const db = new LsmLevel<string, string>(location, { readOnly: true })
  const refreshed = db.refresh() // deferred while opening
  await db.open()
  await refreshed
  t.pass('refresh() called while opening waits for the open')
  await db.close()
  try {
    await db.refresh()
    t.fail('refresh() of a closed instance resolved')
  } catch (err) {
    t.equal((err as { code?: string }).code, 'LEVEL_DATABASE_NOT_OPEN', 'refresh() of a closed instance: LEVEL_DATABASE_NOT_OPEN')
  }
})

interface OpenFailure { code?: string, message: string, causeCode?: string, causeMessage?: string }

async function openFailure (db: { open: () => Promise<void> }): Promise<OpenFailure | undefined> {
  try {
    await db.open()
    return undefined
  } catch (err) {
    const e = err as { code?: string, message: string, cause?: { code?: string, message?: string } }
    return { code: e.code, message: e.message, causeCode: e.cause?.code, causeMessage: e.cause?.message }
  }
}

test('readOnly: a missing database fails as classic-level fails one with createIfMissing: false', async (t) => {
  const classicLocation = tempLocation('ro-missing-classic')
  const classic = await openFailure(new ClassicLevel(classicLocation, { createIfMissing: false }))
  t.ok(classic !== undefined, 'classic-level fails to open a missing database with createIfMissing: false')
  for (const createIfMissing of [undefined, true, false]) {
    const location = tempLocation('ro-missing')
    const failure = await openFailure(new LsmLevel(location, { readOnly: true, createIfMissing }))
    const label = `readOnly with createIfMissing ${String(createIfMissing)}`
    t.ok(failure !== undefined, `${label}: open fails`)
    if (failure === undefined || classic === undefined) continue
    t.equal(failure.code, classic.code, `${label}: ${String(failure.code)}, as classic-level`)
    t.equal(failure.message, classic.message, `${label}: message '${failure.message}', as classic-level`)
    t.equal(failure.causeCode, classic.causeCode, `${label}: the cause has code ${String(failure.causeCode)}, as classic-level`)
    t.equal(failure.causeMessage?.replace(location, '<location>'), classic.causeMessage?.replace(classicLocation, '<location>'),
      `${label}: the cause says '${String(failure.causeMessage)}', as classic-level`)
    t.notOk(fs.existsSync(location), `${label}: no directory was created`)
  }

  // A directory that exists but holds no database is missing too; it stays empty.
  const empty = tempLocation('ro-empty-dir')
  fs.mkdirSync(empty)
  const failure = await openFailure(new LsmLevel(empty, { readOnly: true }))
  t.equal(failure?.code, 'LEVEL_DATABASE_NOT_OPEN', 'an empty directory: LEVEL_DATABASE_NOT_OPEN')
  t.deepEqual(fs.readdirSync(empty), [], 'and it stays empty')
})

test('readOnly: opens next to a writer holding the lock, several times over', async (t) => {
  const location = tempLocation('ro-beside-writer')
  const writer = new LsmLevel<string, string>(location)
  await writer.open()
  await writer.put('k', 'v1')
  const second = await openFailure(new LsmLevel(location))
  t.equal(second?.causeCode, 'LEVEL_LOCKED', 'a second writable open fails: the writer holds the lock')

  const readers = [0, 1, 2].map(() => new LsmLevel<string, string>(location, { readOnly: true }))
  await Promise.all(readers.map(async (reader) => await reader.open()))
  for (const [i, reader] of readers.entries()) t.equal(await reader.get('k'), 'v1', `reader ${i} sees the writer's data`)
  await writer.put('k', 'v2')
  t.equal(await readers[0].get('k'), 'v1', 'a reader sees nothing new before refresh()')
  await readers[0].refresh()
  t.equal(await readers[0].get('k'), 'v2', 'refresh() catches up')
  t.equal(await readers[1].get('k'), 'v1', 'each reader refreshes on its own')
  await Promise.all(readers.map(async (reader) => await reader.close()))
  await writer.put('k', 'v3')
  t.equal(await writer.get('k'), 'v3', 'the writer goes on after the readers closed')
  await writer.close()
})
