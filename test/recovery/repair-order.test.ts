// repair() lists every table at level 0, where a point read takes the newest file number
// first. A damaged table rewritten from its readable entries must keep its place in that
// order: a copy numbered after newer tables would make get() return values that newer
// writes replaced, while an iterator (which merges by sequence) returned the newest.

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { ClassicLevel } from 'classic-level'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'

const value = (i: number, version: string): string => `${version}-${i}-`.padEnd(100, 'v')

test('repair: a salvaged copy of an old table does not shadow newer values for get()', async (t) => {
  const location = tempLocation('repair-order')
  // classic-level writes its WAL into a level-0 table at each open, so two opens give an
  // old table and a newer one, both holding key "a".
  const first = new ClassicLevel<string, string>(location)
  await first.open()
  await first.put('a', 'old')
  for (let i = 0; i < 3000; i++) await first.put(`k${String(i).padStart(5, '0')}`, value(i, 'old'))
  await first.close()
  const second = new ClassicLevel<string, string>(location)
  await second.open()
  await second.put('a', 'new')
  await second.close()
  const third = new ClassicLevel<string, string>(location)
  await third.open()
  await third.close()
  const tables = fs.readdirSync(location).filter((name) => name.endsWith('.ldb')).sort()
  t.ok(tables.length >= 2, `two tables: ${tables.join(', ')}`)
  // Damage a data block in the middle of the older (bigger) table, far from key "a".
  const older = path.join(location, tables[0])
  const bytes = fs.readFileSync(older)
  const at = Math.floor(bytes.length * 0.5)
  bytes[at] ^= 0xff
  fs.writeFileSync(older, bytes)

  await LsmLevel.repair(location)
  const log = fs.readFileSync(path.join(location, 'LOG'), 'utf8')
  t.ok(/damaged; \d+ readable entries copied/.test(log), 'repair salvaged the damaged table')

  const db = new LsmLevel<string, string>(location)
  await db.open()
  const viaIterator = (await db.iterator({ gte: 'a', lte: 'a' }).all())[0]?.[1]
  t.equal(viaIterator, 'new', 'an iterator sees the newest value')
  t.equal(await db.get('a'), 'new', 'get() sees it too')
  t.equal(db.getSync('a'), 'new', 'and getSync()')
  await db.close()
})
