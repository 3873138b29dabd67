import test = require('tape')
import path = require('path')
import {
  currentFileName, infoLogFileName, legacyTableFileName, lockFileName, logFileName, manifestBaseName,
  manifestFileName, oldInfoLogFileName, parseFileName, tableFileName, tempFileName, type ParsedFileName
} from '../../lib/format/filename'

test('file names are built with at least 6 digits', (t) => {
  t.is(tableFileName('db', 5), path.join('db', '000005.ldb'))
  t.is(tableFileName('db', 1234567), path.join('db', '1234567.ldb'))
  t.is(legacyTableFileName('db', 5), path.join('db', '000005.sst'))
  t.is(logFileName('db', 3), path.join('db', '000003.log'))
  t.is(logFileName('db', 0), path.join('db', '000000.log'))
  t.is(manifestFileName('db', 2), path.join('db', 'MANIFEST-000002'))
  t.is(manifestBaseName(2), 'MANIFEST-000002')
  t.is(tempFileName('db', 2), path.join('db', '000002.dbtmp'))
  t.is(currentFileName('db'), path.join('db', 'CURRENT'))
  t.is(lockFileName('db'), path.join('db', 'LOCK'))
  t.is(infoLogFileName('db'), path.join('db', 'LOG'))
  t.is(oldInfoLogFileName('db'), path.join('db', 'LOG.old'))
  t.is(tableFileName('/tmp/x/', 12), '/tmp/x/000012.ldb', 'a trailing separator is not doubled')
  t.end()
})

test('invalid file numbers are refused when building a name', (t) => {
  for (const n of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    t.throws(() => tableFileName('db', n), RangeError, String(n))
  }
  t.end()
})

test('every built name parses back to its type and number', (t) => {
  const cases: Array<[string, ParsedFileName]> = [
    [tableFileName('db', 77), { type: 'table', number: 77 }],
    [legacyTableFileName('db', 77), { type: 'table', number: 77 }],
    [logFileName('db', 9999999), { type: 'log', number: 9999999 }],
    [manifestFileName('db', 2), { type: 'manifest', number: 2 }],
    [tempFileName('db', 8), { type: 'temp', number: 8 }],
    [currentFileName('db'), { type: 'current', number: 0 }],
    [lockFileName('db'), { type: 'lock', number: 0 }],
    [infoLogFileName('db'), { type: 'infoLog', number: 0 }],
    [oldInfoLogFileName('db'), { type: 'oldInfoLog', number: 0 }]
  ]
  for (const [full, expected] of cases) t.same(parseFileName(path.basename(full)), expected, full)
  t.end()
})

test('parseFileName accepts what LevelDB accepts', (t) => {
  const cases: Array<[string, ParsedFileName]> = [
    ['100.log', { type: 'log', number: 100 }],
    ['0.log', { type: 'log', number: 0 }],
    ['0.sst', { type: 'table', number: 0 }],
    ['0.ldb', { type: 'table', number: 0 }],
    ['000123.ldb', { type: 'table', number: 123 }],
    ['1234567.ldb', { type: 'table', number: 1234567 }],
    ['0000000000000000000005.dbtmp', { type: 'temp', number: 5 }],
    ['MANIFEST-2', { type: 'manifest', number: 2 }],
    ['MANIFEST-000007', { type: 'manifest', number: 7 }],
    ['CURRENT', { type: 'current', number: 0 }],
    ['LOCK', { type: 'lock', number: 0 }],
    ['LOG', { type: 'infoLog', number: 0 }],
    ['LOG.old', { type: 'oldInfoLog', number: 0 }],
    ['9007199254740991.log', { type: 'log', number: 9007199254740991 }]
  ]
  for (const [name, expected] of cases) t.same(parseFileName(name), expected, name)
  t.end()
})

test('parseFileName rejects names LevelDB would not recognise', (t) => {
  const names = [
    '', 'foo', 'foo-dx-100.log', '.log', '.ldb', 'log', 'manifest', 'CURREN', 'CURRENTX', 'current',
    'MANIFEST', 'MANIFEST-', 'XMANIFEST-3', 'MANIFEST-3x', 'MANIFEST-3.log', 'MANIFEST--3',
    'LOC', 'LOCKx', 'LO', 'LOGx', 'LOG.', 'LOG.old.1', 'LOG.OLD',
    '100', '100.', '100.lop', '100.LOG', '12x.log', '-1.log', '+1.log', ' 1.log', '1.log ',
    '1 .log', '100.ldb.tmp', '1.2.log', '0x10.log', '1e3.log', 'db/100.log', '100.dbtmp2',
    '١٢.log', // non-ASCII digits
    // beyond what we can hold exactly; LevelDB takes up to 2^64 - 1, we leave such files alone
    '9007199254740992.log', '18446744073709551615.log', '18446744073709551616.log'
  ]
  for (const name of names) t.is(parseFileName(name), undefined, JSON.stringify(name))
  t.end()
})
