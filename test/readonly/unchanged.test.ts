// readOnly: true writes nothing: a read-only open of a directory no one has open, every kind
// of read, a refresh and the close leave it byte for byte as it was (the same file list, the
// same bytes in every file), whether lsm-level or classic-level wrote it, with data in tables
// and still in the WAL. A WAL whose last record is torn (being written right now) is read up
// to that record, and the rest once a refresh finds it whole. And a classic-level writer,
// open in this process, is followed by refresh() as an lsm-level one is.

import test = require('tape')
import * as crypto from 'crypto'
import * as fs from 'fs'
import * as path from 'path'
import { ClassicLevel } from 'classic-level'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'

type Db = LsmLevel<string, string> | ClassicLevel<string, string>

/** Every file of `dir` with the SHA-256 of its bytes, sorted by name. */
function fingerprint (dir: string): string[] {
  return fs.readdirSync(dir).sort().map((name) => {
    const bytes = fs.readFileSync(path.join(dir, name))
    return `${name} ${bytes.length} ${crypto.createHash('sha256').update(bytes).digest('hex')}`
  })
}

function valueOf (i: number, round: number): string {
  return `${round}:${i}:` + 'x'.repeat(100 + (i * 37) % 400)
}

/** Writes rounds of batches, with overwrites and deletes; returns the model. */
async function write (db: Db, rounds: number, perRound: number, model = new Map<string, string>()): Promise<Map<string, string>> {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < perRound; i += 25) {
      const ops: Array<{ type: 'put', key: string, value: string } | { type: 'del', key: string }> = []
      for (let j = i; j < Math.min(perRound, i + 25); j++) {
        const key = `key${String((j * 7919 + round * 13) % (perRound * 2)).padStart(6, '0')}`
        if (j % 11 === 5) {
          ops.push({ type: 'del', key })
          model.delete(key)
        } else {
          const value = valueOf(j, round)
          ops.push({ type: 'put', key, value })
          model.set(key, value)
        }
      }
      await db.batch(ops)
    }
  }
  return model
}

/** Reads everything every way a reader can; checks it against the model. */
async function readAll (t: test.Test, db: LsmLevel<string, string>, model: Map<string, string>, label: string): Promise<void> {
  const entries = await db.iterator().all()
  t.deepEqual(entries, [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), `${label}: the iterator holds exactly the model`)
  const reversed = await db.keys({ reverse: true, limit: 50 }).all()
  t.deepEqual(reversed, entries.slice(-50).map(([key]) => key).reverse(), `${label}: a reverse iterator agrees`)
  const keys = [...model.keys()].slice(0, 200)
  t.deepEqual(await db.getMany(keys), keys.map((key) => model.get(key)), `${label}: getMany agrees`)
  t.equal(await db.get('no such key'), undefined, `${label}: a missing key is missing`)
  const snapshot = db.snapshot()
  t.equal(await db.get(keys[0], { snapshot }), model.get(keys[0]), `${label}: a snapshot reads`)
  await snapshot.close()
  const it = db.iterator()
  await it.seek('key000500')
  await it.next()
  await it.close()
  await db.approximateSize('key', 'kez')
  db.getProperty('leveldb.stats')
  db.stats()
  await db.refresh()
  t.equal((await db.keys().all()).length, model.size, `${label}: the same after refresh()`)
}

async function checkUnchanged (t: test.Test, location: string, model: Map<string, string>, label: string): Promise<void> {
  const before = fingerprint(location)
  const db = new LsmLevel<string, string>(location, { readOnly: true })
  await db.open()
  await readAll(t, db, model, label)
  await db.close()
  t.deepEqual(fingerprint(location), before, `${label}: every file is byte for byte as before, none added or removed`)
}

test('readOnly: an lsm-level directory, with data in tables and in the WAL, is left unchanged', async (t) => {
  const location = tempLocation('ro-unchanged-lsm')
  const db = new LsmLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  await db.open()
  const model = await write(db, 4, 1500)
  await db.close()
  const files = fs.readdirSync(location)
  t.ok(files.some((name) => name.endsWith('.ldb')), 'there are tables')
  t.ok(files.some((name) => name.endsWith('.log') && fs.statSync(path.join(location, name)).size > 0), 'and data in the WAL')
  await checkUnchanged(t, location, model, 'lsm-level')
})

test('readOnly: a classic-level directory, with data in tables and in the WAL, is left unchanged', async (t) => {
  const location = tempLocation('ro-unchanged-classic')
  const db = new ClassicLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  await db.open()
  const model = await write(db, 4, 1500)
  await db.close()
  const files = fs.readdirSync(location)
  t.ok(files.some((name) => name.endsWith('.ldb')), 'there are tables')
  t.ok(files.some((name) => name.endsWith('.log') && fs.statSync(path.join(location, name)).size > 0), 'and data in the WAL')
  t.ok(files.includes('LOG'), "classic-level's own LOG is there (the reader must not rotate it)")
  await checkUnchanged(t, location, model, 'classic-level')
})

test('readOnly: a classic-level directory whose data is only in its WAL is left unchanged', async (t) => {
  const location = tempLocation('ro-unchanged-classic-log')
  const db = new ClassicLevel<string, string>(location, { writeBufferSize: 4 * 1024 * 1024 })
  await db.open()
  const model = await write(db, 2, 1000)
  await db.close()
  t.notOk(fs.readdirSync(location).some((name) => name.endsWith('.ldb')), 'no table: everything is in the WAL')
  await checkUnchanged(t, location, model, 'classic-level, WAL only')
})

test('readOnly: a torn record at the end of the WAL is not there yet, and no damage', async (t) => {
  const location = tempLocation('ro-torn')
  const db = new LsmLevel<string, string>(location)
  await db.open()
  await db.put('a', '1')
  await db.put('b', '2')
  const log = fs.readdirSync(location).filter((name) => name.endsWith('.log')).sort().pop() as string
  const logPath = path.join(location, log)
  const whole = fs.statSync(logPath).size
  await db.put('c', 'x'.repeat(3000))
  await db.close()
  const full = fs.readFileSync(logPath)
  t.ok(full.length > whole + 1000, 'the last record is in the WAL')

  // As a reader finds the log while the writer's append is under way.
  fs.truncateSync(logPath, whole + 1000)
  const before = fingerprint(location)
  const reader = new LsmLevel<string, string>(location, { readOnly: true })
  await reader.open()
  t.deepEqual(await reader.iterator().all(), [['a', '1'], ['b', '2']], 'the records before the torn one are there, the torn one is not')
  await reader.refresh()
  t.equal(await reader.get('c'), undefined, 'a refresh with the record still torn changes nothing')
  t.deepEqual(fingerprint(location), before, 'the reader cut nothing off and wrote nothing')

  // The append completes.
  fs.appendFileSync(logPath, full.subarray(whole + 1000))
  await reader.refresh()
  t.equal(await reader.get('c'), 'x'.repeat(3000), 'once whole, the next refresh reads it')
  t.deepEqual(await reader.keys().all(), ['a', 'b', 'c'], 'exactly once')
  await reader.close()
})

test('readOnly: follows a classic-level writer that has the database open', async (t) => {
  const location = tempLocation('ro-classic-writer')
  const writer = new ClassicLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  await writer.open()
  const model = await write(writer, 1, 1000)
  const reader = new LsmLevel<string, string>(location, { readOnly: true })
  await reader.open()
  t.equal((await reader.keys().all()).length, model.size, "the reader sees the writer's data (in its WAL and tables)")
  const iterator = reader.iterator()
  const first = await iterator.nextv(100)
  const seen = await reader.iterator().all()

  await write(writer, 3, 1000, model)
  await writer.compactRange('key', 'kez')
  t.deepEqual(await reader.iterator().all(), seen, 'nothing new before refresh()')
  await reader.refresh()
  t.deepEqual(await reader.iterator().all(), [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), 'after refresh(), exactly what classic-level wrote')
  const rest = await iterator.all()
  t.ok(first.length + rest.length > 0 && rest.every(([, value]) => value.startsWith('0:')), 'an iterator opened before reads on, in its own view, after classic-level compacted')
  await iterator.close()
  await reader.close()
  await writer.close()
})
