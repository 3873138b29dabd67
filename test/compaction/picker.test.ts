import test = require('tape')
import {
  type CompactionTask, type PickerOptions, OutputCutter, compactionEdit, isBaseLevelForKey, isTrivialMove,
  levelScores, pickCompaction, pickRangeCompaction
} from '../../lib/compaction/picker'
import {
  L0_COMPACTION_TRIGGER, L0_SLOWDOWN_WRITES_TRIGGER, L0_STOP_WRITES_TRIGGER, MAX_MEM_COMPACT_LEVEL, NUM_LEVELS
} from '../../lib/version/constants'
import { applyEdit } from '../../lib/version/version'
import { MiB, buildVersion, file, fileOf, ikey, keyText, numbers } from '../version/level-fixture'

const OPTIONS: PickerOptions = { maxFileSize: 2 * MiB }

/** `<reason> L<n>: <files> -> L<n+1>: <files> | gp: <files> | ptr: <key>`, or 'none'. */
function describe (task: CompactionTask | undefined): string {
  if (task === undefined) return 'none'
  return `${task.reason} L${task.level}: ${numbers(task.inputs[0])} -> L${task.level + 1}: ${numbers(task.inputs[1])}` +
    ` | gp: ${numbers(task.grandparents)} | ptr: ${keyText(task.newCompactPointer)}`
}

interface PickCase {
  name: string
  levels: string
  /** Compact pointers as `L<n>=<key>` separated by spaces. */
  pointers?: string
  seek?: { level: number; file: number }
  options?: Partial<PickerOptions>
  expected: string
}

const PICK_CASES: PickCase[] = [
  {
    name: 'no compaction needed',
    levels: 'L0: 1:a-b 2:c-d 3:e-f; L1: 4:a-z/9M; L2: 5:a-z/99M',
    expected: 'none'
  },
  {
    name: 'empty database',
    levels: '',
    expected: 'none'
  },
  {
    name: 'L0 trigger at 4 files: the first by smallest key',
    levels: 'L0: 4:g-h 3:e-f 2:c-d 1:a-b',
    expected: 'size L0: 1 -> L1: - | gp: - | ptr: b@100'
  },
  {
    name: 'L0 walks on from its compact pointer',
    levels: 'L0: 4:g-h 3:e-f 2:c-d 1:a-b',
    pointers: 'L0=b@100',
    expected: 'size L0: 2 -> L1: - | gp: - | ptr: d@100'
  },
  {
    name: 'L0 wraps around past its last file',
    levels: 'L0: 4:g-h 3:e-f 2:c-d 1:a-b',
    pointers: 'L0=h@100',
    expected: 'size L0: 1 -> L1: - | gp: - | ptr: b@100'
  },
  {
    name: 'L0 trigger is an option',
    levels: 'L0: 1:a-b 2:c-d',
    options: { l0CompactionTrigger: 2 },
    expected: 'size L0: 1 -> L1: - | gp: - | ptr: b@100'
  },
  {
    name: 'L0 expands to every overlapping L0 file, transitively, and takes the L1 files in range',
    levels: 'L0: 1:a-c 2:b-e 3:d-f 4:x-z; L1: 5:a-b 6:e-g 7:h-i',
    expected: 'size L0: 3 2 1 -> L1: 5 6 | gp: - | ptr: f@100'
  },
  {
    name: 'L1 over size: first file',
    levels: 'L1: 1:a-b/4M 2:c-d/4M 3:e-f/4M',
    expected: 'size L1: 1 -> L2: - | gp: - | ptr: b@100'
  },
  {
    name: 'L1 over size: the file after the compact pointer',
    levels: 'L1: 1:a-b/4M 2:c-d/4M 3:e-f/4M',
    pointers: 'L1=b@100',
    expected: 'size L1: 2 -> L2: - | gp: - | ptr: d@100'
  },
  {
    name: 'L1 over size: a pointer between files',
    levels: 'L1: 1:a-b/4M 2:c-d/4M 3:e-f/4M',
    pointers: 'L1=c@50',
    expected: 'size L1: 2 -> L2: - | gp: - | ptr: d@100'
  },
  {
    name: 'L1 over size: a pointer inside a file picks that file',
    levels: 'L1: 1:a-b/4M 2:c-f/4M 3:g-h/4M',
    pointers: 'L1=d@100',
    expected: 'size L1: 2 -> L2: - | gp: - | ptr: f@100'
  },
  {
    name: 'L1 over size: wraps around after the last file',
    levels: 'L1: 1:a-b/4M 2:c-d/4M 3:e-f/4M',
    pointers: 'L1=f@100',
    expected: 'size L1: 1 -> L2: - | gp: - | ptr: b@100'
  },
  {
    name: 'the highest score wins (L1 at 1.5 over L0 at 1.0)',
    levels: 'L0: 1:a-b 2:c-d 3:e-f 4:g-h; L1: 5:a-z/15M',
    expected: 'size L1: 5 -> L2: - | gp: - | ptr: z@100'
  },
  {
    name: 'L2 target is 100 MiB',
    levels: 'L1: 1:a-b/9M; L2: 2:a-b/60M 3:c-d/41M',
    expected: 'size L2: 2 -> L3: - | gp: - | ptr: b@100'
  },
  {
    name: 'level1MaxBytes scales every level',
    levels: 'L1: 1:a-b/1M; L2: 2:a-b/6M 3:c-d/5M',
    options: { level1MaxBytes: MiB },
    expected: 'size L2: 2 -> L3: - | gp: - | ptr: b@100'
  },
  {
    name: 'L+1 inputs are the files overlapping the range',
    levels: 'L1: 1:c-f/11M; L2: 2:a-b 3:b1-d 4:e-g 5:h-i',
    expected: 'size L1: 1 -> L2: 3 4 | gp: - | ptr: f@100'
  },
  {
    name: 'L inputs grow when that adds no L+1 file',
    levels: 'L1: 1:c-d/11M 2:e-f; L2: 3:b-g',
    expected: 'size L1: 1 2 -> L2: 3 | gp: - | ptr: f@100'
  },
  {
    name: 'L inputs do not grow when that would add L+1 files',
    levels: 'L1: 1:c-d/11M 2:e-h; L2: 3:b-f 4:g-i',
    expected: 'size L1: 1 -> L2: 3 | gp: - | ptr: d@100'
  },
  {
    name: 'L inputs do not grow past 25 x maxFileSize in total',
    levels: 'L1: 1:c-d/11M 2:e-f/30M; L2: 3:b-g/10M',
    expected: 'size L1: 1 -> L2: 3 | gp: - | ptr: d@100'
  },
  {
    name: 'L inputs grow just under the limit',
    levels: 'L1: 1:c-d/11M 2:e-f/28M; L2: 3:b-g/10M',
    expected: 'size L1: 1 2 -> L2: 3 | gp: - | ptr: f@100'
  },
  {
    name: 'L0 inputs grow over the L1 range',
    levels: 'L0: 1:c-d 2:f-g 3:x-y 4:x1-y1; L1: 5:a-h',
    expected: 'size L0: 2 1 -> L1: 5 | gp: - | ptr: g@100'
  },
  {
    name: 'grandparents: L+2 files overlapping the whole input range',
    levels: 'L1: 1:c-f/11M; L2: 2:b-d; L3: 3:a-a1 4:a2-c 5:e-g 6:h-i',
    expected: 'size L1: 1 -> L2: 2 | gp: 4 5 | ptr: f@100'
  },
  {
    name: 'grandparents are empty at L5 (there is no L7)',
    levels: 'L5: 1:a-b/200000M; L6: 2:a-c',
    expected: 'size L5: 1 -> L6: 2 | gp: - | ptr: b@100'
  },
  {
    name: 'a user key split across two files is compacted as a whole',
    levels: 'L1: 1:a-c@9/11M 2:c@5-e 3:f-g',
    expected: 'size L1: 1 2 -> L2: - | gp: - | ptr: e@100'
  },
  {
    name: 'seek compaction when no level is over size',
    levels: 'L1: 1:a-b 2:c-d; L2: 3:c-c1 4:x-y',
    seek: { level: 1, file: 2 },
    expected: 'seek L1: 2 -> L2: 3 | gp: - | ptr: d@100'
  },
  {
    name: 'seek compaction at L0 expands like any L0 compaction',
    levels: 'L0: 1:a-c 2:b-d 3:x-y',
    seek: { level: 0, file: 1 },
    expected: 'seek L0: 2 1 -> L1: - | gp: - | ptr: d@100'
  },
  {
    name: 'a size compaction goes before a seek compaction',
    levels: 'L1: 1:a-b/11M 2:c-d',
    seek: { level: 1, file: 2 },
    expected: 'size L1: 1 -> L2: - | gp: - | ptr: b@100'
  },
  {
    name: 'a seek candidate no longer in the version is ignored',
    levels: 'L1: 1:a-b 2:c-d',
    seek: { level: 2, file: 2 },
    expected: 'none'
  },
  {
    name: 'a seek candidate at the last level is ignored',
    levels: 'L6: 1:a-b',
    seek: { level: 6, file: 1 },
    expected: 'none'
  }
]

function pointersOf (text: string | undefined): Array<Buffer | undefined> {
  const pointers: Array<Buffer | undefined> = new Array(NUM_LEVELS).fill(undefined)
  for (const part of (text ?? '').split(/\s+/)) {
    if (part === '') continue
    const m = /^L(\d)=(.+)$/.exec(part)
    if (m === null) throw new Error(`Bad pointer: ${part}`)
    pointers[Number(m[1])] = ikey(m[2])
  }
  return pointers
}

test('pickCompaction: table of cases', (t) => {
  for (const c of PICK_CASES) {
    const version = buildVersion(c.levels)
    const seek = c.seek === undefined
      ? undefined
      : { level: c.seek.level, file: fileOf(version, c.seek.file) }
    const task = pickCompaction(version, pointersOf(c.pointers), { ...OPTIONS, ...c.options }, seek)
    t.is(describe(task), c.expected, c.name)
  }
  t.end()
})

test('pickCompaction: output limits follow maxFileSize', (t) => {
  const task = pickCompaction(buildVersion('L1: 1:a-b/11M'), [], { maxFileSize: 4 * MiB })
  t.is(task?.maxOutputFileSize, 4 * MiB)
  t.is(task?.maxGrandparentOverlapBytes, 40 * MiB)
  t.end()
})

test('levelScores', (t) => {
  const v = buildVersion('L0: 1:a-b 2:c-d; L1: 3:a-b/5M; L2: 4:a-b/150M; L3: 5:a-b/500M')
  t.same(levelScores(v, OPTIONS), [0.5, 0.5, 1.5, 0.5, 0, 0], 'six levels: L6 is never compacted')
  t.same(levelScores(v, { ...OPTIONS, l0CompactionTrigger: 1 })[0], 2)
  t.end()
})

test('pickRangeCompaction', (t) => {
  const wide = buildVersion('L0: 1:a-c 2:b-d 3:x-y; L1: 4:a-b 5:c-d 6:e-f 7:g-h; L2: 8:a-z')
  const narrow = buildVersion('L1: 4:a-b 5:c-d 6:e-f 7:g-h; L2: 8:a-b 9:c-d 10:e-f 11:g-h')
  const k = (s: string): Buffer => Buffer.from(s)
  const cases: Array<[string, string, number, string | undefined, string | undefined, string]> = [
    ['L0 takes every overlapping file, never split', 'wide', 0, 'a', 'a', 'manual L0: 2 1 -> L1: 4 5 | gp: 8 | ptr: d@100'],
    ['L0 whole range', 'wide', 0, undefined, undefined, 'manual L0: 3 2 1 -> L1: 4 5 6 7 | gp: 8 | ptr: y@100'],
    // Cut to 4 5, but the one wide L2 file lets the usual expansion take the rest back in (as LevelDB does).
    ['L1 cut at maxFileSize, then re-grown over the L2 range', 'wide', 1, undefined, undefined, 'manual L1: 4 5 6 7 -> L2: 8 | gp: - | ptr: h@100'],
    ['L1 stops once the inputs reach maxFileSize', 'narrow', 1, undefined, undefined, 'manual L1: 4 5 -> L2: 8 9 | gp: - | ptr: d@100'],
    ['L1 from the middle', 'narrow', 1, 'd', 'z', 'manual L1: 5 6 -> L2: 9 10 | gp: - | ptr: f@100'],
    ['L1 one file', 'narrow', 1, 'g', 'z', 'manual L1: 7 -> L2: 11 | gp: - | ptr: h@100'],
    ['nothing in range', 'narrow', 1, 'i', 'z', 'none'],
    ['empty level', 'narrow', 3, undefined, undefined, 'none']
  ]
  for (const [name, which, level, begin, end, expected] of cases) {
    const v = which === 'wide' ? wide : narrow
    const task = pickRangeCompaction(v, level, begin === undefined ? undefined : k(begin), end === undefined ? undefined : k(end), OPTIONS)
    t.is(describe(task), expected, name)
  }
  t.throws(() => pickRangeCompaction(wide, 6, undefined, undefined, OPTIONS), RangeError, 'the last level cannot be compacted')
  t.end()
})

test('isTrivialMove', (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['one file, nothing below', 'L1: 1:a-b/11M', true],
    ['grandparent overlap at the limit', 'L1: 1:a-b/11M; L3: 2:a-b/20M', true],
    ['grandparent overlap over the limit', 'L1: 1:a-b/11M; L3: 2:a-a1/12M 3:a2-b/9M', false],
    ['an L+1 file to merge with', 'L1: 1:a-b/11M; L2: 2:b-c', false],
    ['two input files', 'L0: 1:a-b 2:b-c 3:x-y 4:z-zz', false]
  ]
  for (const [name, levels, expected] of cases) {
    const task = pickCompaction(buildVersion(levels), [], OPTIONS)
    t.ok(task !== undefined && isTrivialMove(task) === expected, name)
  }
  const manual = pickRangeCompaction(buildVersion('L1: 1:a-b'), 1, undefined, undefined, OPTIONS)
  t.ok(manual !== undefined && !isTrivialMove(manual), 'a manual compaction always rewrites')
  t.end()
})

test('compactionEdit installs a task', (t) => {
  const base = buildVersion('L1: 1:c-f/11M; L2: 2:a-b 3:b1-d 4:e-g 5:h-i')
  const task = pickCompaction(base, [], OPTIONS)
  if (task === undefined) return t.fail('no task')
  const edit = compactionEdit(task, [file('9:b1-d1'), file('10:e1-g')])
  t.same(edit.compactPointers.map((p) => [p.level, keyText(p.key)]), [[1, 'f@100']])
  t.same(edit.deletedFiles, [{ level: 1, number: 1 }, { level: 2, number: 3 }, { level: 2, number: 4 }])
  t.same(applyEdit(base, edit).files.map(numbers), ['-', '-', '2 9 10 5', '-', '-', '-', '-'])

  const moveBase = buildVersion('L1: 1:a-b/11M')
  const move = pickCompaction(moveBase, [], OPTIONS)
  if (move === undefined) return t.fail('no move')
  const moved = applyEdit(moveBase, compactionEdit(move, move.inputs[0]))
  t.same(moved.files.map(numbers), ['-', '-', '1', '-', '-', '-', '-'], 'trivial move: same file one level down')
  t.is(moved.files[2][0], moveBase.files[1][0])
  t.end()
})

test('OutputCutter cuts once an output overlaps more than the grandparent limit', (t) => {
  const grandparents = ['1:a-b/8M', '2:c-d/8M', '3:e-f/8M', '4:g-h/8M', '5:i-j/8M'].map(file)
  const cases: Array<[string, string[], boolean[]]> = [
    ['cut after three grandparents (24 MiB > 20 MiB)',
      ['a', 'c', 'e', 'g', 'h', 'i'], [false, false, false, true, false, false]],
    ['grandparents passed before the first key do not count',
      ['e', 'g', 'i', 'j'], [false, false, false, false]],
    ['counting restarts after a cut',
      ['a', 'c', 'e', 'g', 'i', 'k'], [false, false, false, true, false, false]],
    ['keys inside one grandparent never cut',
      ['a', 'a1', 'a2', 'b'], [false, false, false, false]],
    ['a key equal to a grandparent largest key is still inside it',
      ['a', 'b', 'd', 'f'], [false, false, false, false]],
    ['a jump over many grandparents cuts at once',
      ['a', 'k'], [false, true]]
  ]
  for (const [name, keys, expected] of cases) {
    const cutter = new OutputCutter(grandparents, 20 * MiB)
    t.same(keys.map((key) => cutter.shouldStopBefore(ikey(key))), expected, name)
  }
  const none = new OutputCutter([], 20 * MiB)
  t.same(['a', 'z'].map((key) => none.shouldStopBefore(ikey(key))), [false, false], 'no grandparents: never')
  t.end()
})

test('isBaseLevelForKey looks only below level + 1', (t) => {
  const v = buildVersion('L1: 1:a-z; L2: 2:a-z; L3: 3:c-f; L5: 4:x-y')
  const cases: Array<[number, string, boolean]> = [
    [1, 'd', false],
    [1, 'g', true],
    [1, 'x', false],
    [1, 'b', true],
    [2, 'd', true],
    [2, 'x', false],
    [4, 'x', true],
    [3, 'x', false],
    [5, 'x', true]
  ]
  for (const [level, key, expected] of cases) {
    t.is(isBaseLevelForKey(v, level, Buffer.from(key)), expected, `L${level} ${key}`)
  }
  t.end()
})

test('level constants', (t) => {
  t.same(
    [L0_COMPACTION_TRIGGER, L0_SLOWDOWN_WRITES_TRIGGER, L0_STOP_WRITES_TRIGGER, MAX_MEM_COMPACT_LEVEL, NUM_LEVELS],
    [4, 8, 12, 2, 7])
  t.end()
})
