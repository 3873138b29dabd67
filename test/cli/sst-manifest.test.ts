// sst and manifest decode what the engines wrote: their JSON is checked against the library's
// own view (the MANIFEST through VersionSet, tables through their entries), on tables written by
// lsm-level and by classic-level, compressed and not.

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { LsmLevel } from '../../index'
import { nodeEnv } from '../../lib/env/node-env'
import { VersionSet } from '../../lib/version/version-set'
import { tempLocation } from '../support/temp'
import { cli } from './support/cli'
import { classicFixture, filesOf, keyOf, lsmFixture, valueOf } from './support/fixtures'

test('sst: properties, index and entries of an lsm-level table', async (t) => {
  const location = tempLocation('cli-sst')
  const db = new LsmLevel<string, string>(location)
  await db.open()
  for (let i = 0; i < 500; i++) await db.put(keyOf(i), valueOf(i))
  await db.del(keyOf(3))
  await db.compactRange(keyOf(0), keyOf(500)) // flushes the memtable: one table with every entry
  await db.close()
  const [table] = filesOf(location, /\.ldb$/)
  const result = await cli(['sst', table, '--json', '--entries', '--key-encoding', 'utf8', '--value-encoding', 'utf8'])
  t.is(result.code, 0, 'exit 0')
  const sst = JSON.parse(result.stdout)
  t.is(sst.size, fs.statSync(table).size, 'size')
  t.is(sst.entries, 501, '501 entries: every put and the deletion')
  t.is(sst.puts, 500, '500 puts')
  t.is(sst.deletions, 1, 'one deletion')
  t.same(sst.smallest, { key: keyOf(0), sequence: 1, kind: 'put' }, 'smallest key with sequence and kind')
  t.same(sst.largest, { key: keyOf(499), sequence: 500, kind: 'put' }, 'largest')
  t.same(sst.sequence, { min: 1, max: 501 }, 'sequence range')
  t.is(sst.dataBlocks, sst.index.length, 'one index entry per data block')
  t.is(sst.index.reduce((sum: number, b: { entries: number }) => sum + b.entries, 0), 501, 'block entry counts add up')
  t.ok(sst.index.every((b: { compression: string }) => b.compression === 'snappy'), 'compressible values: every data block snappy')
  t.ok(sst.filter?.name === 'filter.leveldb.BuiltinBloomFilter2' && Math.abs(sst.filter.estimatedKeys - 501) < 10, `bloom filter, about ${sst.filter?.estimatedKeys} keys`)
  for (let i = 1; i < sst.index.length; i++) {
    t.ok(sst.index[i].offset === sst.index[i - 1].offset + sst.index[i - 1].size + 5, `block ${i} follows block ${i - 1} and its trailer`)
    if (i > 3) break
  }
  t.same(sst.entryList.slice(0, 3), [0, 1, 2].map((i) => ({ key: { key: keyOf(i), sequence: i + 1, kind: 'put' }, value: valueOf(i) })), 'entries in order with their values')
  const limited = JSON.parse((await cli(['sst', table, '--json', '--entries', '--limit', '2'])).stdout)
  t.is(limited.entryList.length, 2, '--limit bounds the entries listed')
  t.is(limited.entries, 501, 'but not the counts')
  const text = await cli(['sst', table])
  t.ok(/^entries: +501 \(500 puts, 1 deletions\)$/m.test(text.stdout), 'text: entries line')
  t.ok(/^index \(separator => data block\):$/m.test(text.stdout) && /=> offset 0, size \d+ \(\+5\), snappy, \d+ entries/.test(text.stdout), 'text: the index with handles')
  t.notOk(/^entries:$/m.test(text.stdout), 'entries only with --entries')
  t.is((await cli(['sst', path.join(location, 'CURRENT')])).code, 1, 'a file that is not a table: exit 1 (it is damage, said plainly)')
  t.is((await cli(['sst', path.join(location, 'nope.ldb')])).code, 2, 'a file that does not exist: exit 2')
})

test('sst on classic-level tables, compressed and not; binary keys are escaped', async (t) => {
  const { location } = await classicFixture(1000, 'cli-sst-classic')
  const [table] = filesOf(location, /\.ldb$/)
  const sst = JSON.parse((await cli(['sst', table, '--json'])).stdout)
  t.ok(sst.entries > 0 && sst.filter !== null, `classic-level table: ${sst.entries} entries, with a bloom filter`)
  t.ok((sst.compression.snappy ?? 0) > 0, 'snappy blocks from native snappy')

  const { ClassicLevel } = require('classic-level')
  const raw = tempLocation('cli-sst-raw')
  const db = new ClassicLevel(raw, { compression: false, keyEncoding: 'buffer' })
  await db.open()
  await db.put(Buffer.from([0x00, 0x5c, 0xff]), 'binary key')
  await db.compactRange(Buffer.alloc(0), Buffer.from([0xff, 0xff]))
  await db.close()
  const [rawTable] = filesOf(raw, /\.ldb$/)
  const plain = JSON.parse((await cli(['sst', rawTable, '--json', '--entries'])).stdout)
  t.same(plain.compression, { none: 1 }, 'compression: false gives uncompressed blocks')
  t.is(plain.entryList[0].key.key, '\\x00\\\\\\xff', 'a binary key shows escaped by default')
  const hex = JSON.parse((await cli(['sst', rawTable, '--json', '--entries', '--key-encoding', 'hex'])).stdout)
  t.is(hex.entryList[0].key.key, '005cff', 'or in hex')
})

test('manifest: the edits in order, and the files they add up to match the engine\'s view', async (t) => {
  const { location } = await lsmFixture(3000, 'cli-manifest')
  const versions = new VersionSet(nodeEnv, location)
  versions.recover()
  const result = await cli(['manifest', location, '--json', '--key-encoding', 'utf8'])
  t.is(result.code, 0, 'exit 0')
  const m = JSON.parse(result.stdout)
  t.is(path.basename(m.file), `MANIFEST-${String(versions.manifestNumber).padStart(6, '0')}`, 'the MANIFEST CURRENT names')
  t.is(m.edits[0].offset, 0, 'the first edit at offset 0')
  t.is(m.edits[0].comparator, 'leveldb.BytewiseComparator', 'the snapshot edit names the comparator')
  t.same(m.result.levels, versions.current.files.map((files) => files.map((f) => f.number)), 'files per level as VersionSet recovers them')
  t.is(m.result.lastSequence, versions.lastSequence, 'last sequence')
  t.is(m.result.nextFileNumber, versions.nextFileNumber, 'next file number')
  t.is(m.result.logNumber, versions.logNumber, 'log number')
  const newFile = m.edits.flatMap((e: { newFiles: unknown[] }) => e.newFiles)[0]
  const meta = versions.current.files.flat().find((f) => f.number === newFile.number)
  t.ok(meta !== undefined && newFile.size === meta.size && newFile.smallest.key.startsWith('key'), 'new files with level, number, size and key range')
  const byFile = await cli(['manifest', m.file, '--json'])
  t.same(JSON.parse(byFile.stdout).result, m.result, 'given the MANIFEST file itself: the same')
  const text = await cli(['manifest', location])
  t.ok(/^edit 1 at offset 0:$/m.test(text.stdout) && /^ {2}comparator: +leveldb\.BytewiseComparator$/m.test(text.stdout), 'text: edits with their fields')
  t.ok(/^ {2}new file: +level \d #\d+ \d+ bytes 'key\d+' @ \d+ : (put|del) \.\. 'key\d+' @ \d+ : (put|del)$/m.test(text.stdout), 'text: new files with key ranges')
  t.ok(/^result: files\[ [\d ]+ \], log number \d+, next file \d+, last sequence \d+$/m.test(text.stdout), 'text: the result')
})

test('manifest of a classic-level database: several edits, deleted files included', async (t) => {
  const { ClassicLevel } = require('classic-level')
  const location = tempLocation('cli-manifest-classic')
  const db = new ClassicLevel(location, { writeBufferSize: 64 * 1024 })
  await db.open()
  // Keys out of order, so that flushes overlap and compaction merges (and deletes) files.
  for (let i = 0; i < 3000; i += 100) {
    await db.batch(Array.from({ length: 100 }, (_, j) => ({ type: 'put', key: keyOf(((i + j) * 7) % 3000), value: valueOf(i + j) })))
  }
  await db.compactRange(keyOf(0), keyOf(3000))
  await db.close()
  const m = JSON.parse((await cli(['manifest', location, '--json'])).stdout)
  t.ok(m.edits.length > 1, `${m.edits.length} edits`)
  t.ok(m.edits.some((e: { deletedFiles: unknown[] }) => e.deletedFiles.length > 0), 'compactions deleted files')
  t.ok(m.edits.slice(1).every((e: { offset: number }, i: number) => e.offset > m.edits[i].offset), 'offsets increase')
  t.same(m.damage, [], 'no damage')
})
