// The read commands through the real bin script: get, scan (every bound, reverse, limit,
// keys only, each encoding), dump and stats, on databases written by lsm-level and by
// classic-level, with the output parsed and compared with what was written.

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'
import { cli, hashTree, jsonLines } from './support/cli'
import { type Fixture, classicFixture, keyOf, lsmFixture, valueOf } from './support/fixtures'

let lsm: Fixture
let classic: Fixture

test('setup: a database written by lsm-level and one by classic-level', async (t) => {
  lsm = await lsmFixture()
  classic = await classicFixture()
  t.ok(fs.readdirSync(lsm.location).some((n) => n.endsWith('.ldb')), 'lsm-level wrote tables')
  t.ok(fs.readdirSync(classic.location).some((n) => n.endsWith('.ldb')), 'classic-level wrote tables')
})

for (const which of ['lsm-level', 'classic-level'] as const) {
  const fixture = (): Fixture => which === 'lsm-level' ? lsm : classic

  test(`get (${which}): a key in a table, a key only in the WAL, a deleted key, a missing key`, async (t) => {
    const { location } = fixture()
    const inTable = await cli(['get', location, keyOf(1)])
    t.is(inTable.code, 0, 'exit 0')
    t.is(inTable.stdout, valueOf(1) + '\n', 'the value alone')
    const inWal = await cli(['get', location, 'zz-in-wal'])
    t.is(inWal.stdout, 'from the log\n', 'a write that is only in the WAL is seen')
    const deleted = await cli(['get', location, keyOf(7)])
    t.is(deleted.code, 1, 'a deleted key exits 1')
    t.is(deleted.stdout, '', 'and prints nothing')
    const missing = await cli(['get', location, 'nope', '--json'])
    t.is(missing.code, 1, 'a missing key exits 1')
    t.same(jsonLines(missing.stdout), [{ key: 'nope', found: false }], '--json says found: false')
    const json = await cli(['get', location, keyOf(2), '--json'])
    t.same(jsonLines(json.stdout), [{ key: keyOf(2), value: valueOf(2) }], '--json: key and value')
  })

  test(`scan (${which}): the whole database in order, as plain lines and as JSON lines`, async (t) => {
    const { location, model } = fixture()
    const plain = await cli(['scan', location])
    t.is(plain.code, 0, 'exit 0')
    const expected = [...model.entries()].map(([k, v]) => `${k}\t${v}`)
    t.same(plain.stdout.split('\n').slice(0, -1), expected, `${expected.length} lines <key><TAB><value>, deletions left out`)
    const json = await cli(['scan', location, '--json'])
    t.same(jsonLines(json.stdout), [...model.entries()].map(([key, value]) => ({ key, value })), 'JSON lines')
  })

  test(`scan (${which}): gt, gte, lt, lte, reverse, limit, keys-only`, async (t) => {
    const { location, model } = fixture()
    const keys = [...model.keys()]
    const run = async (...args: string[]): Promise<string[]> => jsonLines((await cli(['scan', location, '--json', '--keys-only', ...args])).stdout).map((e) => e.key)
    t.same(await run('--gte', keyOf(500), '--lt', keyOf(505)), keys.filter((k) => k >= keyOf(500) && k < keyOf(505)), 'gte / lt')
    t.same(await run('--gt', keyOf(500), '--lte', keyOf(505)), keys.filter((k) => k > keyOf(500) && k <= keyOf(505)), 'gt / lte')
    t.same(await run('--gte', keyOf(500), '--lt', keyOf(505), '--reverse'), keys.filter((k) => k >= keyOf(500) && k < keyOf(505)).reverse(), 'reverse within bounds')
    t.same(await run('--reverse', '--limit', '3'), keys.slice(-3).reverse(), 'reverse with limit: the last three keys')
    t.same(await run('--limit', '0'), [], 'limit 0: nothing')
    t.same(await run('--gte', keyOf(5), '--lt', keyOf(15)), keys.filter((k) => k >= keyOf(5) && k < keyOf(15)), 'a range with deleted keys (7, 14) skips them')
    const keysOnly = await cli(['scan', location, '--keys-only', '--limit', '2'])
    t.is(keysOnly.stdout, `${keys[0]}\n${keys[1]}\n`, 'plain keys-only: keys alone')
  })

  test(`dump (${which}): every entry; the same as scan`, async (t) => {
    const { location, model } = fixture()
    const dump = await cli(['dump', location, '--json'])
    t.is(dump.code, 0, 'exit 0')
    t.same(jsonLines(dump.stdout), [...model.entries()].map(([key, value]) => ({ key, value })), 'every live entry')
    t.is(dump.stderr, '', 'nothing on stderr (not a terminal: no progress)')
  })

  test(`stats (${which}) --json: levels, files, sizes, estimates, WALs`, async (t) => {
    const { location, model } = fixture()
    const result = await cli(['stats', location, '--json'])
    t.is(result.code, 0, 'exit 0')
    const stats = JSON.parse(result.stdout)
    const tables = fs.readdirSync(location).filter((n) => n.endsWith('.ldb'))
    const tableBytes = tables.reduce((sum, n) => sum + fs.statSync(path.join(location, n)).size, 0)
    t.is(stats.tables.files, tables.length, 'file count matches the directory')
    t.is(stats.tables.bytes, tableBytes, 'table bytes match the directory')
    t.is(stats.levels.length, 7, 'seven levels')
    t.is(stats.levels.reduce((sum: number, l: { files: number }) => sum + l.files, 0), tables.length, 'levels add up')
    t.ok(stats.wals.length >= 1 && stats.wals.some((w: { live: boolean, ops: number }) => w.live && w.ops >= 1), 'the live WAL with its op')
    // Tables hold every version (3000 puts; deletions of 15 keys may sit beside their puts).
    t.ok(stats.estimatedKeys >= model.size && stats.estimatedKeys <= 3000 + 15 + 1 + 50, `estimated keys ${stats.estimatedKeys} near the ${model.size} live (+ versions)`)
    t.ok(stats.lastSequence >= 3000 + 15 + 1, `last sequence ${stats.lastSequence} counts the WAL`)
    t.ok(stats.compression.sampledBlocks > 0 && (stats.compression.types.snappy ?? 0) > 0, 'snappy blocks sampled')
    t.ok(stats.spaceAmplification >= 1, `space amplification ${stats.spaceAmplification} >= 1`)
    t.ok(stats.diskBytes >= tableBytes, 'disk bytes include the tables')
    const human = await cli(['stats', location])
    t.ok(/last sequence: \d+/.test(human.stdout) && /estimated keys: \d+/.test(human.stdout), 'human output names the figures')
  })
}

test('encodings: hex, base64 and json keys and values, both ways', async (t) => {
  const location = tempLocation('cli-encodings')
  const db = new LsmLevel<Buffer, Buffer>(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  await db.put(Buffer.from([0x00, 0xff, 0x10]), Buffer.from([0xde, 0xad, 0xbe, 0xef]))
  await db.put(Buffer.from('{"a":1}'), Buffer.from('[1,2,{"b":null}]'))
  await db.close()

  const hex = await cli(['get', location, '00ff10', '--key-encoding', 'hex', '--value-encoding', 'hex'])
  t.is(hex.stdout, 'deadbeef\n', 'hex key in, hex value out')
  const base64 = await cli(['get', location, Buffer.from([0x00, 0xff, 0x10]).toString('base64'), '--key-encoding', 'base64', '--value-encoding', 'base64'])
  t.is(base64.stdout, Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64') + '\n', 'base64 both ways')
  const json = await cli(['get', location, '{ "a": 1 }', '--key-encoding', 'json', '--value-encoding', 'json', '--json'])
  t.same(jsonLines(json.stdout), [{ key: { a: 1 }, value: [1, 2, { b: null }] }], 'json: the argument is parsed and re-serialised; --json output embeds the values')
  const scan = await cli(['scan', location, '--json', '--key-encoding', 'hex', '--value-encoding', 'hex'])
  t.same(jsonLines(scan.stdout), [
    { key: '00ff10', value: 'deadbeef' },
    { key: Buffer.from('{"a":1}').toString('hex'), value: Buffer.from('[1,2,{"b":null}]').toString('hex') }
  ], 'scan in hex: binary keys sort first')
  const notJson = await cli(['scan', location, '--value-encoding', 'json'])
  t.is(notJson.code, 2, 'a stored value that is not JSON, with --value-encoding json: exit 2')
  t.ok(/not JSON/.test(notJson.stderr), `says so: ${notJson.stderr.trim()}`)
  const badHex = await cli(['get', location, 'xyz', '--key-encoding', 'hex'])
  t.is(badHex.code, 2, 'a key argument that is not hex: exit 2')
  t.ok(/not hex/.test(badHex.stderr) && /--help/.test(badHex.stderr), 'says so and points at --help')
  const badEncoding = await cli(['scan', location, '--key-encoding', 'ebcdic'])
  t.is(badEncoding.code, 2, 'an unknown encoding: exit 2')
})

test('read commands leave the directory byte for byte as it was', async (t) => {
  const { location } = lsm
  const before = hashTree(location)
  for (const args of [['stats', location], ['get', location, keyOf(3)], ['scan', location, '--limit', '10'], ['dump', location], ['verify', location], ['manifest', location]]) {
    const result = await cli(args)
    t.ok(result.code === 0, `${args[0]}: exit ${result.code}`)
  }
  t.same(hashTree(location), before, 'every file has the same bytes, and no file was added or removed')
})

test('usage and open errors exit 2 with a message; --help exits 0', async (t) => {
  const missing = await cli(['scan', tempLocation('cli-missing')])
  t.is(missing.code, 2, 'a directory that does not exist: exit 2')
  t.ok(/no such directory/.test(missing.stderr), `says so: ${missing.stderr.trim()}`)
  const notDb = tempLocation('cli-not-db')
  fs.mkdirSync(notDb)
  const empty = await cli(['get', notDb, 'k'])
  t.is(empty.code, 2, 'a directory without CURRENT: exit 2')
  t.ok(/not a database/.test(empty.stderr), 'says it is not a database')
  t.same(fs.readdirSync(notDb), [], 'and created nothing in it')
  const unknown = await cli(['frobnicate', lsm.location])
  t.is(unknown.code, 2, 'an unknown command: exit 2')
  t.ok(/unknown command/.test(unknown.stderr), 'names it')
  const badOption = await cli(['scan', lsm.location, '--greater-than', 'a'])
  t.is(badOption.code, 2, 'an unknown option: exit 2, never ignored')
  t.ok(/unknown option --greater-than/.test(badOption.stderr), 'names the option')
  const missingArg = await cli(['get', lsm.location])
  t.is(missingArg.code, 2, 'a missing positional: exit 2')
  t.ok(/missing <key>/.test(missingArg.stderr), 'names what is missing')
  const extra = await cli(['stats', lsm.location, 'extra'])
  t.is(extra.code, 2, 'an extra positional: exit 2')
  const badLimit = await cli(['scan', lsm.location, '--limit', 'ten'])
  t.is(badLimit.code, 2, '--limit that is not an integer: exit 2')
  const noArgs = await cli([])
  t.is(noArgs.code, 2, 'no command: exit 2, with the command list on stderr')
  t.ok(/Commands:/.test(noArgs.stderr), 'lists the commands')
  const help = await cli(['--help'])
  t.is(help.code, 0, '--help: exit 0')
  for (const name of ['stats', 'get', 'scan', 'dump', 'put', 'del', 'verify', 'compact', 'repair', 'checkpoint', 'sst', 'manifest']) {
    t.ok(new RegExp(`^  ${name} `, 'm').test(help.stdout), `--help lists ${name}`)
    const own = await cli([name, '--help'])
    t.ok(own.code === 0 && own.stdout.startsWith(`Usage: lsm-level ${name} `) && /--help/.test(own.stdout), `${name} --help: usage, exit 0`)
  }
  const dashKey = await cli(['get', lsm.location, '--', '--not-an-option'])
  t.is(dashKey.code, 1, 'after --, an argument starting with -- is a key (not found: exit 1)')
})
