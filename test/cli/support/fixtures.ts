// Databases for the CLI tests, written by lsm-level or by classic-level, with data in tables at
// several levels, deletions, and writes still in the WAL.

import * as fs from 'fs'
import * as path from 'path'
import { LsmLevel } from '../../../index'
import { tempLocation } from '../../support/temp'

export function keyOf (i: number): string {
  return `key${String(i).padStart(5, '0')}`
}

export function valueOf (i: number): string {
  return `value-${i}-`.padEnd(60, String.fromCharCode(97 + (i % 26)))
}

export interface Fixture {
  location: string
  /** The live model: what a scan must return, in key order. */
  model: Map<string, string>
}

function sortedModel (model: Map<string, string>): Map<string, string> {
  return new Map([...model.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))
}

/**
 * `n` keys in small tables (64 KiB write buffer, so several flushes and a compaction), every
 * seventh of the first hundred deleted, and one last write left in the WAL of a reopen.
 */
export async function lsmFixture (n = 3000, name = 'cli-lsm'): Promise<Fixture> {
  const location = tempLocation(name)
  const model = new Map<string, string>()
  const db = new LsmLevel<string, string>(location, { writeBufferSize: 64 * 1024 })
  await db.open()
  for (let i = 0; i < n; i++) {
    await db.put(keyOf(i), valueOf(i))
    model.set(keyOf(i), valueOf(i))
  }
  for (let i = 0; i < 100; i += 7) {
    await db.del(keyOf(i))
    model.delete(keyOf(i))
  }
  await db.close()
  // Reopened with a big buffer: this write stays in the WAL.
  const again = new LsmLevel<string, string>(location, { writeBufferSize: 4 * 1024 * 1024 })
  await again.open()
  await again.put('zz-in-wal', 'from the log')
  model.set('zz-in-wal', 'from the log')
  await again.close()
  return { location, model: sortedModel(model) }
}

/** The same shape written by classic-level (LevelDB 1.20). */
export async function classicFixture (n = 3000, name = 'cli-classic'): Promise<Fixture> {
  const { ClassicLevel } = require('classic-level')
  const location = tempLocation(name)
  const model = new Map<string, string>()
  const db = new ClassicLevel(location, { writeBufferSize: 64 * 1024 })
  await db.open()
  const batch = []
  for (let i = 0; i < n; i++) {
    batch.push({ type: 'put', key: keyOf(i), value: valueOf(i) })
    model.set(keyOf(i), valueOf(i))
  }
  await db.batch(batch)
  for (let i = 0; i < 100; i += 7) {
    await db.del(keyOf(i))
    model.delete(keyOf(i))
  }
  await db.compactRange(keyOf(0), keyOf(n))
  await db.put('zz-in-wal', 'from the log')
  model.set('zz-in-wal', 'from the log')
  await db.close()
  return { location, model: sortedModel(model) }
}

/** A copy of a database directory, to damage. */
export function copyDb (location: string, name = 'cli-copy'): string {
  const copy = tempLocation(name)
  fs.cpSync(location, copy, { recursive: true })
  return copy
}

export function filesOf (location: string, pattern: RegExp): string[] {
  return fs.readdirSync(location).filter((name) => pattern.test(name)).sort().map((name) => path.join(location, name))
}
