// classic-level's methods beyond abstract-level: argument checks, deferral, error codes and
// results, as classic-level 3 defines them (shared/docs/classic-level-surface.md).

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { LsmLevel, ClassicLevel } from '../index'
import { tempLocation } from './support/temp'

async function rejects (t: test.Test, promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise
    t.fail(`should reject with ${pattern}`)
  } catch (err) {
    t.match((err as Error).message, pattern)
  }
}

async function filled (location: string, count: number, options: Record<string, unknown> = {}): Promise<LsmLevel> {
  const db = new LsmLevel(location, { writeBufferSize: 64 * 1024, ...options })
  await db.open()
  const ops = []
  for (let i = 0; i < count; i++) ops.push({ type: 'put' as const, key: 'key' + String(i).padStart(6, '0'), value: 'v'.repeat(200) })
  for (let i = 0; i < ops.length; i += 500) await db.batch(ops.slice(i, i + 500))
  return db
}

test('ClassicLevel is exported as an alias of LsmLevel', async (t) => {
  t.is(ClassicLevel, LsmLevel)
  const db = new ClassicLevel(tempLocation())
  t.is(db.location.length > 0, true)
  await db.close()
})

test('constructor rejects a location that is not a non-empty string', async (t) => {
  for (const bad of ['', undefined, null, 1, {}]) {
    t.throws(() => new LsmLevel(bad as any), /The first argument 'location' must be a non-empty string/)
  }
})

test('supports.additionalMethods and the manifest match classic-level', async (t) => {
  const db = new LsmLevel(tempLocation())
  t.same(db.supports.additionalMethods, { approximateSize: true, compactRange: true })
  t.is(db.supports.permanence, true)
  t.is(db.supports.createIfMissing, true)
  t.is(db.supports.errorIfExists, true)
  t.is(db.supports.explicitSnapshots, true)
  t.is((db.supports as any).getSync, true)
  t.is(db.supports.has, true)
  t.same((db.supports as any).signals, { iterators: true })
  t.same(Object.keys(db.supports.encodings).sort(), ['base64', 'buffer', 'hex', 'json', 'utf8', 'view'])
  await db.close()
})

test('approximateSize: argument checks, deferral, closed database', async (t) => {
  const db = new LsmLevel(tempLocation())
  await rejects(t, (db.approximateSize as any)('a'), /The arguments 'start' and 'end' are required/)
  // Deferred while opening.
  t.is(await db.approximateSize('a', 'z'), 0)
  await db.close()
  try {
    await db.approximateSize('a', 'z')
    t.fail('should reject')
  } catch (err: any) {
    t.is(err.code, 'LEVEL_DATABASE_NOT_OPEN')
    t.is(err.message, 'Database is not open: cannot call approximateSize()')
  }
})

test('approximateSize counts table bytes in the range only', async (t) => {
  const location = tempLocation()
  let db = await filled(location, 4000)
  await db.close()
  db = new LsmLevel(location)
  await db.open()
  // Data replayed from the log stays in the memtable, which counts nothing: flush it first.
  const inMemory = await db.approximateSize('key000000', 'key999999')
  await db.compactRange('key000000', 'key999999')
  const all = await db.approximateSize('key000000', 'key999999')
  t.ok(inMemory < all, `before the flush: ${inMemory} bytes`)
  const half = await db.approximateSize('key000000', 'key002000')
  const none = await db.approximateSize('zzz', 'zzzz')
  t.ok(all > 4000 * 20, `whole range ${all} bytes`)
  t.ok(half > all * 0.3 && half < all * 0.7, `half the keys take about half: ${half} of ${all}`)
  t.is(none, 0)
  t.is(await db.approximateSize('key002000', 'key000000'), 0, 'empty range')
  t.is(await db.approximateSize(Buffer.from('key000000'), Buffer.from('key999999'), { keyEncoding: 'buffer' }), all)
  await db.close()
})

test('getProperty: type check, not deferred, names and values', async (t) => {
  const db = new LsmLevel(tempLocation())
  t.throws(() => (db.getProperty as any)(1), /The first argument 'property' must be a string/)
  t.throws(() => db.getProperty('leveldb.stats'), (err: any) => err.code === 'LEVEL_DATABASE_NOT_OPEN', 'throws while opening')
  await db.open()
  t.is(db.getProperty('foo'), '')
  t.is(db.getProperty('leveldb.foo'), '')
  for (let level = 0; level < 7; level++) t.is(db.getProperty(`leveldb.num-files-at-level${level}`), '0')
  t.is(db.getProperty('leveldb.num-files-at-level7'), '')
  t.match(db.getProperty('leveldb.stats'), /Compactions\nLevel  Files Size\(MB\) Time\(sec\) Read\(MB\) Write\(MB\)\n-{50}\n/)
  t.is(db.getProperty('leveldb.sstables'), [0, 1, 2, 3, 4, 5, 6].map((n) => `--- level ${n} ---\n`).join(''))
  t.ok(Number(db.getProperty('leveldb.approximate-memory-usage')) > 0)
  await db.close()
  t.throws(() => db.getProperty('leveldb.stats'), (err: any) => err.code === 'LEVEL_DATABASE_NOT_OPEN', 'throws when closed')
})

test('getProperty reports tables after flushes', async (t) => {
  const db = await filled(tempLocation(), 3000)
  let files = 0
  for (let level = 0; level < 7; level++) files += Number(db.getProperty(`leveldb.num-files-at-level${level}`))
  t.ok(files > 0, `${files} table files`)
  const tables = db.getProperty('leveldb.sstables')
  t.match(tables, / \d+:\d+\['key\d+' @ \d+ : 1 \.\. 'key\d+' @ \d+ : 1\]/)
  await db.close()
})

test('destroy: argument check, missing directory, open database, leaves foreign files', async (t) => {
  await rejects(t, (LsmLevel.destroy as any)(''), /The first argument 'location' must be a non-empty string/)
  await LsmLevel.destroy(tempLocation('missing'))

  const location = tempLocation()
  const db = await filled(location, 1000)
  try {
    await LsmLevel.destroy(location)
    t.fail('should reject while open')
  } catch (err: any) {
    t.is(err.code, 'LEVEL_LOCKED')
  }
  await db.close()
  fs.writeFileSync(path.join(location, 'notes.txt'), 'mine')
  await LsmLevel.destroy(location)
  t.same(fs.readdirSync(location), ['notes.txt'], 'only the foreign file is left')
  fs.rmSync(path.join(location, 'notes.txt'))
  const again = await filled(location, 10)
  await again.close()
  await LsmLevel.destroy(location)
  t.is(fs.existsSync(location), false, 'an emptied directory is removed')
})

test('repair: argument check, missing parent, creating a database', async (t) => {
  await rejects(t, (LsmLevel.repair as any)(''), /The first argument 'location' must be a non-empty string/)
  try {
    await LsmLevel.repair('/1/2/3/4')
    t.fail('should reject')
  } catch (err: any) {
    t.is(err.code, 'LEVEL_IO_ERROR')
  }
  const location = tempLocation()
  await LsmLevel.repair(location)
  t.ok(fs.existsSync(path.join(location, 'CURRENT')), 'created an empty database')
  const db = new LsmLevel(location, { createIfMissing: false })
  await db.open()
  t.same(await db.keys().all(), [])
  await db.close()
})

test('repair turns logs into tables and keeps every record', async (t) => {
  const location = tempLocation()
  const db = new LsmLevel(location)
  await db.open()
  for (let i = 0; i < 100; i++) await db.put('k' + i, 'v' + i)
  await db.del('k5')
  await db.close()
  t.ok(fs.readdirSync(location).some((n) => n.endsWith('.log')), 'data in the log before repair')

  await LsmLevel.repair(location)
  const names = fs.readdirSync(location)
  t.notOk(names.some((n) => n.endsWith('.log')), 'no log after repair')
  t.ok(names.some((n) => n.endsWith('.ldb')), 'a table after repair')
  const reopened = new LsmLevel(location)
  await reopened.open()
  t.is(await reopened.get('k99'), 'v99')
  t.is(await reopened.get('k5'), undefined, 'the delete survives')
  t.is((await reopened.keys().all()).length, 99)
  await reopened.put('after', 'repair')
  await reopened.close()
})

test('repair salvages the readable blocks of a damaged table', async (t) => {
  const location = tempLocation()
  let db = await filled(location, 3000, { compression: false })
  await db.close()
  db = new LsmLevel(location)
  await db.open()
  const before = await db.keys().all()
  await db.close()
  const table = fs.readdirSync(location).filter((n) => n.endsWith('.ldb')).sort()[0]
  const file = path.join(location, table)
  const bytes = fs.readFileSync(file)
  bytes[100] ^= 0xff // inside the first data block
  fs.writeFileSync(file, bytes)

  const damaged = new LsmLevel(location)
  await damaged.open()
  try {
    await damaged.keys().all()
    t.fail('reading the damaged block should fail')
  } catch (err: any) {
    t.is(err.code, 'LEVEL_CORRUPTION')
    t.ok(err.message.includes(table), 'the error names the file')
  }
  await damaged.close()

  await LsmLevel.repair(location)
  t.ok(fs.existsSync(path.join(location, 'lost', table)), 'the damaged table is moved to lost/')
  const repaired = new LsmLevel(location)
  await repaired.open()
  const after = await repaired.keys().all()
  t.ok(after.length < before.length, 'the damaged block is lost')
  t.ok(after.length > before.length - 100, `only that block: ${before.length - after.length} keys lost`)
  const have = new Set(before)
  t.ok(after.every((k) => have.has(k)), 'nothing invented')
  await repaired.close()
})
