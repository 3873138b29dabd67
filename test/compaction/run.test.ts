import test = require('tape')
import { nodeEnv } from '../../lib/env/node-env'
import fs = require('fs')
import { TableCache } from '../../lib/cache/table-cache'
import { type CompactionTask, compactionEdit, isTrivialMove, pickCompaction } from '../../lib/compaction/picker'
import { type CompactionEnvironment, runCompaction } from '../../lib/compaction/run'
import { tableSource } from '../../lib/compaction/jobs'
import { writeTable } from '../../lib/compaction/table-file'
import { compareBytes } from '../../lib/format/bytes'
import { tableFileName } from '../../lib/format/filename'
import { ValueKind, compareInternalKeys, makeInternalKey, userKeyOf } from '../../lib/format/internal-key'
import { MemTable } from '../../lib/memtable/memtable'
import { Table } from '../../lib/sstable/table'
import type { TableBuildOptions } from '../../lib/sstable/table-builder'
import { type FileMeta, newFileMeta, totalFileSize } from '../../lib/version/file-meta'
import { Version, applyEdit } from '../../lib/version/version'
import { emptyEdit } from '../../lib/version/version-edit'
import { type Entry, collect, compareEntries, random, randomBytes, sameEntries, thrown } from '../sstable/table-fixture'
import { tempLocation } from '../support/temp'

const TABLE_OPTIONS: TableBuildOptions = { blockSize: 1024, blockRestartInterval: 16, compression: false }
const GiB = 1024 * 1024 * 1024

// --- fixture ---

/** `key@seq` (a value `v<seq>`), `key@seq=text`, or `key@seq:del`. */
function entry (text: string): Entry {
  const m = /^([^@]+)@(\d+)(?::(del)|=(.*))?$/.exec(text)
  if (m === null) throw new Error(`Bad entry: ${text}`)
  const sequence = Number(m[2])
  const kind = m[3] === 'del' ? ValueKind.Deletion : ValueKind.Value
  const value = kind === ValueKind.Deletion ? Buffer.alloc(0) : Buffer.from(m[4] ?? `v${sequence}`)
  return { userKey: Buffer.from(m[1]), sequence, kind, value }
}

function entries (text: string): Entry[] {
  return text.trim() === '' ? [] : text.trim().split(/\s+/).map(entry)
}

function entryText (e: Entry): string {
  return `${e.userKey.toString()}@${e.sequence}${e.kind === ValueKind.Deletion ? ':del' : ''}`
}

/** Writes `list` (any order) as table `number` in `location`. */
function writeInput (location: string, number: number, list: Entry[]): FileMeta {
  const mem = new MemTable()
  for (const e of list) mem.add(e.sequence, e.kind, e.userKey, 0, e.userKey.length, e.value, 0, e.value.length)
  const meta = writeTable(nodeEnv, location, number, mem.iterator(), TABLE_OPTIONS)
  if (meta === undefined) throw new Error('empty input')
  return meta
}

/** A file that exists only in the version (for overlap queries), never opened. */
function fakeFile (number: number, smallest: string, largest: string, size = 1000): FileMeta {
  const [s, ss] = smallest.split('@')
  const [l, ls] = largest.split('@')
  return newFileMeta(number, size,
    makeInternalKey(Buffer.from(s), Number(ss ?? 1000), ValueKind.Value),
    makeInternalKey(Buffer.from(l), Number(ls ?? 0), ValueKind.Value))
}

function versionOf (levels: Array<[number, FileMeta[]]>): Version {
  const edit = emptyEdit()
  for (const [level, files] of levels) for (const file of files) edit.newFiles.push({ level, file })
  return applyEdit(new Version(), edit, 'fixture')
}

function taskOf (level: number, inputs0: FileMeta[], inputs1: FileMeta[], options: {
  grandparents?: FileMeta[]
  maxFileSize?: number
  maxGrandparentOverlapBytes?: number
} = {}): CompactionTask {
  const maxFileSize = options.maxFileSize ?? GiB
  return {
    level,
    inputs: [inputs0, inputs1],
    grandparents: options.grandparents ?? [],
    reason: 'manual',
    maxOutputFileSize: maxFileSize,
    maxGrandparentOverlapBytes: options.maxGrandparentOverlapBytes ?? 10 * maxFileSize
  }
}

interface Run {
  location: string
  cache: TableCache
  numbers: number[]
  env: CompactionEnvironment
}

function environment (location: string, version: Version, smallestSnapshot: number, maxFileSize = GiB): Run {
  const cache = new TableCache(nodeEnv, location, 100, undefined)
  const numbers: number[] = []
  let next = 1000
  const env: CompactionEnvironment = {
    env: nodeEnv,
    location,
    tableOptions: TABLE_OPTIONS,
    maxFileSize,
    smallestSnapshot,
    version,
    newFileNumber: () => {
      numbers.push(next)
      return next++
    },
    openTable: tableSource(cache)
  }
  return { location, cache, numbers, env }
}

function readOutput (location: string, file: FileMeta): Entry[] {
  const table = Table.open(nodeEnv.openRandomAccess(tableFileName(location, file.number)), file.size, 0, undefined)
  try {
    return collect(table.iterator(false))
  } finally {
    table.close()
  }
}

function internalKeyOf (e: Entry): Buffer {
  return makeInternalKey(e.userKey, e.sequence, e.kind)
}

/**
 * The plain model: a reader may sit at any sequence >= S, so an entry survives iff it is
 * newer than S, or it is the newest of its key at or below S, unless that is a tombstone at
 * the base level. `sorted` is every input entry in internal order.
 */
function expectedSurvivors (sorted: Entry[], smallestSnapshot: number, isBase: (userKey: Buffer) => boolean): Entry[] {
  const out: Entry[] = []
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]
    if (e.sequence > smallestSnapshot) {
      out.push(e)
      continue
    }
    const newestAtOrBelow = !sorted.slice(0, i).some((o) => o.userKey.equals(e.userKey) && o.sequence <= smallestSnapshot)
    if (!newestAtOrBelow) continue
    if (e.kind === ValueKind.Deletion && isBase(e.userKey)) continue
    out.push(e)
  }
  return out
}

/** What a read at `sequence` sees for userKey in `sorted`: the value, or undefined. */
function visible (sorted: Entry[], userKey: Buffer, sequence: number): string | undefined {
  const e = sorted.find((o) => o.userKey.equals(userKey) && o.sequence <= sequence)
  return e === undefined || e.kind === ValueKind.Deletion ? undefined : e.value.toString('hex')
}

/** Checks every output: valid table, metadata exact, sorted, disjoint, no user key split. */
function checkOutputs (t: test.Test, location: string, outputs: FileMeta[]): Entry[] {
  const all: Entry[] = []
  let ok = true
  for (let i = 0; i < outputs.length; i++) {
    const file = outputs[i]
    const list = readOutput(location, file)
    if (list.length === 0) { ok = false; t.fail(`output ${file.number} is empty`); continue }
    if (!internalKeyOf(list[0]).equals(file.smallest) || !internalKeyOf(list[list.length - 1]).equals(file.largest)) {
      ok = false
      t.fail(`output ${file.number}: smallest/largest do not match its entries`)
    }
    if (fs.statSync(tableFileName(location, file.number)).size !== file.size) {
      ok = false
      t.fail(`output ${file.number}: size differs from the file`)
    }
    if (i > 0) {
      const prev = outputs[i - 1]
      if (compareInternalKeys(prev.largest, file.smallest) >= 0) { ok = false; t.fail(`outputs ${prev.number} and ${file.number} overlap`) }
      if (userKeyOf(prev.largest).equals(userKeyOf(file.smallest))) { ok = false; t.fail(`outputs ${prev.number} and ${file.number} split a user key`) }
    }
    all.push(...list)
  }
  t.ok(ok, `${outputs.length} outputs are valid, sorted, disjoint tables`)
  return all
}

function tableFilesIn (location: string): string[] {
  return fs.readdirSync(location).filter((name) => name.endsWith('.ldb')).sort()
}

// --- drop rules, case by case ---

interface DropCase {
  name: string
  level?: number
  /** The level-L input, entries in any order. */
  upper: string
  /** The level L+1 input ('' = none). */
  lower?: string
  /** Files deeper than L+1 as `L<n>:<smallest>-<largest>`, e.g. 'L2:m-p'. */
  deeper?: string
  snapshot: number
  expected: string
}

const DROP_CASES: DropCase[] = [
  { name: 'all versions newer than the snapshot stay', upper: 'a@10 a@20 a@30', snapshot: 5, expected: 'a@30 a@20 a@10' },
  { name: 'the newest version at or below the snapshot stays, older ones go', upper: 'a@10 a@20 a@30', snapshot: 25, expected: 'a@30 a@20' },
  { name: 'the snapshot equal to a sequence shadows what is below it', upper: 'a@10 a@20 a@30', snapshot: 20, expected: 'a@30 a@20' },
  { name: 'no snapshot: only the newest version', upper: 'a@10 a@20 a@30 b@5', snapshot: 30, expected: 'a@30 b@5' },
  { name: 'shadowing works across the two input levels', upper: 'a@30 b@31', lower: 'a@10 b@11 c@12', snapshot: 40, expected: 'a@30 b@31 c@12' },
  { name: 'a tombstone at the base level goes, with what it hides', upper: 'a@30:del a@20', lower: 'a@10', snapshot: 40, expected: '' },
  { name: 'a tombstone at or below the snapshot at the base level goes (seq == snapshot)', upper: 'a@30:del a@20', snapshot: 30, expected: '' },
  { name: 'a tombstone newer than the snapshot stays, and so does what the snapshot sees', upper: 'a@30:del a@20 a@10', snapshot: 25, expected: 'a@30:del a@20' },
  { name: 'a tombstone stays when a deeper level may hold its key', upper: 'n@30:del n@20 n@10', deeper: 'L2:m-p', snapshot: 40, expected: 'n@30:del' },
  { name: 'the base check is per key', upper: 'a@31:del n@30:del z@32:del', deeper: 'L4:m-p', snapshot: 40, expected: 'n@30:del' },
  { name: 'a deeper file that ends before the key does not count', upper: 'n@30:del', deeper: 'L2:a-m L6:o-z', snapshot: 40, expected: '' },
  { name: 'a tombstone hidden by a newer value goes whatever the level', upper: 'n@30 n@20:del n@10', deeper: 'L2:m-p', snapshot: 40, expected: 'n@30' },
  { name: 'a shadowed tombstone goes, a snapshot-visible one stays', upper: 'n@40 n@30:del n@20', deeper: 'L2:m-p', snapshot: 35, expected: 'n@40 n@30:del' },
  { name: 'level 1 into 2: L3 holds the key, the tombstone stays', level: 1, upper: 'n@30:del', lower: 'n@5', deeper: 'L3:m-p', snapshot: 40, expected: 'n@30:del' },
  { name: 'level 1 into 2: nothing at L3+, the tombstone goes', level: 1, upper: 'n@30:del', lower: 'n@5 o@6', snapshot: 40, expected: 'o@6' },
  { name: 'level 5 into 6: always the base level', level: 5, upper: 'n@30:del', lower: 'n@5', snapshot: 40, expected: '' },
  { name: 'everything dropped gives no outputs', upper: 'a@3:del b@4:del', lower: 'a@1 b@2', snapshot: 10, expected: '' }
]

test('runCompaction: drop rules', (t) => {
  for (const c of DROP_CASES) {
    const location = tempLocation('drop')
    fs.mkdirSync(location)
    const level = c.level ?? 0
    const upper = writeInput(location, 10, entries(c.upper))
    const lower = (c.lower ?? '') === '' ? [] : [writeInput(location, 11, entries(c.lower as string))]
    const levels: Array<[number, FileMeta[]]> = [[level, [upper]], [level + 1, lower]]
    let fake = 500
    for (const spec of (c.deeper ?? '').split(/\s+/).filter((s) => s !== '')) {
      const m = /^L(\d):(.+)-(.+)$/.exec(spec) as RegExpExecArray
      levels.push([Number(m[1]), [fakeFile(fake++, m[2], m[3])]])
    }
    const version = versionOf(levels)
    const run = environment(location, version, c.snapshot)
    const result = runCompaction(taskOf(level, [upper], lower), run.env)
    const got = result.outputs.flatMap((file) => readOutput(location, file)).map(entryText).join(' ')
    t.is(got, c.expected, c.name)
    const inputCount = entries(c.upper).length + entries(c.lower ?? '').length
    t.is(result.droppedEntries, inputCount - (c.expected === '' ? 0 : c.expected.split(' ').length), `${c.name}: dropped count`)
    if (c.expected === '') t.same(result.outputs, [], `${c.name}: no outputs`)
    run.cache.close()
  }
  t.end()
})

// --- randomized against the model ---

function randomInputs (rand: () => number, location: string): { l0: FileMeta[], l1: FileMeta[], all: Entry[] } {
  let sequence = 1
  const all: Entry[] = []
  const key = (i: number): Buffer => Buffer.from(`k${String(i).padStart(3, '0')}`)
  const make = (userKey: Buffer): Entry => {
    const kind = rand() < 0.25 ? ValueKind.Deletion : ValueKind.Value
    return { userKey, sequence: sequence++, kind, value: kind === ValueKind.Value ? randomBytes(rand, Math.floor(rand() * 60)) : Buffer.alloc(0) }
  }
  // L1 first (oldest), three disjoint files; then three L0 files, each newer than the last.
  const l1: FileMeta[] = []
  for (const [from, to] of [[0, 70], [70, 140], [140, 200]]) {
    const list: Entry[] = []
    for (let i = from; i < to; i++) {
      if (rand() < 0.5) continue
      const versions = 1 + Math.floor(rand() * 2)
      for (let v = 0; v < versions; v++) list.push(make(key(i)))
    }
    l1.push(writeInput(location, 20 + l1.length, list))
    all.push(...list)
  }
  const l0: FileMeta[] = []
  for (let f = 0; f < 3; f++) {
    const list: Entry[] = []
    for (let n = 0; n < 50; n++) {
      const k = key(Math.floor(rand() * 200))
      const versions = 1 + Math.floor(rand() * 3)
      for (let v = 0; v < versions; v++) list.push(make(k))
    }
    l0.unshift(writeInput(location, 30 + f, list))
    all.push(...list)
  }
  return { l0, l1, all: all.sort(compareEntries) }
}

test('runCompaction: random L0+L1 inputs against the model, at several snapshots', (t) => {
  const rand = random(0x5eed)
  for (let round = 0; round < 4; round++) {
    const location = tempLocation('random')
    fs.mkdirSync(location)
    const { l0, l1, all } = randomInputs(rand, location)
    const maxSequence = all.reduce((max, e) => Math.max(max, e.sequence), 0)
    // Deeper files make some keys non-base: k050-k099 at L2, k150-k160 at L4.
    const deeper2 = fakeFile(900, 'k050', 'k099')
    const deeper4 = fakeFile(901, 'k150', 'k160')
    const version = versionOf([[0, l0], [1, l1], [2, [deeper2]], [4, [deeper4]]])
    const isBase = (userKey: Buffer): boolean => !version.overlapsLevel(2, userKey, userKey) && !version.overlapsLevel(4, userKey, userKey)

    const task = pickCompaction(version, [], { maxFileSize: 4 * 1024, l0CompactionTrigger: 2 })
    if (task === undefined) { t.fail('no task picked'); continue }
    t.is(task.inputs[0].length + task.inputs[1].length, 6, `round ${round}: the picker takes every input`)
    t.notOk(isTrivialMove(task), `round ${round}: not a trivial move`)

    for (const snapshot of [0, Math.floor(maxSequence / 3), Math.floor(maxSequence * 2 / 3), maxSequence]) {
      const label = `round ${round}, snapshot ${snapshot}`
      const run = environment(location, version, snapshot, task.maxOutputFileSize)
      const result = runCompaction(task, run.env)
      const got = checkOutputs(t, location, result.outputs)
      const expected = expectedSurvivors(all, snapshot, isBase)
      t.ok(sameEntries(got, expected), `${label}: survivors match the model (${got.length} of ${all.length})`)

      let mismatches = 0
      for (let i = 0; i < 200; i++) {
        const userKey = Buffer.from(`k${String(i).padStart(3, '0')}`)
        for (const at of [snapshot, snapshot + 1, Math.floor((snapshot + maxSequence) / 2), maxSequence]) {
          // A removed tombstone and a missing key read the same.
          if (visible(got, userKey, at) !== visible(all, userKey, at) && mismatches++ < 3) {
            t.fail(`${label}: read ${userKey.toString()} at ${at}: ${visible(got, userKey, at)} vs ${visible(all, userKey, at)}`)
          }
        }
      }
      t.is(mismatches, 0, `${label}: every read at or after the snapshot sees the same`)

      const inputs = task.inputs[0].concat(task.inputs[1])
      const inputBytes = inputs.reduce((sum, f) => sum + fs.statSync(tableFileName(location, f.number)).size, 0)
      t.is(result.bytesRead, inputBytes, `${label}: bytesRead is the input size`)
      t.is(result.bytesWritten, totalFileSize(result.outputs), `${label}: bytesWritten is the output size`)
      t.is(result.droppedEntries, all.length - got.length, `${label}: droppedEntries`)
      t.same(result.outputs.map((f) => f.number), run.numbers, `${label}: one number per output, in order`)

      const installed = applyEdit(version, compactionEdit(task, result.outputs))
      t.same(installed.files[1].map((f) => f.number), result.outputs.map((f) => f.number), `${label}: outputs install as level 1`)
      t.is(installed.files[0].length, 0, `${label}: level 0 emptied`)

      run.cache.close()
      t.is(run.cache.openCount, 0, `${label}: every input table released`)
      for (const file of result.outputs) fs.unlinkSync(tableFileName(location, file.number))
    }
  }
  t.end()
})

// --- cutting ---

test('runCompaction: outputs are cut at maxFileSize, between user keys', (t) => {
  const location = tempLocation('size')
  fs.mkdirSync(location)
  const rand = random(7)
  const list: Entry[] = []
  let sequence = 1
  for (let i = 0; i < 400; i++) {
    const userKey = Buffer.from(`k${String(i).padStart(4, '0')}`)
    // One hot key with many versions, all needed (snapshot 0): bigger than a whole output.
    const versions = i === 200 ? 100 : 1
    for (let v = 0; v < versions; v++) list.push({ userKey, sequence: sequence++, kind: ValueKind.Value, value: randomBytes(rand, 200) })
  }
  const input = writeInput(location, 10, list)
  const version = versionOf([[0, [input]]])
  const maxFileSize = 8 * 1024
  const run = environment(location, version, 0, maxFileSize)
  const result = runCompaction(taskOf(0, [input], [], { maxFileSize }), run.env)
  const got = checkOutputs(t, location, result.outputs)
  t.ok(sameEntries(got, list.sort(compareEntries)), 'every entry kept')
  t.ok(result.outputs.length >= 10, `cut into ${result.outputs.length} outputs`)

  const hot = result.outputs.filter((f) => readOutput(location, f).some((e) => e.userKey.toString() === 'k0200'))
  t.is(hot.length, 1, 'all 100 versions of the hot key share one output')
  t.ok(hot[0].size > 100 * 200, 'that output grows past maxFileSize rather than split the key')
  for (let i = 0; i < result.outputs.length - 1; i++) {
    const file = result.outputs[i]
    if (file === hot[0]) continue
    if (file.size < maxFileSize || file.size > maxFileSize + 2048) t.fail(`output ${file.number} is ${file.size} bytes`)
  }
  t.pass('every other output but the last is maxFileSize plus at most one entry and the table tail')
  run.cache.close()
  t.end()
})

test('runCompaction: outputs are cut by grandparent overlap', (t) => {
  const location = tempLocation('grandparents')
  fs.mkdirSync(location)
  const list: Entry[] = []
  for (let i = 0; i < 400; i++) list.push(entry(`k${String(i).padStart(3, '0')}@${i + 1}=${'x'.repeat(50)}`))
  const input = writeInput(location, 10, list)
  // 20 grandparents of 1000 bytes, 20 keys each; cut once more than 3000 bytes overlap.
  const grandparents: FileMeta[] = []
  for (let g = 0; g < 20; g++) {
    grandparents.push(fakeFile(100 + g, `k${String(g * 20).padStart(3, '0')}`, `k${String(g * 20 + 19).padStart(3, '0')}`, 1000))
  }
  const version = versionOf([[0, [input]], [2, grandparents]])
  const limit = 3000
  const run = environment(location, version, 1000)
  const result = runCompaction(taskOf(0, [input], [], { grandparents, maxGrandparentOverlapBytes: limit }), run.env)
  const got = checkOutputs(t, location, result.outputs)
  t.ok(sameEntries(got, list), 'every entry kept')
  t.ok(result.outputs.length >= 4, `cut into ${result.outputs.length} outputs`)
  for (const file of result.outputs) {
    const overlap = grandparents
      .filter((g) => compareBytes(userKeyOf(g.largest), userKeyOf(file.smallest)) >= 0 && compareBytes(userKeyOf(g.smallest), userKeyOf(file.largest)) <= 0)
      .reduce((sum, g) => sum + g.size, 0)
    if (overlap > limit + 3 * 1000) t.fail(`output ${file.number} overlaps ${overlap} grandparent bytes`)
  }
  t.pass('no output overlaps much more than the limit')

  const alone = environment(location, version, 1000)
  t.is(runCompaction(taskOf(0, [input], []), alone.env).outputs.length, 1, 'without grandparents: one output')
  run.cache.close()
  alone.cache.close()
  t.end()
})

test('runCompaction: a grandparent boundary inside one key waits for the next key', (t) => {
  const location = tempLocation('gp-split')
  fs.mkdirSync(location)
  const input = writeInput(location, 10, entries('a@9 k@50 k@40 z@5'))
  // g1 ends between k@50 and k@40.
  const grandparents = [fakeFile(100, 'a@100', 'k@45', 10), fakeFile(101, 'k@44', 'z@1', 10)]
  const version = versionOf([[0, [input]], [2, grandparents]])
  const run = environment(location, version, 0)
  const result = runCompaction(taskOf(0, [input], [], { grandparents, maxGrandparentOverlapBytes: 5 }), run.env)
  t.same(result.outputs.map((f) => readOutput(location, f).map(entryText).join(' ')), ['a@9 k@50 k@40', 'z@5'])
  run.cache.close()
  t.end()
})

test('runCompaction: a level-1 input whose user key spans two files', (t) => {
  const location = tempLocation('split-input')
  fs.mkdirSync(location)
  // As LevelDB may write them: k's newer versions end file 10, its older ones start file 11.
  const left = writeInput(location, 10, entries('a@1 k@50 k@40'))
  const right = writeInput(location, 11, entries('k@30 k@20 m@2'))
  const below = writeInput(location, 12, entries('k@5 z@3'))
  const version = versionOf([[1, [left, right]], [2, [below]]])
  const run = environment(location, version, 35, 64)
  const result = runCompaction(taskOf(1, [right, left], [below], { maxFileSize: 64 }), run.env)
  const texts = result.outputs.map((f) => readOutput(location, f).map(entryText).join(' '))
  t.same(texts.join(' | ').replace(/ \| /g, ' '), 'a@1 k@50 k@40 k@30 m@2 z@3', 'merged in order, k@20 and k@5 shadowed at snapshot 35')
  t.ok(texts.some((text) => text.includes('k@50 k@40 k@30')), 'k stays in one output even with a tiny maxFileSize')
  checkOutputs(t, location, result.outputs)
  run.cache.close()
  t.end()
})

test('runCompaction: maxOutputs stops cutting instead of running out of numbers', (t) => {
  const location = tempLocation('max-outputs')
  fs.mkdirSync(location)
  const list: Entry[] = []
  for (let i = 0; i < 200; i++) list.push(entry(`k${String(i).padStart(3, '0')}@${i + 1}=${'y'.repeat(100)}`))
  const input = writeInput(location, 10, list)
  const version = versionOf([[0, [input]]])
  const run = environment(location, version, 0, 4096)
  run.env.maxOutputs = 2
  const result = runCompaction(taskOf(0, [input], [], { maxFileSize: 4096 }), run.env)
  t.is(result.outputs.length, 2, 'two outputs')
  t.ok(result.outputs[1].size > 4 * 4096, 'the last one takes the rest')
  t.ok(sameEntries(checkOutputs(t, location, result.outputs), list), 'every entry kept')
  t.ok(thrown(() => runCompaction(taskOf(0, [input], []), { ...run.env, maxOutputs: 0 })) instanceof RangeError, 'maxOutputs 0 is refused')
  run.cache.close()
  t.end()
})

// --- errors ---

test('runCompaction: a corrupt input fails the run and removes the outputs written so far', (t) => {
  const location = tempLocation('corrupt')
  fs.mkdirSync(location)
  const first: Entry[] = []
  const second: Entry[] = []
  for (let i = 0; i < 200; i++) first.push(entry(`k${String(i).padStart(3, '0')}@${i + 1}=${'z'.repeat(100)}`))
  for (let i = 200; i < 400; i++) second.push(entry(`k${String(i).padStart(3, '0')}@${i + 1}=${'z'.repeat(100)}`))
  const a = writeInput(location, 10, first)
  const b = writeInput(location, 11, second)
  // Damage b's first data block; b is opened only after outputs for a's keys are finished.
  const bPath = tableFileName(location, b.number)
  const bytes = fs.readFileSync(bPath)
  bytes[20] ^= 0xff
  fs.writeFileSync(bPath, bytes)
  const before = tableFilesIn(location)

  const version = versionOf([[1, [a, b]]])
  const run = environment(location, version, 0, 4096)
  const err = thrown(() => runCompaction(taskOf(1, [], [a, b], { maxFileSize: 4096 }), run.env))
  t.is(err?.code, 'LEVEL_CORRUPTION', 'LEVEL_CORRUPTION')
  t.ok(err?.message.includes(bPath), 'the error names the damaged file')
  t.ok(run.numbers.length >= 3, `outputs had been started (${run.numbers.length})`)
  t.same(tableFilesIn(location), before, 'no output is left behind')
  run.cache.close()
  t.is(run.cache.openCount, 0, 'every input table released')
  t.end()
})

test('runCompaction: a failing output write removes the earlier outputs', (t) => {
  const location = tempLocation('write-fails')
  fs.mkdirSync(location)
  const list: Entry[] = []
  for (let i = 0; i < 200; i++) list.push(entry(`k${String(i).padStart(3, '0')}@${i + 1}=${'w'.repeat(100)}`))
  const input = writeInput(location, 10, list)
  const version = versionOf([[0, [input]]])
  const run = environment(location, version, 0, 4096)
  // The second output's name is taken by a directory, so opening it fails.
  fs.mkdirSync(tableFileName(location, 1001))
  const err = thrown(() => runCompaction(taskOf(0, [input], [], { maxFileSize: 4096 }), run.env))
  t.ok(err !== undefined, `the run fails (${err?.message})`)
  t.same(tableFilesIn(location), ['000010.ldb', '001001.ldb'], 'the first output is removed, the directory untouched')
  fs.rmdirSync(tableFileName(location, 1001))
  run.cache.close()
  t.end()
})

test('runCompaction: shouldStop abandons the run', (t) => {
  const location = tempLocation('stop')
  fs.mkdirSync(location)
  const list: Entry[] = []
  for (let i = 0; i < 3000; i++) list.push(entry(`k${String(i).padStart(4, '0')}@${i + 1}=${'s'.repeat(20)}`))
  const input = writeInput(location, 10, list)
  const version = versionOf([[0, [input]]])
  const run = environment(location, version, 0, 4096)
  let polls = 0
  const err = thrown(() => runCompaction(taskOf(0, [input], [], { maxFileSize: 4096 }), run.env, () => ++polls >= 5))
  t.is(err?.code, 'LEVEL_DATABASE_NOT_OPEN', 'stops with LEVEL_DATABASE_NOT_OPEN')
  t.is(polls, 5, 'polled until told to stop')
  t.ok(run.numbers.length >= 1, 'outputs had been started')
  t.same(tableFilesIn(location), ['000010.ldb'], 'no output left behind')

  const full = environment(location, version, 0, 4096)
  t.is(runCompaction(taskOf(0, [input], [], { maxFileSize: 4096 }), full.env, () => false).droppedEntries, 0, 'a run that is never stopped completes')
  run.cache.close()
  full.cache.close()
  t.end()
})

test('runCompaction: empty inputs give no outputs', (t) => {
  const location = tempLocation('empty')
  fs.mkdirSync(location)
  const run = environment(location, new Version(), 0)
  const result = runCompaction(taskOf(1, [], []), run.env)
  t.same(result, { outputs: [], bytesRead: 0, bytesWritten: 0, droppedEntries: 0 })
  t.same(fs.readdirSync(location), [], 'nothing written')
  t.end()
})
