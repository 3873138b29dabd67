// verify on sound and damaged directories: exit 0 on sound ones (lsm-level's, classic-level's,
// a torn WAL tail); exit 1 naming the file and the offset for a flipped byte in a data block or
// an index block, a bad WAL record in the middle, a bad MANIFEST record, a missing table, keys
// out of order, keys outside the MANIFEST's bounds, overlapping files in a level. Extra tables
// are warnings. verify never writes.

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'
import { cli, hashTree } from './support/cli'
import { classicFixture, copyDb, filesOf, keyOf, lsmFixture, valueOf } from './support/fixtures'
import { handMadeDb } from './support/hand-made'

interface Finding { file: string, offset?: number, message: string }
interface Report { ok: boolean, damage: Finding[], warnings: Finding[], tables: Array<{ file: string, entries: number, ok: boolean }>, logs: Array<{ file: string, records: number }> }

async function verify (location: string): Promise<{ code: number | null, report: Report, text: string }> {
  const json = await cli(['verify', location, '--json'])
  const text = await cli(['verify', location])
  if (json.code !== text.code) throw new Error('--json and text disagree on the exit code')
  return { code: json.code, report: JSON.parse(json.stdout), text: text.stdout }
}

function flipByte (file: string, offset: number): void {
  const data = fs.readFileSync(file)
  data[offset] ^= 0x5a
  fs.writeFileSync(file, data)
}

let sound: string

test('a sound lsm-level database: exit 0, every entry counted, nothing written', async (t) => {
  sound = (await lsmFixture(3000, 'cli-verify')).location
  const before = hashTree(sound)
  const { code, report, text } = await verify(sound)
  t.is(code, 0, 'exit 0')
  t.ok(report.ok, 'ok: true')
  t.same(report.damage, [], 'no damage')
  t.ok(report.tables.length > 1 && report.tables.every((table) => table.ok && table.entries > 0), `${report.tables.length} tables checked`)
  t.ok(report.logs.some((log) => log.records >= 1), 'the WAL records checked')
  t.ok(/ok: no damage/.test(text), 'the text report says ok')
  t.same(hashTree(sound), before, 'the directory is unchanged')
})

test('a sound classic-level database: exit 0', async (t) => {
  const { location } = await classicFixture(2000, 'cli-verify-classic')
  const { code, report } = await verify(location)
  t.is(code, 0, 'exit 0')
  t.same(report.damage, [], 'no damage')
})

test('a byte flipped inside a data block: exit 1, the table and the block\'s offset named', async (t) => {
  const copy = copyDb(sound)
  const table = filesOf(copy, /\.ldb$/)[0]
  const sst = JSON.parse((await cli(['sst', table, '--json'])).stdout)
  const block = sst.index[1]
  flipByte(table, block.offset + 10)
  const { code, report, text } = await verify(copy)
  t.is(code, 1, 'exit 1')
  t.is(report.damage.length, 1, 'one finding')
  t.is(report.damage[0].file, table, 'names the table')
  t.is(report.damage[0].offset, block.offset, `at the offset of the damaged block (${block.offset})`)
  t.ok(/checksum mismatch/.test(report.damage[0].message), report.damage[0].message)
  t.ok(text.includes(`${table} at offset ${block.offset}:`), 'the text report names file and offset')
  const other = report.tables.filter((tb) => tb.file !== table)
  t.ok(other.every((tb) => tb.ok), 'the other tables are fine')
  const sstDamaged = await cli(['sst', table])
  t.is(sstDamaged.code, 1, 'sst on the damaged table: exit 1 too')
  t.ok(sstDamaged.stdout.includes(`at offset ${block.offset}`), 'and names the offset')
})

test('a byte flipped in the index block: exit 1 at the index block\'s offset', async (t) => {
  const copy = copyDb(sound)
  const table = filesOf(copy, /\.ldb$/)[1]
  const sst = JSON.parse((await cli(['sst', table, '--json'])).stdout)
  flipByte(table, sst.indexBlock.offset + 2)
  const { code, report } = await verify(copy)
  t.is(code, 1, 'exit 1')
  t.is(report.damage[0]?.file, table, 'names the table')
  t.is(report.damage[0]?.offset, sst.indexBlock.offset, 'at the index block')
  t.ok(/index block/.test(report.damage[0]?.message ?? ''), report.damage[0]?.message)
})

/** A database whose writes are all in one WAL: 200 records of one put each. */
async function walDb (): Promise<{ location: string, log: string, starts: number[] }> {
  const location = tempLocation('cli-verify-wal')
  const db = new LsmLevel<string, string>(location, { writeBufferSize: 16 * 1024 * 1024 })
  await db.open()
  for (let i = 0; i < 200; i++) await db.put(keyOf(i), valueOf(i))
  // Copy the WAL while open: close would write it into a table.
  const log = filesOf(location, /\.log$/).find((f) => fs.statSync(f).size > 0) as string
  const copy = tempLocation('cli-verify-wal-copy')
  fs.cpSync(location, copy, { recursive: true, filter: (src) => !path.basename(src).startsWith('LOCK.owner.') })
  await db.close()
  const copied = path.join(copy, path.basename(log))
  const data = fs.readFileSync(copied)
  const starts: number[] = []
  for (let at = 0; at + 7 <= data.length;) {
    if (32768 - (at % 32768) < 7) { at += 32768 - (at % 32768); continue }
    starts.push(at)
    at += 7 + (data[at + 4] | (data[at + 5] << 8))
  }
  return { location: copy, log: copied, starts }
}

test('a WAL whose last record is torn (a crash mid-append): not damage', async (t) => {
  const { location, log } = await walDb()
  fs.truncateSync(log, fs.statSync(log).size - 5)
  const { code, report } = await verify(location)
  t.is(code, 0, 'exit 0')
  t.same(report.damage, [], 'no damage')
  t.is(report.logs[0].records, 199, 'the records before the torn one are counted')
})

test('a WAL record damaged in the middle: exit 1 naming the log and the record\'s offset', async (t) => {
  const { location, log, starts } = await walDb()
  flipByte(log, starts[50] + 12)
  const { code, report } = await verify(location)
  t.is(code, 1, 'exit 1')
  t.is(report.damage[0]?.file, log, 'names the log')
  t.is(report.damage[0]?.offset, starts[50], `at the record's offset (${starts[50]})`)
  t.ok(/checksum/.test(report.damage[0]?.message ?? ''), report.damage[0]?.message)
  const scan = await cli(['scan', location, '--keys-only'])
  t.is(scan.stdout.split('\n').length - 1, 50, 'scan reads the 50 records before the damage, as open would')
})

test('a MANIFEST record damaged: exit 1 naming the MANIFEST', async (t) => {
  const copy = copyDb(sound)
  const manifest = filesOf(copy, /^MANIFEST-/)[0]
  flipByte(manifest, 20)
  const { code, report } = await verify(copy)
  t.is(code, 1, 'exit 1')
  t.is(report.damage[0]?.file, manifest, 'names the MANIFEST')
  t.is(report.damage[0]?.offset, 0, 'at the offset of its record')
  const dump = await cli(['manifest', copy])
  t.is(dump.code, 1, 'manifest on it: exit 1')
})

test('CURRENT naming a MANIFEST that is not there: exit 1', async (t) => {
  const copy = copyDb(sound)
  fs.writeFileSync(path.join(copy, 'CURRENT'), 'MANIFEST-999999\n')
  const { code, report } = await verify(copy)
  t.is(code, 1, 'exit 1')
  t.ok(/MANIFEST-999999/.test(report.damage[0]?.file ?? '') && /missing/.test(report.damage[0]?.message ?? ''), 'the MANIFEST is named as missing')
})

test('a table the MANIFEST names is missing: exit 1; an extra table is only a warning', async (t) => {
  const copy = copyDb(sound)
  const tables = filesOf(copy, /\.ldb$/)
  fs.rmSync(tables[0])
  const missing = await verify(copy)
  t.is(missing.code, 1, 'missing table: exit 1')
  t.is(missing.report.damage[0]?.file, tables[0], 'names it')
  t.ok(/missing/.test(missing.report.damage[0]?.message ?? ''), missing.report.damage[0]?.message)

  const extra = copyDb(sound)
  fs.copyFileSync(filesOf(extra, /\.ldb$/)[0], path.join(extra, '000999.ldb'))
  const { code, report } = await verify(extra)
  t.is(code, 0, 'an extra table: exit 0')
  t.is(report.warnings.length, 1, 'one warning')
  t.is(report.warnings[0].file, path.join(extra, '000999.ldb'), 'naming the extra table')
})

test('a table whose file size differs from the MANIFEST\'s: exit 1', async (t) => {
  const copy = copyDb(sound)
  const table = filesOf(copy, /\.ldb$/)[0]
  fs.appendFileSync(table, Buffer.alloc(10))
  const { code, report } = await verify(copy)
  t.is(code, 1, 'exit 1')
  t.ok(/MANIFEST says/.test(report.damage[0]?.message ?? ''), report.damage[0]?.message)
})

test('keys out of order inside a table: exit 1 naming the block', async (t) => {
  const location = handMadeDb([{ level: 1, number: 5, entries: [['a', 3], ['c', 2], ['b', 1]], smallest: ['a', 3], largest: ['c', 2] }])
  const { code, report } = await verify(location)
  t.is(code, 1, 'exit 1')
  t.is(report.damage[0]?.file, path.join(location, '000005.ldb'), 'names the table')
  t.is(report.damage[0]?.offset, 0, 'at its data block')
  t.ok(/out of order/.test(report.damage[0]?.message ?? ''), report.damage[0]?.message)
})

test('keys outside the MANIFEST\'s bounds for the table: exit 1', async (t) => {
  const location = handMadeDb([{ level: 1, number: 5, entries: [['a', 3], ['b', 2], ['c', 1]], smallest: ['a', 3], largest: ['b', 2] }])
  const { code, report } = await verify(location)
  t.is(code, 1, 'exit 1')
  t.ok(/past the largest key the MANIFEST gives/.test(report.damage[0]?.message ?? ''), report.damage[0]?.message)
})

test('overlapping files in level 1: exit 1 naming the MANIFEST', async (t) => {
  const location = handMadeDb([
    { level: 1, number: 5, entries: [['a', 3], ['m', 2]] },
    { level: 1, number: 6, entries: [['k', 5], ['z', 4]] }
  ])
  const { code, report } = await verify(location)
  t.is(code, 1, 'exit 1')
  t.ok(report.damage.some((f) => f.file.endsWith('MANIFEST-000002') && /overlap/.test(f.message)), report.damage.map((f) => f.message).join('; '))
  const sorted = handMadeDb([
    { level: 1, number: 5, entries: [['a', 3], ['j', 2]] },
    { level: 1, number: 6, entries: [['k', 5], ['z', 4]] }
  ])
  t.is((await verify(sorted)).code, 0, 'the same tables without the overlap: exit 0')
  const l0 = handMadeDb([
    { level: 0, number: 5, entries: [['a', 3], ['m', 2]] },
    { level: 0, number: 6, entries: [['k', 5], ['z', 4]] }
  ])
  t.is((await verify(l0)).code, 0, 'overlapping files in level 0 are fine')
})

test('damaged copies are not modified by verify', async (t) => {
  const copy = copyDb(sound)
  flipByte(filesOf(copy, /\.ldb$/)[0], 100)
  const before = hashTree(copy)
  await verify(copy)
  t.same(hashTree(copy), before, 'unchanged')
})
