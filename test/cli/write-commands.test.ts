// put, del, compact, repair and checkpoint through the bin script: each changes the database
// as its library call does, and the result reads back in lsm-level and classic-level.

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'
import { cli, jsonLines } from './support/cli'
import { classicFixture, copyDb, filesOf, keyOf, lsmFixture, valueOf } from './support/fixtures'

async function readAll (location: string): Promise<Array<[string, string]>> {
  const db = new LsmLevel<string, string>(location)
  await db.open()
  try {
    return await db.iterator().all()
  } finally {
    await db.close()
  }
}

test('put and del: synced writes that read back, in each encoding', async (t) => {
  const { location } = await lsmFixture(500, 'cli-put')
  const put = await cli(['put', location, 'new-key', 'new value'])
  t.is(put.code, 0, 'put: exit 0')
  t.is(put.stdout + put.stderr, '', 'put: silent')
  t.is((await cli(['get', location, 'new-key'])).stdout, 'new value\n', 'get sees it')
  t.is((await cli(['put', location, 'c0ffee', '00ff', '--key-encoding', 'hex', '--value-encoding', 'hex'])).code, 0, 'put in hex')
  t.is((await cli(['get', location, 'c0ffee', '--key-encoding', 'hex', '--value-encoding', 'base64'])).stdout, Buffer.from([0, 0xff]).toString('base64') + '\n', 'bytes stored as given')
  t.is((await cli(['put', location, '"j"', '{"x": [1, 2]}', '--key-encoding', 'json', '--value-encoding', 'json'])).code, 0, 'put in json')
  t.is((await cli(['get', location, 'j', '--key-encoding', 'json'])).code, 2, 'a json key argument that is not JSON: exit 2')
  t.is((await cli(['get', location, '"j"'])).stdout, '{"x":[1,2]}\n', 'json values are stored re-serialised')
  const del = await cli(['del', location, keyOf(10)])
  t.is(del.code, 0, 'del: exit 0')
  t.is((await cli(['get', location, keyOf(10)])).code, 1, 'the key is gone')
  const entries = await readAll(location)
  t.ok(entries.some(([k, v]) => k === 'new-key' && v === 'new value') && !entries.some(([k]) => k === keyOf(10)), 'the library reads the same')
  t.is((await cli(['put', location, 'k'])).code, 2, 'put without a value: exit 2')
  t.is((await cli(['put', tempLocation('cli-put-missing'), 'k', 'v'])).code, 2, 'put into a directory that does not exist: exit 2, nothing created')
})

test('compact: a range, then everything; the data is unchanged and older versions go', async (t) => {
  const { location, model } = await lsmFixture(3000, 'cli-compact')
  const stats = async (): Promise<any> => JSON.parse((await cli(['stats', location, '--json'])).stdout)
  const before = await stats()
  const ranged = await cli(['compact', location, '--start', keyOf(0), '--end', keyOf(1000)])
  t.is(ranged.code, 0, 'compact --start --end: exit 0')
  t.is(ranged.stderr, '', 'no progress when stderr is not a terminal')
  const all = await cli(['compact', location])
  t.is(all.code, 0, 'compact with no bounds: exit 0')
  const after = await stats()
  const levelsWithFiles = after.levels.filter((l: { files: number }) => l.files > 0)
  t.is(levelsWithFiles.length, 1, `everything is in one level after a full compaction (before: ${before.levels.map((l: { files: number }) => l.files).join(' ')})`)
  // The estimate is exact but for filters of fewer than 7 keys (a table's last block), which count 6.
  const slack = 6 * after.tables.files
  t.ok(after.estimatedKeys >= model.size && after.estimatedKeys <= model.size + slack, `the deletions and their puts are dropped: ${after.estimatedKeys} entries for ${model.size} live keys`)
  t.is(after.wals.filter((w: { ops: number }) => w.ops > 0).length, 0, 'the WAL was flushed into the compaction')
  t.same(await readAll(location), [...model.entries()], 'the same live data')
  t.is((await cli(['verify', location])).code, 0, 'verify passes afterwards')
  t.is((await cli(['compact', location, '--start', 'zz', '--key-encoding', 'hex'])).code, 2, 'a bound in the wrong encoding: exit 2')
})

test('repair: rebuilds a lost MANIFEST; the data reads back', async (t) => {
  const { location, model } = await lsmFixture(2000, 'cli-repair')
  for (const file of filesOf(location, /^(MANIFEST-\d+|CURRENT)$/)) fs.rmSync(file)
  t.is((await cli(['scan', location])).code, 2, 'without CURRENT the database does not open: exit 2')
  const repair = await cli(['repair', location])
  t.is(repair.code, 0, `repair: exit 0 ${repair.stderr}`)
  t.same(await readAll(location), [...model.entries()], 'every live entry is back')
  t.is((await cli(['verify', location])).code, 0, 'verify passes')
  t.is((await cli(['repair', tempLocation('cli-repair-missing')])).code, 2, 'repair of a directory that does not exist: exit 2 (not created)')
})

test('repair works on a classic-level directory', async (t) => {
  const { location, model } = await classicFixture(1000, 'cli-repair-classic')
  const repair = await cli(['repair', location])
  t.is(repair.code, 0, 'exit 0')
  t.same(await readAll(location), [...model.entries()], 'data intact')
})

const hasCheckpoint = typeof (LsmLevel.prototype as unknown as { checkpoint?: unknown }).checkpoint === 'function'

test('checkpoint: a copy that opens in lsm-level and classic-level', { skip: !hasCheckpoint }, async (t) => {
  const { location, model } = await lsmFixture(2000, 'cli-checkpoint')
  const target = tempLocation('cli-checkpoint-target')
  const result = await cli(['checkpoint', location, target, '--json'])
  t.is(result.code, 0, `exit 0 ${result.stderr}`)
  const [info] = jsonLines(result.stdout)
  t.is(info.target, target, '--json names the target')
  t.same(await readAll(target), [...model.entries()], 'the copy holds the data, WAL included')
  const { ClassicLevel } = require('classic-level')
  const classic = new ClassicLevel(target)
  await classic.open()
  t.same(await classic.iterator().all(), [...model.entries()], 'classic-level opens the copy')
  await classic.close()
  t.is((await cli(['checkpoint', location, target])).code, 2, 'a target that exists and is not empty: exit 2')
})

test('checkpoint on an engine without db.checkpoint(): a clear error, exit 2, nothing opened', { skip: hasCheckpoint }, async (t) => {
  const { location } = await lsmFixture(200, 'cli-checkpoint-missing')
  const before = fs.readdirSync(location).sort()
  const target = tempLocation('cli-checkpoint-missing-target')
  const result = await cli(['checkpoint', location, target])
  t.is(result.code, 2, 'exit 2')
  t.ok(/no db\.checkpoint\(\) method/.test(result.stderr), `says why: ${result.stderr.trim()}`)
  t.same(fs.readdirSync(location).sort(), before, 'the database was not opened (no new MANIFEST or WAL)')
  t.notOk(fs.existsSync(target), 'no target made')
})

test('write commands work on a copy of a classic-level database, which classic-level then opens', async (t) => {
  const { location, model } = await classicFixture(1000, 'cli-write-classic')
  const copy = copyDb(location)
  t.is((await cli(['put', copy, 'from-cli', 'yes'])).code, 0, 'put')
  t.is((await cli(['del', copy, keyOf(1)])).code, 0, 'del')
  t.is((await cli(['compact', copy])).code, 0, 'compact')
  const { ClassicLevel } = require('classic-level')
  const classic = new ClassicLevel(copy)
  await classic.open()
  const expected = new Map(model)
  expected.set('from-cli', 'yes')
  expected.delete(keyOf(1))
  t.same(await classic.iterator().all(), [...expected.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)), 'classic-level reads what the CLI wrote')
  await classic.close()
  t.ok(fs.existsSync(path.join(location, 'CURRENT')) && valueOf(1).length > 0, 'the original is untouched')
})
