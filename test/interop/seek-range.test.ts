// The smallest reproduction of a difference found by the interop suite: iterator.seek() to a
// target outside the iterator's range. classic-level ends the iteration (binding.cc,
// Iterator::Seek: `if (OutOfRange(target)) return SeekToEnd()`), and abstract-level documents
// that next() yields nothing after "the last iterator.seek() was out of range". The
// abstract-level suite's own 'seek() respects range' test pushes async functions into an array
// and never calls them, so it checks nothing. Both engines run the same cases here.

import test = require('tape')
import { tempLocation } from '../support/temp'
import { type Engine, makeDb } from './dataset'

// [range, seek target, expected first key or undefined] on keys '0'..'9'.
const CASES: Array<[Record<string, string | boolean>, string, string | undefined]> = [
  [{ gt: '5' }, '4', undefined],
  [{ gt: '5' }, '5', undefined],
  [{ gt: '5' }, '6', '6'],
  [{ gte: '5' }, '4', undefined],
  [{ gte: '5' }, '5', '5'],
  [{ lt: '5' }, '5', undefined],
  [{ lte: '5' }, '6', undefined],
  [{ lt: '5', reverse: true }, '6', undefined],
  [{ lte: '5', reverse: true }, '6', undefined],
  [{ lte: '5', reverse: true }, '5', '5'],
  [{ gt: '5', reverse: true }, '5', undefined],
  [{ gte: '5', reverse: true }, '4', undefined],
  [{ gte: '3', lte: '6' }, '1', undefined],
  [{ gte: '3', lte: '6' }, '8', undefined],
  [{ gte: '3', lte: '6', reverse: true }, '8', undefined],
  [{ gte: '3', lte: '6', reverse: true }, '1', undefined],
  [{ gte: '3', lte: '6' }, '4', '4'],
  [{ gte: '3', lte: '6', reverse: true }, '4', '4']
]

for (const engine of ['classic-level', 'lsm-level'] as Engine[]) {
  test(`interop: ${engine} ends an iterator seeked outside its range`, async (t) => {
    const db = makeDb(engine, tempLocation('seek-range'), { compression: true })
    await db.open()
    await db.batch('0123456789'.split('').map((key) => ({ type: 'put', key: Buffer.from(key), value: Buffer.from(key) })))
    for (const [range, target, expected] of CASES) {
      const options: Record<string, unknown> = { keyEncoding: 'utf8', valueEncoding: 'utf8' }
      for (const [name, value] of Object.entries(range)) options[name] = value
      const it = db.iterator(options)
      it.seek(target)
      const entry = await it.next()
      await it.close()
      t.equal(entry?.[0], expected, `${JSON.stringify(range)}: seek('${target}') yields ${String(expected)}`)
    }
    await db.close()
  })
}
