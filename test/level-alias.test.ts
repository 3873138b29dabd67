// `npm install classic-level@npm:lsm-level` makes every package that requires
// 'classic-level' get lsm-level. Here the module resolver does what the alias does, and the
// real `level` package (which is `require('classic-level').ClassicLevel` on Node) runs on us.

import test = require('tape')
import Module = require('module')
import * as path from 'path'
import { LsmLevel } from '../index'
import { tempLocation } from './support/temp'

const ourEntry = path.join(__dirname, '..', 'index.js')
const resolver = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string }
const original = resolver._resolveFilename
resolver._resolveFilename = function (request: string, ...rest: unknown[]): string {
  return request === 'classic-level' ? ourEntry : original.call(this, request, ...rest)
}

test('level runs on lsm-level when classic-level is aliased to it', async (t) => {
  const { Level } = require('level')
  t.is(Level, LsmLevel, 'level exports our class')
  const location = tempLocation()
  const db = new Level(location, { valueEncoding: 'json' })
  await db.put('a', { x: 1 })
  await db.batch([{ type: 'put', key: 'b', value: [2] }, { type: 'del', key: 'a' }])
  t.same(await db.iterator().all(), [['b', [2]]])
  t.ok(db instanceof LsmLevel)
  t.is(typeof db.compactRange, 'function')
  await db.close()
  const again = new LsmLevel(location, { valueEncoding: 'json' })
  t.same(await again.get('b'), [2], 'the directory is an lsm-level database')
  await again.close()
})
