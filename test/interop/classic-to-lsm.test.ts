// classic-level writes, lsm-level reads: tables at several levels, data left only in the .log
// (after a clean close, and after the writer was killed), then classic-level reads back what
// lsm-level's recovery left.

import test = require('tape')
import path = require('path')
import { spawn } from 'child_process'
import { tempLocation } from '../support/temp'
import { Generator, makeDataset, makeDb, prng, writePhases, applyWrites } from './dataset'
import { verifyDb } from './verify'
import { filesAtLevels, filesPerLevel, listFiles, manifestFiles } from './props'

for (const compression of [true, false]) {
  test(`interop: classic-level writes (compression ${String(compression)}), lsm-level reads`, async (t) => {
    const seed = compression ? 101 : 102
    const { phases, model, generator } = makeDataset(seed)
    const location = tempLocation('classic-to-lsm')

    const classic = makeDb('classic-level', location, { compression })
    await classic.open()
    let levels: number[] = []
    await writePhases(classic, phases, async (phase) => {
      if (phase === 'churn') levels = filesAtLevels(classic)
    })
    await classic.close()
    // L1 (from L0 compactions) and L2 (sequential flushes placed there directly) always hold
    // files; L0 usually does too, but LevelDB may be compacting it in the background.
    const used = levels.filter((n) => n > 0).length
    t.ok(used >= 2, `classic-level holds table files at ${used} levels before the tail: num-files-at-level0..6 ${levels.join(' ')}`)
    const shape = filesPerLevel(manifestFiles(location))
    t.ok(shape.filter((n) => n > 0).length >= 2, `the MANIFEST lsm-level will read has files per level ${shape.join(' ')}`)
    const logs = listFiles(location, '.log')
    t.ok(logs.some((log) => log.size > 100 * 1024), `the tail is only in the .log (${logs.map((l) => `${l.name}:${l.size}`).join(', ')})`)

    const lsm = makeDb('lsm-level', location, { compression })
    await lsm.open()
    await verifyDb(t, lsm, model, `lsm-level reads classic-level (compression ${String(compression)})`, { seed, generator })
    await lsm.close()

    // lsm-level's recovery turned the log into a table and wrote a new MANIFEST: back to classic-level.
    const again = makeDb('classic-level', location, { compression })
    await again.open()
    await verifyDb(t, again, model, 'classic-level reads it back after lsm-level', { seed: seed + 1, generator, ranges: 20, seeks: 50 })
    await again.close()
  })
}

test('interop: a classic-level directory whose data is only in its .log', async (t) => {
  const generator = new Generator(prng(201))
  const location = tempLocation('classic-log-only')
  const classic = makeDb('classic-level', location, { compression: true, writeBufferSize: 4 * 1024 * 1024 })
  await classic.open()
  await applyWrites(classic, generator.bulk(6000))
  await applyWrites(classic, generator.specials(false))
  await applyWrites(classic, [{ kind: 'single', ops: [generator.put(Buffer.from('big/1MiB'), generator.value(1024 * 1024))] }])
  await applyWrites(classic, generator.churn(2000))
  await classic.close()
  t.deepEqual(listFiles(location, '.ldb'), [], 'classic-level wrote no table')
  t.ok(listFiles(location, '.log').some((log) => log.size > 1024 * 1024), 'everything is in the .log')

  const lsm = makeDb('lsm-level', location, { compression: true })
  await lsm.open()
  await verifyDb(t, lsm, generator.model, 'lsm-level replays a classic-level log', { seed: 202, generator, ranges: 30, seeks: 60 })
  await lsm.close()

  const again = makeDb('classic-level', location, { compression: true })
  await again.open()
  await verifyDb(t, again, generator.model, 'classic-level after lsm-level replayed its log', { seed: 203, generator, ranges: 20, seeks: 40 })
  await again.close()
})

test('interop: lsm-level recovers a classic-level directory whose writer was killed (SIGKILL)', async (t) => {
  const location = tempLocation('classic-killed')
  // The same generator runs here and in the child, so both know the same writes.
  const generator = new Generator(prng(301))
  const base = generator.bulk(3000)
  // What the child writes after the base, generated here too for the model.
  generator.churn(1500)
  generator.specials(false)

  const classic = makeDb('classic-level', location, { compression: true })
  await classic.open()
  await applyWrites(classic, base)
  await classic.close()
  await classic.open() // the base moves into tables
  await classic.close()

  const child = spawn(process.execPath, ['-e', `
    const { Generator, prng, makeDb, applyWrites } = require(${JSON.stringify(path.join(__dirname, 'dataset.js'))})
    const generator = new Generator(prng(301))
    generator.bulk(3000)
    const more = generator.churn(1500).concat(generator.specials(false))
    const db = makeDb('classic-level', ${JSON.stringify(location)}, { compression: true })
    db.open().then(() => applyWrites(db, more)).then(() => {
      process.stdout.write('written\\n')
      setInterval(() => {}, 1000)
    }, (err) => { console.error(err); process.exit(1) })
  `], { stdio: ['ignore', 'pipe', 'inherit'] })
  const written = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (data: Buffer) => { if (data.toString().includes('written')) resolve(true) })
    child.on('exit', () => resolve(false))
  })
  t.ok(written, 'the child process wrote with classic-level')
  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.kill('SIGKILL')
  await exited

  const lsm = makeDb('lsm-level', location, { compression: true })
  await lsm.open()
  await verifyDb(t, lsm, generator.model, 'lsm-level after classic-level was killed', { seed: 302, generator, ranges: 20, seeks: 40 })
  await lsm.close()
})

// classic-level's LOCK is an fcntl lock, which pure JS can neither take nor test; on Linux
// lsm-level finds it in /proc/locks and refuses to open. (classic-level cannot see
// lsm-level's lock at all: the two must never have a directory open at the same time.)
test('interop: lsm-level refuses a directory that classic-level has open (Linux)', { skip: process.platform !== 'linux' }, async (t) => {
  const location = tempLocation('classic-locked')
  const classic = makeDb('classic-level', location, { compression: true })
  await classic.open()
  await classic.put(Buffer.from('k'), Buffer.from('v'))
  const lsm = makeDb('lsm-level', location, { compression: true })
  try {
    await lsm.open()
    t.fail('lsm-level opened a directory locked by classic-level')
    await lsm.close()
  } catch (err) {
    const e = err as Error & { code?: string, cause?: Error & { code?: string } }
    t.equal(e.code, 'LEVEL_DATABASE_NOT_OPEN', 'open() fails')
    t.equal(e.cause?.code, 'LEVEL_LOCKED', `because the directory is locked: ${e.cause?.message ?? ''}`)
  }
  await classic.close()
  await lsm.open()
  t.deepEqual(await lsm.get(Buffer.from('k')), Buffer.from('v'), 'and opens it once classic-level has closed it')
  await lsm.close()
})
