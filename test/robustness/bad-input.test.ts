// Bad and unusual input. After each bad call the database must stay usable and lose nothing.
// Where classic-level defines the behaviour, both run the same calls and must agree.

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { randomBytes } from 'crypto'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'

const { ClassicLevel } = require('classic-level')

type AnyDb = any

/** What a call did: its result, or the error's class, code and message. */
async function outcome (fn: () => unknown): Promise<string> {
  try {
    const result = await fn()
    return `ok ${JSON.stringify(result, (_k, v) => typeof v === 'bigint' ? `${v}n` : v)}`
  } catch (err) {
    const e = err as { code?: string, message?: string, constructor: { name: string } }
    return `${e.constructor.name} ${e.code ?? ''} ${e.message ?? ''}`
  }
}

async function both (fn: (db: AnyDb) => Promise<void>): Promise<void> {
  const classic = new ClassicLevel(tempLocation('classic'))
  const lsm = new LsmLevel(tempLocation('lsm'))
  await classic.open()
  await lsm.open()
  try {
    await fn(classic)
    await fn(lsm)
  } finally {
    await classic.close()
    await lsm.close()
  }
}

test('wrong key and value types behave as in classic-level, and leave the database intact', async (t) => {
  const sym = Symbol('s')
  const fn = (): number => 1
  const cases: Array<[string, (db: AnyDb) => unknown]> = [
    ['put null key', (db) => db.put(null, 'v')],
    ['put undefined key', (db) => db.put(undefined, 'v')],
    ['put null value', (db) => db.put('k', null)],
    ['put undefined value', (db) => db.put('k', undefined)],
    ['put number key and value', (db) => db.put(1, 2)],
    ['put NaN key', (db) => db.put(NaN, 'nan')],
    ['put object key, object value', (db) => db.put({ a: 1 }, { b: 2 })],
    ['put array key', (db) => db.put([1, 2], 'arr')],
    ['put boolean key', (db) => db.put(true, false)],
    ['put bigint key', (db) => db.put(10n, 'big')],
    ['put symbol key', (db) => db.put(sym, 'sym')],
    ['put function key', (db) => db.put(fn, 'fn')],
    ['put empty string key', (db) => db.put('', 'empty key')],
    ['put empty string value', (db) => db.put('empty value', '')],
    ['put empty Buffer key', (db) => db.put(Buffer.alloc(0), 'empty buffer key', { keyEncoding: 'buffer' })],
    ['get empty key', (db) => db.get('')],
    ['get empty value', (db) => db.get('empty value')],
    ['get number key', (db) => db.get(1)],
    ['get null key', (db) => db.get(null)],
    ['getMany with a null key', (db) => db.getMany(['1', null])],
    ['getMany not an array', (db) => db.getMany('1')],
    ['has undefined key', (db) => db.has(undefined)],
    ['del null key', (db) => db.del(null)],
    ['batch not an array', (db) => db.batch('nope')],
    ['batch with a null op', (db) => db.batch([null])],
    ['batch with a bad type', (db) => db.batch([{ type: 'upsert', key: 'a', value: 'b' }])],
    ['batch with a good op then an undefined value', (db) => db.batch([{ type: 'put', key: 'half-1', value: '1' }, { type: 'put', key: 'half-2', value: undefined }])],
    ['batch with a null key', (db) => db.batch([{ type: 'put', key: 'half-3', value: '1' }, { type: 'del', key: null }])],
    ['chained batch with a null key', async (db) => { const b = db.batch(); b.put('chained-1', 'x'); b.put(null, 'y'); await b.write() }],
    ['chained batch with an undefined value', async (db) => { const b = db.batch(); b.put('chained-2', 'x'); try { b.put('chained-3', undefined) } finally { await b.close() } }],
    ['iterator with a null bound', (db) => db.iterator({ gt: null }).all()],
    ['iterator with a string limit', (db) => db.iterator({ limit: 'x' }).all()],
    ['keys() with a negative limit', (db) => db.keys({ limit: -5 }).all()],
    ['clear of an empty range', async (db) => { await db.clear({ gte: 'zzz-none', lt: 'zzz-none' }); return db.iterator().all() }],
    ['everything', (db) => db.iterator().all()]
  ]
  const results: Record<string, string[]> = { classic: [], lsm: [] }
  await both(async (db) => {
    const list = db instanceof LsmLevel ? results.lsm : results.classic
    for (const [what, call] of cases) list.push(`${what}: ${await outcome(() => call(db))}`)
    // Still usable after all of that.
    await db.put('after', 'fine')
    list.push(`after: ${await outcome(() => db.get('after'))}`)
  })
  for (let i = 0; i < results.classic.length; i++) {
    t.equal(results.lsm[i], results.classic[i], results.classic[i].slice(0, 160))
  }
})

test('bad input does not lose acknowledged data across a reopen', async (t) => {
  const location = tempLocation('bad-reopen')
  const db = new LsmLevel<any, any>(location)
  await db.open()
  await db.put('', 'empty key')
  await db.put('empty value', '')
  await db.put(1, 2)
  const failures = await Promise.allSettled([
    db.put(null, 'x'), db.put('x', undefined), db.batch([{ type: 'put', key: 'p', value: 'q' }, { type: 'put', key: null, value: 'r' }] as any),
    db.batch('x' as any), db.del(undefined)
  ])
  t.ok(failures.every((f) => f.status === 'rejected'), 'every bad call rejected')
  await db.put('last', 'one')
  await db.close()
  await db.open()
  t.deepEqual(await db.iterator().all(), [['', 'empty key'], ['1', '2'], ['empty value', ''], ['last', 'one']], 'exactly the good writes after reopen (no half batch)')
  await db.close()
})

test('keys with 0x00 and 0xff bytes: order, ranges, reopen; same as classic-level', async (t) => {
  const keys: Buffer[] = [
    Buffer.alloc(0), Buffer.from([0]), Buffer.from([0, 0]), Buffer.from([0, 0xff]), Buffer.from([0xff]), Buffer.from([0xff, 0]),
    Buffer.from([0xff, 0xff]), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from('a\x00b', 'latin1'), Buffer.from('a'), Buffer.from([0x61, 0xff]),
    Buffer.from([0x7f]), Buffer.from([0x80]), Buffer.from([0xfe, 0xff])
  ]
  for (let i = 0; i < 300; i++) keys.push(Buffer.from(Array.from(randomBytes(1 + (i % 6)), (b) => b < 0x80 ? (b & 1 ? 0 : 0xff) : b)))
  const values = keys.map((k, i) => Buffer.concat([Buffer.from([0, 0xff, i & 0xff]), k]))
  const bufferOpts = { keyEncoding: 'buffer', valueEncoding: 'buffer' }

  const queries = async (db: AnyDb): Promise<string[]> => {
    const out: string[] = []
    const show = (entries: Array<[Buffer, Buffer]>): string => entries.map(([k, v]) => `${k.toString('hex')}=${v.toString('hex')}`).join(',')
    out.push(show(await db.iterator(bufferOpts).all()))
    out.push(show(await db.iterator({ ...bufferOpts, reverse: true }).all()))
    out.push(show(await db.iterator({ ...bufferOpts, gt: Buffer.from([0]), lt: Buffer.from([0xff]) }).all()))
    out.push(show(await db.iterator({ ...bufferOpts, gte: Buffer.from([0xff]) }).all()))
    out.push(show(await db.iterator({ ...bufferOpts, lte: Buffer.from([0, 0xff]), reverse: true }).all()))
    out.push(show(await db.iterator({ ...bufferOpts, gt: Buffer.from([0xff, 0xff]), limit: 3 }).all()))
    const got = await db.getMany(keys, bufferOpts)
    out.push(got.map((v: Buffer | undefined) => v?.toString('hex')).join(','))
    out.push(String(await db.get(Buffer.from([0xff, 0xff, 0xff]), bufferOpts)))
    return out
  }

  const classic = new ClassicLevel(tempLocation('classic-bin'))
  const location = tempLocation('lsm-bin')
  const lsm = new LsmLevel<Buffer, Buffer>(location, { writeBufferSize: 64 * 1024 })
  const expected: string[][] = []
  for (const db of [classic, lsm] as AnyDb[]) {
    await db.open()
    // Half as single puts, half in a batch; some overwritten, some deleted.
    for (let i = 0; i < keys.length; i += 2) await db.put(keys[i], values[i], bufferOpts)
    await db.batch(keys.map((key, i) => ({ type: 'put', key, value: values[i] })).filter((_op, i) => i % 2 === 1), bufferOpts)
    for (let i = 0; i < keys.length; i += 7) await db.del(keys[i], bufferOpts)
    expected.push(await queries(db))
  }
  const labels = ['forward', 'reverse', 'gt 00 lt ff', 'gte ff', 'lte 00ff reverse', 'gt ffff limit 3', 'getMany', 'get missing ffffff']
  for (let i = 0; i < labels.length; i++) t.equal(expected[1][i], expected[0][i], `${labels[i]}: as classic-level`)
  await classic.close()

  await lsm.close()
  await lsm.open()
  const reopened = await queries(lsm)
  for (let i = 0; i < labels.length; i++) t.equal(reopened[i], expected[0][i], `${labels[i]}: same after reopen (now from a table)`)
  await lsm.close()
})

test('a 64 MiB value: put, get back equal, survives reopen (from the WAL and from a table)', async (t) => {
  const big = randomBytes(64 * 1024 * 1024)
  const location = tempLocation('big')
  const db = new LsmLevel<string, Buffer>(location, { valueEncoding: 'buffer' })
  await db.open()
  await db.put('before', Buffer.from('small'))
  await db.put('big', big)
  t.ok(big.equals(await db.get('big') as Buffer), 'get returns the 64 MiB value (memtable)')
  await db.close()

  // Recovery replays the 64 MiB WAL record (2049 fragments) and writes it to a table.
  await db.open()
  t.ok(big.equals(await db.get('big') as Buffer), 'equal after reopen (replayed from the WAL)')
  // Overwrite it with another big value, then push the memtable out with small writes.
  const big2 = Buffer.alloc(64 * 1024 * 1024, 0x5a)
  big2.write('a different value', 1000)
  await db.put('big', big2)
  await db.put('after', Buffer.from('small'))
  await db.put('after2', Buffer.from('small'))
  t.ok(big2.equals(await db.get('big') as Buffer), 'the overwrite is visible')
  await db.close()
  const names = fs.readdirSync(location)
  const tableBytes = names.filter((n) => n.endsWith('.ldb')).reduce((sum, n) => sum + fs.statSync(path.join(location, n)).size, 0)
  t.ok(tableBytes > 64 * 1024 * 1024, `the random value lives in a table (${tableBytes} bytes of tables)`)

  await db.open()
  t.ok(big2.equals(await db.get('big') as Buffer), 'equal after the second reopen')
  t.deepEqual((await db.getMany(['before', 'after'])).map(String), ['small', 'small'], 'neighbours intact')
  let count = 0
  for await (const [key, value] of db.iterator()) {
    count++
    if (key === 'big') t.equal(value.length, big2.length, 'the iterator returns the whole value')
  }
  t.equal(count, 4, 'four entries')
  await db.close()
})

test('bad constructor and open options', async (t) => {
  for (const location of ['', 1, null, undefined, {}, ['x']]) {
    let lsmMessage = ''
    let classicMessage = ''
    try { new LsmLevel(location as any) } catch (err) { lsmMessage = `${(err as Error).constructor.name}: ${(err as Error).message}` }
    try { new ClassicLevel(location) } catch (err) { classicMessage = `${(err as Error).constructor.name}: ${(err as Error).message}` }
    t.equal(lsmMessage, "TypeError: The first argument 'location' must be a non-empty string", `location ${JSON.stringify(location)}: TypeError`)
    t.equal(lsmMessage, classicMessage, `location ${JSON.stringify(location)}: as classic-level`)
  }

  const bad: Array<Record<string, unknown>> = [
    { writeBufferSize: 'big' }, { writeBufferSize: -1 }, { cacheSize: -5 }, { blockSize: NaN },
    { maxOpenFiles: '100' }, { maxFileSize: {} }, { blockRestartInterval: -16 }, { compression: 'no' }
  ]
  for (const options of bad) {
    const location = tempLocation('bad-options')
    const label = JSON.stringify(options, (_k, v) => Number.isNaN(v) ? 'NaN' : v)
    let err: any
    try {
      const db = new LsmLevel(location, options as any)
      await db.open()
      await db.close()
    } catch (e) {
      err = e
    }
    const typeError = err instanceof TypeError ? err : err?.cause instanceof TypeError ? err.cause : undefined
    t.ok(typeError !== undefined, `${label}: TypeError (${err?.code ?? ''} ${typeError?.message ?? err?.message})`)
    t.match(typeError?.message ?? '', new RegExp(Object.keys(options)[0]), `${label}: the message names the option`)
    t.notOk(fs.existsSync(location), `${label}: no directory was created`)
    // The same location then opens fine with good options.
    const db = new LsmLevel(location, { writeBufferSize: 64 * 1024 })
    await db.open()
    await db.put('k', 'v')
    await db.close()
  }

  // Out-of-range numbers are clamped as LevelDB does, not rejected.
  const clamped = new LsmLevel<string, string>(tempLocation('clamped'), { writeBufferSize: 1, blockSize: 10 ** 12, maxOpenFiles: Infinity, cacheSize: 0 })
  await clamped.open()
  for (let i = 0; i < 2000; i++) await clamped.put(`k${i}`, 'x'.repeat(100))
  t.equal(await clamped.get('k1999'), 'x'.repeat(100), 'out-of-range numbers are clamped and the database works')
  await clamped.close()
})

test('createIfMissing: false and errorIfExists: true', async (t) => {
  const missing = tempLocation('missing')
  const db = new LsmLevel(missing, { createIfMissing: false })
  const err = await db.open().then(() => undefined, (e) => e)
  t.equal(err?.code, 'LEVEL_DATABASE_NOT_OPEN', 'missing: LEVEL_DATABASE_NOT_OPEN')
  t.match(err?.cause?.message ?? '', /does not exist/, `missing: cause says so (${err?.cause?.message})`)
  t.notOk(fs.existsSync(path.join(missing, 'CURRENT')), 'missing: nothing was created')

  const classicMissing = tempLocation('classic-missing')
  const classicErr = await new ClassicLevel(classicMissing, { createIfMissing: false }).open().then(() => undefined, (e: any) => e)
  t.equal(err?.cause?.message.replace(missing, '<loc>'), classicErr?.cause?.message.replace(classicMissing, '<loc>'), 'missing: same message as classic-level')

  // An existing but empty directory is "missing" too.
  fs.mkdirSync(missing)
  const empty = await new LsmLevel(missing, { createIfMissing: false }).open().then(() => undefined, (e) => e)
  t.match(empty?.cause?.message ?? '', /does not exist/, 'empty directory: does not exist')

  const existing = tempLocation('existing')
  const first = new LsmLevel<string, string>(existing)
  await first.open()
  await first.put('keep', 'me')
  await first.close()
  for (const how of ['constructor', 'open'] as const) {
    const again = new LsmLevel<string, string>(existing, how === 'constructor' ? { errorIfExists: true } : {})
    const e = await again.open(how === 'open' ? { errorIfExists: true } : {}).then(() => undefined, (x) => x)
    t.equal(e?.code, 'LEVEL_DATABASE_NOT_OPEN', `errorIfExists via ${how}: LEVEL_DATABASE_NOT_OPEN`)
    t.match(e?.cause?.message ?? '', /exists/, `errorIfExists via ${how}: cause says so (${e?.cause?.message})`)
  }
  // The failed opens released the lock and changed nothing.
  await first.open()
  t.equal(await first.get('keep'), 'me', 'the existing database opens afterwards with its data')
  await first.close()
  const reuse = new LsmLevel<string, string>(existing, { createIfMissing: false })
  await reuse.open()
  t.equal(await reuse.get('keep'), 'me', 'and opens with createIfMissing: false')
  await reuse.close()

  // A location that is a file.
  const file = tempLocation('file')
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, 'not a directory')
  const fileErr = await new LsmLevel(file).open().then(() => undefined, (e) => e)
  t.equal(fileErr?.code, 'LEVEL_DATABASE_NOT_OPEN', `a file as location: LEVEL_DATABASE_NOT_OPEN (${fileErr?.cause?.message})`)
  t.equal(fs.readFileSync(file, 'utf8'), 'not a directory', 'the file is untouched')
})

test('huge keys (1 MiB) and a 20k-op batch survive flush and reopen', async (t) => {
  const location = tempLocation('huge-keys')
  const db = new LsmLevel<Buffer, string>(location, { keyEncoding: 'buffer', writeBufferSize: 64 * 1024 })
  await db.open()
  const hugeKeys = [Buffer.alloc(1024 * 1024, 0x61), Buffer.alloc(1024 * 1024, 0x61), Buffer.alloc(100 * 1024, 0xff), Buffer.alloc(70000, 0)]
  hugeKeys[1][hugeKeys[1].length - 1] = 0x62 // differs from the first only in its last byte
  for (let i = 0; i < hugeKeys.length; i++) await db.put(hugeKeys[i], `huge ${i}`)
  const ops = Array.from({ length: 20000 }, (_v, i) => ({ type: 'put' as const, key: Buffer.from(`batch-${String(i).padStart(5, '0')}`), value: `b${i}` }))
  await db.batch(ops)
  const check = async (label: string): Promise<void> => {
    t.deepEqual(await db.getMany(hugeKeys), hugeKeys.map((_k, i) => `huge ${i}`), `${label}: huge keys read back`)
    const keys = await db.keys().all()
    t.equal(keys.length, 20000 + hugeKeys.length, `${label}: entry count`)
    t.ok(keys[0].equals(hugeKeys[3]) && keys[keys.length - 1].equals(hugeKeys[2]), `${label}: huge keys sort bytewise`)
    t.equal(await db.get(Buffer.from('batch-12345')), 'b12345', `${label}: batch entry`)
  }
  await check('open')
  await db.close()
  await db.open()
  await check('after reopen')
  await db.close()
})
