// lsm-level writes, classic-level reads: our tables, MANIFEST and .log as LevelDB 1.20 sees
// them. Each table is also checked by an independent reader (CRCs, block order, index
// separators, bounds), since classic-level never verifies block checksums. Then classic-level
// reports the tables through getProperty and rewrites all of them with compactRange, and
// lsm-level reads LevelDB's compaction output.

import test = require('tape')
import fs = require('fs')
import path = require('path')
import { tempLocation } from '../support/temp'
import { Generator, type Db, makeDataset, makeDb, prng, writePhases, applyWrites } from './dataset'
import { verifyDb } from './verify'
import { checkTable, describeInternal, parseSstables, type ListedFile } from './table-check'
import { type OurFile, filesAtLevels, getProperty, listFiles, manifestFiles } from './props'

/** Every table in the MANIFEST exists, has the recorded size, bounds and sound blocks; no other table exists. */
function checkOurTables (t: test.Test, location: string, compression: boolean): OurFile[] {
  const files = manifestFiles(location)
  const problems: string[] = []
  const types: Record<number, number> = {}
  let blocks = 0
  for (const file of files) {
    const name = `${String(file.number).padStart(6, '0')}.ldb`
    const report = checkTable(path.join(location, name))
    for (const p of report.problems) problems.push(`${name}: ${p}`)
    if (report.size !== file.size) problems.push(`${name}: ${report.size} bytes, MANIFEST says ${file.size}`)
    if (!report.hasFilter) problems.push(`${name}: no filter.leveldb.BuiltinBloomFilter2`)
    if (report.smallest === undefined || !report.smallest.equals(file.smallest)) problems.push(`${name}: smallest key ${describeInternal(file.smallest)} in MANIFEST, ${report.smallest === undefined ? 'none' : describeInternal(report.smallest)} in the file`)
    if (report.largest === undefined || !report.largest.equals(file.largest)) problems.push(`${name}: largest key ${describeInternal(file.largest)} in MANIFEST, ${report.largest === undefined ? 'none' : describeInternal(report.largest)} in the file`)
    for (const [type, n] of Object.entries(report.types)) types[Number(type)] = (types[Number(type)] ?? 0) + n
    blocks += report.dataBlocks
  }
  t.deepEqual(problems, [], `lsm-level's ${files.length} tables (${blocks} data blocks) pass the independent check`)
  const listed = new Set(files.map((f) => `${String(f.number).padStart(6, '0')}.ldb`))
  const orphans = listFiles(location, '.ldb').filter(({ name }) => !listed.has(name)).map(({ name }) => name)
  t.deepEqual(orphans, [], 'no table file outside the MANIFEST is left behind after close')
  if (compression) t.ok((types[1] ?? 0) > 0, `compression on: ${types[1] ?? 0} snappy blocks, ${types[0] ?? 0} stored raw`)
  else t.equal(types[1] ?? 0, 0, `compression off: every one of ${types[0] ?? 0} blocks stored raw`)
  return files
}

/** sstables and num-files-at-levelN agree, and every listed table exists with its size. */
function checkProperties (t: test.Test, db: Db, location: string, label: string): ListedFile[] {
  let listed: ListedFile[] = []
  try {
    listed = parseSstables(getProperty(db, 'leveldb.sstables'))
    const counts = filesAtLevels(db)
    const perLevel = [0, 1, 2, 3, 4, 5, 6].map((level) => listed.filter((f) => f.level === level).length)
    t.deepEqual(counts, perLevel, `${label}: num-files-at-level0..6 (${counts.join(' ')}) match leveldb.sstables`)
    const sizes = new Map(listFiles(location, '.ldb').map(({ name, size }) => [Number(name.slice(0, -4)), size]))
    const wrong = listed.filter((f) => sizes.get(f.number) !== f.size).map((f) => `${f.number}:${f.size}`)
    t.deepEqual(wrong, [], `${label}: every table in leveldb.sstables exists with the listed size`)
    t.equal(getProperty(db, 'leveldb.num-files-at-level7'), '', `${label}: level 7 does not exist`)
    t.ok(getProperty(db, 'leveldb.stats').includes('Compactions'), `${label}: leveldb.stats`)
  } catch (err) {
    t.fail(`${label}: ${(err as Error).message}`)
  }
  return listed
}

const EVERYTHING = [Buffer.alloc(0), Buffer.alloc(16, 0xff)]

for (const compression of [true, false]) {
  test(`interop: lsm-level writes (compression ${String(compression)}), classic-level reads`, async (t) => {
    const seed = compression ? 401 : 402
    const { phases, model, generator } = makeDataset(seed)
    const location = tempLocation('lsm-to-classic')

    const lsm = makeDb('lsm-level', location, { compression, writeBufferSize: 64 * 1024 })
    await lsm.open()
    await writePhases(lsm, phases)
    await lsm.close()
    const ours = checkOurTables(t, location, compression)
    const used = new Set(ours.map((f) => f.level))
    t.comment(`lsm-level left ${ours.length} tables at levels ${[...used].sort().join(',')}; logs ${listFiles(location, '.log').map((l) => `${l.name}:${l.size}`).join(' ')}`)
    t.ok(listFiles(location, '.log').some((log) => log.size > 100 * 1024), 'the tail is only in the .log')

    const classic = makeDb('classic-level', location, { compression })
    await classic.open()
    const label = `classic-level reads lsm-level (compression ${String(compression)})`
    await verifyDb(t, classic, model, label, { seed, generator })
    await (classic as any).compactRange(...EVERYTHING)
    checkProperties(t, classic, location, `${label}, after compactRange`)
    await verifyDb(t, classic, model, `${label}, after compactRange`, { seed: seed + 1, generator, ranges: 20, seeks: 50 })
    await classic.close()

    const again = makeDb('lsm-level', location, { compression })
    await again.open()
    await verifyDb(t, again, model, 'lsm-level reads the tables of LevelDB\'s compactRange', { seed: seed + 2, generator, ranges: 20, seeks: 50 })
    await again.close()
  })
}

test('interop: classic-level lists lsm-level\'s tables in getProperty', async (t) => {
  // Shape the files so classic-level will not start a compaction at open (fewer than 4 L0
  // files, levels far below their size targets): what getProperty shows right after open is
  // then our MANIFEST plus the one table LevelDB makes from our .log.
  const generator = new Generator(prng(501))
  const location = tempLocation('lsm-properties')
  const lsm = makeDb('lsm-level', location, { compression: true, writeBufferSize: 64 * 1024 })
  await lsm.open()
  await applyWrites(lsm, generator.sequential(5000, 'm/')) // disjoint flushes: straight to L2
  await applyWrites(lsm, generator.sequential(500, 'm/', 3)) // spans L2 files: L1 (or L0)
  await applyWrites(lsm, generator.sequential(400, 'm/', 7)) // overlaps the above: L0
  await applyWrites(lsm, generator.specials(false))
  await lsm.close()

  const ours = checkOurTables(t, location, true)
  {
    // The independent checker must notice a flipped bit (else its passes above mean nothing).
    const copy = tempLocation('damaged') + '.ldb'
    const bytes = fs.readFileSync(path.join(location, `${String(ours[0].number).padStart(6, '0')}.ldb`))
    bytes[Math.floor(bytes.length / 3)] ^= 0x10
    fs.writeFileSync(copy, bytes)
    t.ok(checkTable(copy).problems.length > 0, `the table checker notices a flipped bit: ${checkTable(copy).problems[0]}`)
  }
  const perLevel = [0, 1, 2, 3, 4, 5, 6].map((level) => ours.filter((f) => f.level === level).length)
  t.ok(perLevel[0] <= 2, `at most 2 L0 tables (${perLevel.join(' ')}), so that with the log's table LevelDB stays below its L0 trigger`)
  t.ok(perLevel.filter((n) => n > 0).length >= 2, `tables at ${perLevel.filter((n) => n > 0).length} levels`)

  const classic = makeDb('classic-level', location, { compression: true })
  await classic.open()
  const listed = checkProperties(t, classic, location, 'classic-level opens lsm-level\'s directory')
  const problems: string[] = []
  const byNumber = new Map(listed.map((f) => [f.number, f]))
  for (const file of ours) {
    const entry = byNumber.get(file.number)
    if (entry === undefined) {
      problems.push(`#${file.number} (L${file.level}) is not listed`)
      continue
    }
    const want = { level: file.level, number: file.number, size: file.size, smallest: describeInternal(file.smallest), largest: describeInternal(file.largest) }
    if (JSON.stringify(entry) !== JSON.stringify(want)) problems.push(`listed ${JSON.stringify(entry)}, MANIFEST ${JSON.stringify(want)}`)
    byNumber.delete(file.number)
  }
  const maxOurs = Math.max(...ours.map((f) => f.number))
  const extra = [...byNumber.values()]
  if (extra.length > 1 || extra.some((f) => f.number <= maxOurs)) problems.push(`unexpected tables ${JSON.stringify(extra)}`)
  t.deepEqual(problems, [], `leveldb.sstables lists our ${ours.length} tables at their levels, sizes and key bounds, plus ${extra.length} from our .log`)

  await verifyDb(t, classic, generator.model, 'classic-level reads the shaped directory', { seed: 502, generator, ranges: 20, seeks: 40 })
  await (classic as any).compactRange(...EVERYTHING)
  checkProperties(t, classic, location, 'after compactRange')
  await verifyDb(t, classic, generator.model, 'classic-level after compactRange', { seed: 503, generator, ranges: 20, seeks: 40 })
  await classic.close()
})
