// Runs lsm-level's main paths on whichever runtime starts this file: Node, Bun or Deno (see
// test/runtimes/runtimes.test.ts). It imports only the package and Node's fs and path, not the
// test support, so that it needs from a runtime what an application would.
//
//   <runtime> dist/test/runtimes/smoke.js <command> <location>
//
//   smoke   open; batches of puts, overwrites and deletes, several times writeBufferSize, so
//           that the worker threads flush and compact; close; reopen and check every entry;
//           compactRange and check again; close; the LOG must show a flush and a compaction
//   hold    open, print "ready", keep the database open until killed
//   locked  opening must fail with LEVEL_LOCKED
//   reopen  opening must succeed (a killed holder's claim is stale); check every entry
//
// Prints "ok <command> on <runtime> <version>" and exits 0, or prints the error and exits 1.

import * as fs from 'fs'
import * as path from 'path'
import { LsmLevel } from '../../index'

const WRITE_BUFFER_SIZE = 64 * 1024
const ENTRIES = 6000
const BATCH = 100
// Coprime with ENTRIES: keys arrive scrambled, so every flushed table spans the whole key
// range and level 0 has to be compacted rather than its tables moved down.
const STRIDE = 2477

type Op = { type: 'put', key: string, value: string } | { type: 'del', key: string }

function keyOf (i: number): string {
  return `key-${String(i).padStart(6, '0')}`
}

function firstValue (i: number): string {
  return `first-${i}-`.padEnd(200, 'x')
}

function secondValue (i: number): string {
  return `second-${i}-`.padEnd(120, 'y')
}

/** The entry for key i once smoke's writes are done: every 5th deleted, every 3rd overwritten. */
function expected (i: number): string | undefined {
  if (i % 5 === 0) return undefined
  return i % 3 === 0 ? secondValue(i) : firstValue(i)
}

function runtime (): string {
  const scope = globalThis as { Bun?: { version: string }, Deno?: { version: { deno: string } } }
  if (scope.Bun !== undefined) return `bun ${scope.Bun.version}`
  if (scope.Deno !== undefined) return `deno ${scope.Deno.version.deno}`
  return `node ${process.versions.node}`
}

function check (condition: boolean, message: string): void {
  if (!condition) throw new Error(message)
}

async function writeAll (db: LsmLevel<string, string>): Promise<void> {
  let ops: Op[] = []
  const flush = async (): Promise<void> => {
    await db.batch(ops)
    ops = []
  }
  for (let n = 0; n < ENTRIES; n++) {
    const i = (n * STRIDE) % ENTRIES
    ops.push({ type: 'put', key: keyOf(i), value: firstValue(i) })
    if (ops.length === BATCH) await flush()
  }
  for (let n = 0; n < ENTRIES; n++) {
    const i = (n * STRIDE) % ENTRIES
    if (i % 5 === 0) ops.push({ type: 'del', key: keyOf(i) })
    else if (i % 3 === 0) ops.push({ type: 'put', key: keyOf(i), value: secondValue(i) })
    if (ops.length === BATCH) await flush()
  }
  await flush()
}

async function checkAll (db: LsmLevel<string, string>): Promise<void> {
  const wanted: Array<[string, string]> = []
  for (let i = 0; i < ENTRIES; i++) {
    const value = expected(i)
    if (value !== undefined) wanted.push([keyOf(i), value])
  }
  let at = 0
  for await (const [key, value] of db.iterator()) {
    const want = wanted[at]
    check(want !== undefined, `unexpected entry ${key} after the last one`)
    check(key === want[0] && value === want[1], `entry ${at}: got ${key}, wanted ${want[0]}, or its value differs`)
    at++
  }
  check(at === wanted.length, `${at} entries, wanted ${wanted.length}`)
  for (const i of [1, 3, 5, ENTRIES - 1]) {
    check(await db.get(keyOf(i)) === expected(i), `get ${keyOf(i)}`)
  }
}

function infoLog (location: string): string {
  return ['LOG.old', 'LOG']
    .map((name) => path.join(location, name))
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file, 'utf8'))
    .join('')
}

async function smoke (location: string): Promise<void> {
  const db = new LsmLevel<string, string>(location, { writeBufferSize: WRITE_BUFFER_SIZE })
  await db.open()
  await writeAll(db)
  await db.close()

  const again = new LsmLevel<string, string>(location, { writeBufferSize: WRITE_BUFFER_SIZE })
  await again.open()
  await checkAll(again)
  await again.compactRange(keyOf(0), keyOf(ENTRIES))
  check(again.getProperty('leveldb.num-files-at-level0') === '0', 'compactRange left tables at level 0')
  await checkAll(again)
  await again.close()

  const log = infoLog(location)
  check(/Level-\d table #\d+: \d+ bytes\n/.test(log), 'the LOG shows no flush')
  check(/Compacted \d+ files at level-\d/.test(log), 'the LOG shows no compaction')
}

async function hold (location: string): Promise<void> {
  const db = new LsmLevel<string, string>(location)
  await db.open()
  fs.writeSync(1, 'ready\n')
  setInterval(() => {}, 60_000)
}

async function locked (location: string): Promise<void> {
  const db = new LsmLevel<string, string>(location)
  const err = await db.open().then(() => undefined, (err: Error & { cause?: { code?: string } }) => err)
  if (err === undefined) {
    await db.close()
    throw new Error('opened a database that another process holds')
  }
  check(err.cause?.code === 'LEVEL_LOCKED', `open failed, but not with LEVEL_LOCKED: ${err.cause?.code ?? err.message}`)
}

async function reopen (location: string): Promise<void> {
  const db = new LsmLevel<string, string>(location)
  await db.open()
  await checkAll(db)
  await db.close()
}

const commands: Record<string, (location: string) => Promise<void>> = { smoke, hold, locked, reopen }

async function main (): Promise<void> {
  const [command, location] = process.argv.slice(2)
  const run = commands[command]
  if (run === undefined || location === undefined) {
    throw new Error('Usage: smoke.js smoke|hold|locked|reopen <location>')
  }
  await run(location)
  if (command !== 'hold') console.log(`ok ${command} on ${runtime()}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
