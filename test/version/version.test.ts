import test = require('tape')
import { allowedSeeksFor, chargeSeek, largestUserKey, newFileMeta, smallestUserKey, totalFileSize } from '../../lib/version/file-meta'
import { Version, applyEdit } from '../../lib/version/version'
import { emptyEdit } from '../../lib/version/version-edit'
import { MiB, buildVersion, file, fileOf, ikey, numbers } from './level-fixture'

const k = (s: string): Buffer => Buffer.from(s)

test('file meta: allowed seeks, user-key views, totals', (t) => {
  t.is(allowedSeeksFor(0), 100, 'small files get at least 100')
  t.is(allowedSeeksFor(16384 * 100 - 1), 100)
  t.is(allowedSeeksFor(16384 * 250 + 5), 250, 'one per 16 KiB')
  const f = newFileMeta(7, 2 * MiB, ikey('apple@5'), ikey('pear@9'))
  t.is(f.allowedSeeks, 128)
  t.same(smallestUserKey(f), k('apple'))
  t.same(largestUserKey(f), k('pear'))
  t.is(totalFileSize([f, file('8:a-b/3K')]), 2 * MiB + 3072)

  const g = newFileMeta(9, 0, ikey('a'), ikey('b'))
  g.allowedSeeks = 2
  t.is(chargeSeek(g), false)
  t.is(chargeSeek(g), true, 'runs out at 0')
  t.is(chargeSeek(g), true, 'and stays run out')
  t.end()
})

test('filesForGet: L0 newest first, then one file per deeper level', (t) => {
  const v = buildVersion('L0: 1:a-m 2:c-f 3:x-z 10:d-d; L1: 4:a-c 5:d-g; L2: 6:a-z')
  const cases: Array<[string, string]> = [
    ['d', '10 2 1 5 6'],
    ['c', '2 1 4 6'],
    ['h', '1 6'],
    ['y', '3 6'],
    ['0', '-'],
    ['zz', '-']
  ]
  for (const [key, expected] of cases) t.is(numbers(v.filesForGet(k(key))), expected, key)

  const visited: string[] = []
  v.forEachFileForGet(k('d'), 1000, (f, level) => {
    visited.push(`${level}:${f.number}`)
    return f.number === 1
  })
  t.same(visited, ['0:10', '0:2', '0:1'], 'stops when the visitor returns true')
  t.end()
})

test('filesForGet: a user key split across two files is found by snapshot', (t) => {
  // File 1 ends with c@9 and file 2 starts with c@5: a read at seq 5..8 must go to file 2.
  const v = buildVersion('L1: 1:a-c@9 2:c@5-e')
  t.is(numbers(v.filesForGet(k('c'))), '1', 'latest read')
  t.is(numbers(v.filesForGet(k('c'), 9)), '1', 'snapshot 9 still sees c@9')
  t.is(numbers(v.filesForGet(k('c'), 8)), '2', 'snapshot 8 skips to c@5')
  t.is(numbers(v.filesForGet(k('c'), 3)), '2')
  t.is(numbers(v.filesForGet(k('b'), 3)), '1')
  t.end()
})

test('overlappingInputs: levels >= 1 by range, L0 grows with what it touches', (t) => {
  const v = buildVersion('L0: 1:a-c 2:b-e 3:d-f 4:x-z; L1: 5:a-c 6:d-g 7:h-i')
  const cases: Array<[number, string | undefined, string | undefined, string]> = [
    [0, 'a', 'a', '3 2 1'],
    [0, 'f', 'f', '3 2 1'],
    [0, 'y', 'y', '4'],
    [0, 'g', 'w', '-'],
    [0, undefined, undefined, '4 3 2 1'],
    [0, undefined, 'a', '3 2 1'],
    [1, 'b', 'd', '5 6'],
    [1, 'c1', 'c2', '-'],
    [1, 'c', 'c', '5'],
    [1, 'g', 'h', '6 7'],
    [1, undefined, 'e', '5 6'],
    [1, 'e', undefined, '6 7'],
    [1, 'j', undefined, '-'],
    [1, undefined, undefined, '5 6 7'],
    [2, undefined, undefined, '-']
  ]
  for (const [level, begin, end, expected] of cases) {
    const got = v.overlappingInputs(level, begin === undefined ? undefined : k(begin), end === undefined ? undefined : k(end))
    t.is(numbers(got), expected, `L${level} [${begin ?? '-inf'}, ${end ?? '+inf'}]`)
  }
  t.end()
})

test('overlapsLevel', (t) => {
  const v = buildVersion('L0: 1:c-e; L1: 2:b-c 3:f-h')
  const cases: Array<[number, string | undefined, string | undefined, boolean]> = [
    [0, 'a', 'b', false],
    [0, 'a', 'c', true],
    [0, 'e', 'z', true],
    [0, 'f', 'z', false],
    [0, undefined, undefined, true],
    [1, 'a', 'a', false],
    [1, 'a', 'b', true],
    [1, 'd', 'e', false],
    [1, 'd', 'f', true],
    [1, 'i', 'z', false],
    [1, 'i', undefined, false],
    [1, undefined, 'a', false],
    [1, undefined, 'b', true],
    [2, undefined, undefined, false]
  ]
  for (const [level, lo, hi, expected] of cases) {
    t.is(v.overlapsLevel(level, lo === undefined ? undefined : k(lo), hi === undefined ? undefined : k(hi)), expected,
      `L${level} [${lo ?? '-inf'}, ${hi ?? '+inf'}]`)
  }
  t.end()
})

test('pickLevelForMemTableOutput', (t) => {
  const limit = 20 * MiB
  const cases: Array<[string, string, string, number]> = [
    ['empty database: as deep as allowed', '', 'a-z', 2],
    ['overlaps L0', 'L0: 1:m-n', 'a-z', 0],
    ['overlaps L1', 'L1: 1:m-n', 'a-z', 0],
    ['overlaps L2 only', 'L2: 1:m-n', 'a-z', 1],
    ['overlaps nothing at any level', 'L0: 1:x-y; L1: 2:x-y; L2: 3:x-y', 'a-b', 2],
    ['too much grandparent overlap in L2', 'L2: 1:a-b/21M', 'a-z', 0],
    ['exactly the grandparent limit is fine', 'L2: 1:a-b/20M; L3: 2:a-b/20M', 'a-z', 1],
    ['too much grandparent overlap in L3', 'L3: 1:a-b/15M 2:c-d/6M', 'a-z', 1],
    ['overlap elsewhere in L3 does not count', 'L3: 1:a-b/15M 2:x-y/6M', 'a-m', 2]
  ]
  for (const [name, spec, range, expected] of cases) {
    const [lo, hi] = range.split('-')
    t.is(buildVersion(spec).pickLevelForMemTableOutput(k(lo), k(hi), limit), expected, name)
  }
  t.end()
})

test('applyEdit: deletes against the base, then adds; levels stay ordered', (t) => {
  const base = buildVersion('L0: 1:a-c 2:b-d; L1: 3:a-b 4:e-f; L2: 9:a-z')
  const edit = emptyEdit()
  edit.deletedFiles.push({ level: 0, number: 1 }, { level: 1, number: 4 }, { level: 1, number: 99 })
  edit.newFiles.push(
    { level: 0, file: file('7:x-y') },
    { level: 0, file: file('5:a-a') },
    { level: 1, file: file('8:g-h') },
    { level: 1, file: file('6:c-d') }
  )
  const v = applyEdit(base, edit)
  t.same(v.files.map(numbers), ['7 5 2', '3 6 8', '9', '-', '-', '-', '-'])
  t.same(base.files.map(numbers), ['2 1', '3 4', '9', '-', '-', '-', '-'], 'the base is unchanged')
  t.is(v.files[2], base.files[2], 'untouched levels are shared')
  t.is(fileOf(v, 3), fileOf(base, 3), 'so are unchanged files (and their seek allowance)')
  t.is(applyEdit(base, emptyEdit()), base, 'an edit without files returns the base')
  t.ok(Object.isFrozen(v.files) && Object.isFrozen(v.files[1]), 'frozen')
  t.is(v.numFiles(1), 3)
  t.is(v.levelBytes(1), 3 * MiB)
  t.end()
})

test('applyEdit: a trivial move, and a file deleted and re-added in one edit', (t) => {
  const base = buildVersion('L1: 3:a-b 4:e-f')
  const move = emptyEdit()
  move.deletedFiles.push({ level: 1, number: 4 })
  move.newFiles.push({ level: 2, file: fileOf(base, 4) })
  t.same(applyEdit(base, move).files.map(numbers), ['-', '3', '4', '-', '-', '-', '-'])

  const replace = emptyEdit()
  const again = file('4:e-g/2M')
  replace.deletedFiles.push({ level: 1, number: 4 })
  replace.newFiles.push({ level: 1, file: again })
  const v = applyEdit(base, replace)
  t.same(v.files.map(numbers), ['-', '3 4', '-', '-', '-', '-', '-'])
  t.is(v.files[1][1], again, 'the added file wins')
  t.end()
})

test('applyEdit: overlap in a level >= 1 is corruption naming the source', (t) => {
  const base = buildVersion('L0: 1:a-c; L1: 3:a-c 4:e-f')
  const cases: Array<[string, number, string]> = [
    ['inside another file', 1, '5:b-b'],
    ['sharing a boundary key', 1, '5:c-d'],
    ['spanning two files', 1, '5:d-x'],
    ['the same number twice', 1, '3:x-y'],
    ['smallest after largest', 2, '5:d-c'],
    ['smallest after largest at L0', 0, '5:d-c']
  ]
  for (const [name, level, spec] of cases) {
    const edit = emptyEdit()
    edit.newFiles.push({ level, file: file(spec) })
    try {
      applyEdit(base, edit, 'db/MANIFEST-000005')
      t.fail(name)
    } catch (err) {
      const e = err as { code?: string; message: string }
      t.ok(e.code === 'LEVEL_CORRUPTION' && e.message.includes('db/MANIFEST-000005'), `${name}: ${e.message}`)
    }
  }
  const fine = emptyEdit()
  fine.newFiles.push({ level: 1, file: file('5:c@99-d') }, { level: 0, file: file('6:a-c') })
  t.same(applyEdit(base, fine).files.map(numbers).slice(0, 2), ['6 1', '3 5 4'], 'same user key, older entries: no overlap')
  t.end()
})

test('describe() in the style of leveldb.sstables, and summary()', (t) => {
  const v = buildVersion('L0: 5:a@3-big@4/3499; L2: 7:k-m/10')
  t.is(v.describe(), [
    '--- level 0 ---',
    " 5:3499['a' @ 3 : 1 .. 'big' @ 4 : 1]",
    '--- level 1 ---',
    '--- level 2 ---',
    " 7:10['k' @ 100 : 1 .. 'm' @ 100 : 1]",
    '--- level 3 ---',
    '--- level 4 ---',
    '--- level 5 ---',
    '--- level 6 ---',
    ''
  ].join('\n'))
  t.is(v.summary(), 'files[ 1 0 1 0 0 0 0 ]')
  t.is(new Version().summary(), 'files[ 0 0 0 0 0 0 0 ]')
  t.throws(() => new Version([[]]), RangeError, 'needs 7 levels')
  t.end()
})
