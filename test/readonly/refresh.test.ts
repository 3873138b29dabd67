// readOnly: true next to a writer in the same process: a reader sees nothing new until
// refresh(), which catches up with the writer's WAL (read on from where it stopped) and,
// after flushes and compactions, with its new MANIFEST and tables. Files the writer deletes
// under the reader (a log once flushed, tables once compacted) break neither an open
// iterator, nor a snapshot, nor a refresh, nor the reads after one, including the races of
// a load with the writer (a directory listed after the writer moved on, an old version let
// go while a refresh is loading).

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { LsmLevel } from '../../index'
import { NodeEnv } from '../../lib/env/node-env'
import { tempLocation } from '../support/temp'

const VALUE = 'v'.repeat(500)

function names (location: string, suffix: string): string[] {
  return fs.readdirSync(location).filter((name) => name.endsWith(suffix)).sort()
}

async function fill (db: LsmLevel<string, string>, prefix: string, count: number, value = VALUE): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    const ops: Array<{ type: 'put', key: string, value: string }> = []
    for (let j = i; j < Math.min(count, i + 50); j++) ops.push({ type: 'put', key: `${prefix}${String(j).padStart(5, '0')}`, value })
    await db.batch(ops)
  }
}

async function count (db: LsmLevel<string, string>, prefix: string): Promise<number> {
  return (await db.keys({ gte: prefix, lt: prefix + '\xff' }).all()).length
}

test('readOnly: refresh() reads on in the WAL, then follows flushes and compactions', async (t) => {
  const location = tempLocation('ro-follow')
  const writer = new LsmLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  await writer.open()
  await writer.put('first', '1')
  const reader = new LsmLevel<string, string>(location, { readOnly: true })
  await reader.open()
  t.equal(await reader.get('first'), '1', 'the open replays the WAL')

  await writer.put('second', '2')
  t.equal(await reader.get('second'), undefined, 'nothing new before refresh()')
  await reader.refresh()
  t.equal(await reader.get('second'), '2', 'refresh() reads on in the same WAL')

  await fill(writer, 'a', 1000)
  await writer.compactRange('a', 'b')
  t.ok(names(location, '.ldb').length > 0, 'the writer flushed and compacted into tables')
  await reader.refresh()
  t.equal(await count(reader, 'a'), 1000, 'refresh() loads the new MANIFEST and its tables')
  t.equal(await reader.get('first'), '1', 'and keeps what came before')

  // Overwrites and deletes, compacted: the reader follows, never seeing an older value.
  await fill(writer, 'a', 1000, 'new')
  await writer.clear({ gte: 'a00500', lt: 'a01000' })
  await writer.compactRange('a', 'b')
  await reader.refresh()
  t.equal(await count(reader, 'a'), 500, 'deletes compacted by the writer are deleted for the reader')
  t.equal(await reader.get('a00000'), 'new', 'overwrites are seen')
  t.equal(await reader.get('a00700'), undefined, 'a deleted key is gone')

  // Several refreshes at once run one after the other; each resolves once done.
  await writer.put('third', '3')
  await Promise.all([reader.refresh(), reader.refresh(), reader.refresh()])
  t.equal(await reader.get('third'), '3', 'concurrent refresh() calls all resolve, caught up')

  await reader.close()
  await writer.close()
})

test('readOnly: an iterator and a snapshot read on while the writer compacts their tables away', async (t) => {
  const location = tempLocation('ro-pinned')
  const writer = new LsmLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  await writer.open()
  await fill(writer, 'k', 2000, 'old')
  await writer.compactRange('k', 'l')
  const reader = new LsmLevel<string, string>(location, { readOnly: true })
  await reader.open()
  const before = names(location, '.ldb')

  const iterator = reader.iterator({ gte: 'k', lt: 'l' })
  const snapshot = reader.snapshot()
  const firstHalf = await iterator.nextv(1000)
  await fill(writer, 'k', 2000, 'new')
  await writer.compactRange('k', 'l')
  const after = names(location, '.ldb')
  t.ok(before.every((name) => !after.includes(name)), `the writer deleted every table the reader opened (${before.join(' ')})`)

  await reader.refresh()
  const secondHalf = await iterator.all()
  const seen = [...firstHalf, ...secondHalf]
  t.equal(seen.length, 2000, 'the iterator opened before reads all of its keys after the deletion and a refresh')
  t.ok(seen.every(([, value]) => value === 'old'), 'and every value is of its own view')
  t.equal(await reader.get('k00042', { snapshot }), 'old', 'the snapshot taken before the refresh reads the old state')
  t.equal((await reader.values({ snapshot, gte: 'k', lt: 'l' }).all()).filter((v) => v === 'old').length, 2000, 'all of it')
  t.equal(await reader.get('k00042'), 'new', 'a read without the snapshot sees the refreshed state')
  await snapshot.close()
  t.equal((await reader.values({ gte: 'k', lt: 'l' }).all()).filter((v) => v === 'new').length, 2000, 'a new iterator reads the new tables')
  await reader.close()
  await writer.close()
})

test('readOnly: an old version let go while a refresh is loading does not close the new tables', async (t) => {
  const location = tempLocation('ro-release-race')
  const writer = new LsmLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  await writer.open()
  await fill(writer, 'a', 200)
  await writer.compactRange('a', 'b')
  const reader = new LsmLevel<string, string>(location, { readOnly: true })
  await reader.open()
  const iterator = reader.iterator()
  await iterator.next()
  // Moves the reader to a newer version: the iterator's is now an old one.
  await writer.put('x', 'x')
  await writer.compactRange('x', 'x')
  await reader.refresh()

  await fill(writer, 'b', 400)
  // Into tables before the load, whose tables this test is about: left to background flushes,
  // part of the fill could still be in memtables when the load ran (seen once under the full
  // suite's load: the later rewrite then deleted none of the tables it opened).
  await writer.compactRange('b', 'c')
  await writer.put('tail', 'in the WAL')
  const refreshed = reader.refresh()
  // Let the load open the new version's tables and start reading the WAL...
  for (let i = 0; i < 5; i++) await null
  // ...then let go of the old version: the reader closes the tables no version needs.
  await iterator.close()
  await refreshed
  // The writer rewrites the new tables (overwrites, so no file is just moved down a level)
  // and deletes them: the reader must still have them open.
  const opened = names(location, '.ldb')
  await fill(writer, 'b', 400, 'new')
  await writer.compactRange('a', 'z')
  // The writer deletes obsolete tables in the background, after compactRange resolves: on a
  // loaded machine that can take a while.
  let left = names(location, '.ldb')
  for (const deadline = Date.now() + 10_000; !opened.some((name) => !left.includes(name)) && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    left = names(location, '.ldb')
  }
  t.ok(opened.some((name) => !left.includes(name)), `the writer deleted tables of the refreshed version (opened ${opened.join(' ')}; left ${left.join(' ')})`)
  t.equal(await reader.get('tail'), 'in the WAL', 'the refresh replayed the WAL')
  try {
    t.equal(await reader.get('b00123'), VALUE, 'a key of a table the load opened reads after the writer deleted it')
    t.equal(await count(reader, 'b'), 400, 'so does every other')
  } catch (err) {
    t.error(err, 'reads after the refresh')
  }
  await reader.close()
  await writer.close()
})

/** A file system whose list() first runs a hook: the writer's work landing between two steps of a load. */
class ListHookEnv extends NodeEnv {
  hook: (() => void) | undefined

  override list (directory: string): string[] {
    const hook = this.hook
    this.hook = undefined
    hook?.()
    return super.list(directory)
  }
}

function copyDir (from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true })
  for (const name of fs.readdirSync(from)) if (name !== 'LOCK') fs.copyFileSync(path.join(from, name), path.join(to, name))
}

/** Makes `dir` hold exactly what `state` holds (LOCK aside), as the writer's flush or compaction would leave it. */
function becomeState (dir: string, state: string): void {
  const wanted = new Set(fs.readdirSync(state).filter((name) => name !== 'LOCK'))
  for (const name of fs.readdirSync(dir)) if (!wanted.has(name)) fs.rmSync(path.join(dir, name))
  for (const name of wanted) fs.copyFileSync(path.join(state, name), path.join(dir, name))
}

for (const change of ['flush', 'compaction'] as const) {
  test(`readOnly: a ${change} landing between the MANIFEST read and the directory listing`, async (t) => {
    // Two states of one database, as the writer leaves them: before and after a flush
    // (the WAL the MANIFEST named is gone, its data in a new table) or a compaction (the
    // tables the MANIFEST named are gone).
    const source = tempLocation(`ro-race-${change}`)
    const writer = new LsmLevel<string, string>(source, { writeBufferSize: 64 * 1024 })
    await writer.open()
    await fill(writer, 'a', 300)
    // The reader starts from an older state, so that its refresh loads anew.
    const older = tempLocation('ro-state-older')
    copyDir(source, older)
    await writer.compactRange('a', 'b')
    await fill(writer, 'b', 20)
    const before = tempLocation('ro-state-before')
    copyDir(source, before)
    if (change === 'flush') {
      await writer.compactRange('b', 'c')
    } else {
      await fill(writer, 'a', 300, 'new')
      await writer.compactRange('a', 'c')
    }
    const after = tempLocation('ro-state-after')
    copyDir(source, after)
    await writer.close()
    const manifests = names(before, '').filter((n) => n.startsWith('MANIFEST-'))
    t.deepEqual(names(after, '').filter((n) => n.startsWith('MANIFEST-')), manifests, 'the writer appended to its MANIFEST')
    const gone = names(before, '').filter((name) => !fs.existsSync(path.join(after, name)) && /\.(log|ldb)$/.test(name))
    t.ok(gone.length > 0, `the ${change} deleted ${gone.join(' ')}`)

    const location = tempLocation(`ro-race-${change}-reader`)
    copyDir(older, location)
    const env = new ListHookEnv()
    const reader = new LsmLevel<string, string>(location, { readOnly: true, env })
    await reader.open()
    t.equal(await count(reader, 'a'), 300, 'the reader opened an older state')
    becomeState(location, before)
    env.hook = () => { becomeState(location, after) }
    try {
      await reader.refresh()
      t.equal(await count(reader, 'b'), 20, 'after the refresh, nothing the writer wrote is missing')
      t.equal(await count(reader, 'a'), 300, 'nor anything older')
      t.equal(await reader.get('a00007'), change === 'flush' ? VALUE : 'new', 'and values are the newest')
    } catch (err) {
      t.error(err, 'refresh() across the change')
    }
    t.equal(env.hook, undefined, 'the change did land during the refresh')
    await reader.close()
  })
}
