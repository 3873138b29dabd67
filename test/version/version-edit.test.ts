import test = require('tape')
import { ValueKind, makeInternalKey } from '../../lib/format/internal-key'
import { newFileMeta } from '../../lib/version/file-meta'
import { type VersionEdit, decodeVersionEdit, emptyEdit, encodeVersionEdit } from '../../lib/version/version-edit'

const FILE = 'db/MANIFEST-000009'

function hex (s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex')
}

function ik (user: string, seq: number, kind = ValueKind.Value): Buffer {
  return makeInternalKey(Buffer.from(user), seq, kind)
}

/** Decoding must fail with LEVEL_CORRUPTION naming FILE (and mentioning `what` if given). */
function rejects (t: test.Test, bytes: Uint8Array, label: string, what?: string): void {
  try {
    decodeVersionEdit(bytes, FILE)
    t.fail(`${label}: decoded`)
  } catch (err) {
    const e = err as { code?: string; message: string }
    t.ok(e.code === 'LEVEL_CORRUPTION' && e.message.includes(FILE) && (what === undefined || e.message.includes(what)),
      `${label}: ${e.message}`)
  }
}

function fullEdit (): VersionEdit {
  const edit = emptyEdit()
  edit.comparator = 'leveldb.BytewiseComparator'
  edit.logNumber = 300
  edit.prevLogNumber = 0
  edit.nextFileNumber = 2 ** 40
  edit.lastSequence = 2 ** 53 - 1
  edit.compactPointers.push({ level: 1, key: ik('m', 7) }, { level: 6, key: ik('', 1, ValueKind.Deletion) })
  edit.deletedFiles.push({ level: 0, number: 5 }, { level: 6, number: 2 ** 33 })
  edit.newFiles.push(
    { level: 0, file: newFileMeta(12, 3499, ik('a', 3, ValueKind.Deletion), ik('big', 4)) },
    { level: 6, file: newFileMeta(13, 2 ** 40, ik('x', 1), ik('z\u00ff', 2 ** 50)) }
  )
  return edit
}

test('pinned bytes: the records of a fresh classic-level MANIFEST', (t) => {
  const first = hex('01 1a') // tag 1, length 26
  const comparatorRecord = Buffer.concat([first, Buffer.from('leveldb.BytewiseComparator')])
  const numbersRecord = hex('02 03 09 00 03 04 04 00')

  const a = emptyEdit()
  a.comparator = 'leveldb.BytewiseComparator'
  t.same(encodeVersionEdit(a), comparatorRecord, 'comparator record')

  const b = emptyEdit()
  b.lastSequence = 0
  b.nextFileNumber = 4
  b.prevLogNumber = 0
  b.logNumber = 3
  t.same(encodeVersionEdit(b), numbersRecord, 'log=3 prev=0 next=4 lastSeq=0 in LevelDB order')

  t.same(decodeVersionEdit(comparatorRecord, FILE), a)
  t.same(decodeVersionEdit(numbersRecord, FILE), b)
  t.end()
})

test('pinned bytes: compact pointer, deleted file and new file', (t) => {
  const edit = emptyEdit()
  edit.compactPointers.push({ level: 2, key: ik('k', 1) })
  edit.deletedFiles.push({ level: 1, number: 300 })
  edit.newFiles.push({ level: 0, file: newFileMeta(5, 3499, ik('a', 3, ValueKind.Deletion), ik('big', 4)) })
  t.is(encodeVersionEdit(edit).toString('hex'), [
    '05 02 09 6b 0101000000000000', // compact pointer L2 'k'@1 put
    '06 01 ac02', // deleted file L1 #300
    '07 00 05 ab1b', // new file L0 #5, 3499 bytes
    '09 61 0003000000000000', // smallest 'a'@3 del
    '0b 626967 0104000000000000' // largest 'big'@4 put
  ].join('').replace(/\s+/g, ''))
  t.end()
})

test('encoding order is 1, 2, 9, 3, 4, then all 5s, 6s and 7s', (t) => {
  const bytes = encodeVersionEdit(fullEdit())
  const tags: number[] = []
  // Walk the fields by decoding growing prefixes: a prefix decodes exactly at field boundaries.
  let last = 0
  for (let end = 1; end <= bytes.length; end++) {
    try {
      decodeVersionEdit(bytes.subarray(0, end), FILE)
    } catch {
      continue
    }
    tags.push(bytes[last])
    last = end
  }
  t.same(tags, [1, 2, 9, 3, 4, 5, 5, 6, 6, 7, 7])
  t.end()
})

test('round trip of every tag, with numbers up to 2^53 - 1', (t) => {
  const edit = fullEdit()
  const decoded = decodeVersionEdit(encodeVersionEdit(edit), FILE)
  t.same(decoded, edit)
  t.is(decoded.newFiles[0].file.allowedSeeks, 100, 'allowedSeeks is recomputed from the size')
  t.is(decoded.newFiles[1].file.allowedSeeks, 2 ** 40 / 16384)
  t.same(decodeVersionEdit(encodeVersionEdit(emptyEdit()), FILE), emptyEdit(), 'an empty edit is zero bytes')
  t.is(encodeVersionEdit(emptyEdit()).length, 0)
  t.end()
})

test('decoding accepts any order and repeats (the last scalar wins)', (t) => {
  const bytes = hex('04 05  07 00 01 02 09 610100000000000000 09 620100000000000000  02 01  04 07  05 03 09 630100000000000000  03 08  06 00 01  06 00 02  05 03 09 640100000000000000')
  const edit = decodeVersionEdit(bytes, FILE)
  t.is(edit.lastSequence, 7)
  t.is(edit.logNumber, 1)
  t.is(edit.nextFileNumber, 8)
  t.is(edit.comparator, undefined)
  t.is(edit.prevLogNumber, undefined)
  t.same(edit.deletedFiles, [{ level: 0, number: 1 }, { level: 0, number: 2 }])
  t.same(edit.compactPointers.map((p) => [p.level, p.key.toString('latin1', 0, 1)]), [[3, 'c'], [3, 'd']])
  t.is(edit.newFiles.length, 1)
  t.is(edit.newFiles[0].file.number, 1)
  t.is(edit.newFiles[0].file.size, 2)
  t.end()
})

test('decoded keys are copies of the input bytes', (t) => {
  const bytes = Buffer.from(encodeVersionEdit(fullEdit()))
  const edit = decodeVersionEdit(bytes, FILE)
  bytes.fill(0)
  t.same(edit, fullEdit())
  t.end()
})

test('every truncation of a valid edit is corruption naming the file', (t) => {
  const edit = fullEdit()
  // Field boundaries: encode the fields one at a time and add up their lengths.
  const boundaries = new Set<number>([0])
  let total = 0
  const parts: VersionEdit[] = []
  const scalar = (f: (e: VersionEdit) => void): void => { const e = emptyEdit(); f(e); parts.push(e) }
  scalar((e) => { e.comparator = edit.comparator })
  scalar((e) => { e.logNumber = edit.logNumber })
  scalar((e) => { e.prevLogNumber = edit.prevLogNumber })
  scalar((e) => { e.nextFileNumber = edit.nextFileNumber })
  scalar((e) => { e.lastSequence = edit.lastSequence })
  for (const p of edit.compactPointers) scalar((e) => { e.compactPointers.push(p) })
  for (const d of edit.deletedFiles) scalar((e) => { e.deletedFiles.push(d) })
  for (const n of edit.newFiles) scalar((e) => { e.newFiles.push(n) })
  for (const part of parts) {
    total += encodeVersionEdit(part).length
    boundaries.add(total)
  }
  const bytes = encodeVersionEdit(edit)
  t.is(total, bytes.length, 'fields concatenate to the whole edit')

  let rejected = 0
  for (let end = 0; end < bytes.length; end++) {
    if (boundaries.has(end)) {
      decodeVersionEdit(bytes.subarray(0, end), FILE) // must not throw
      continue
    }
    try {
      decodeVersionEdit(bytes.subarray(0, end), FILE)
    } catch (err) {
      const e = err as { code?: string; message: string }
      if (e.code === 'LEVEL_CORRUPTION' && e.message.includes(FILE)) rejected++
    }
  }
  t.is(rejected, bytes.length - boundaries.size + 1, `all ${bytes.length - boundaries.size + 1} mid-field prefixes rejected`)
  t.end()
})

test('unknown tags are corruption: the retired 8, and 0, 10, 127, 2^20', (t) => {
  rejects(t, hex('08 00'), 'tag 8', 'unknown tag 8')
  rejects(t, hex('02 03 08'), 'tag 8 after a valid field', 'unknown tag 8')
  rejects(t, hex('00'), 'tag 0', 'unknown tag 0')
  rejects(t, hex('0a 00'), 'tag 10', 'unknown tag 10')
  rejects(t, hex('7f'), 'tag 127', 'unknown tag 127')
  rejects(t, hex('80 80 40'), 'tag 2^20', 'unknown tag 1048576')
  t.end()
})

test('a level of 7 or more is corruption; 6 is fine', (t) => {
  const key = '09 6b0101000000000000'
  t.is(decodeVersionEdit(hex('05 06' + key), FILE).compactPointers[0].level, 6)
  rejects(t, hex('05 07' + key), 'compact pointer level 7', 'level 7')
  rejects(t, hex('06 07 01'), 'deleted file level 7', 'level 7')
  rejects(t, hex('07 07 01 02' + key + key), 'new file level 7', 'level 7')
  rejects(t, hex('06 ff ff ff ff 0f 01'), 'level 2^32 - 1')
  rejects(t, hex('06 80 80 80 80 10 01'), 'level beyond varint32')
  t.end()
})

test('malformed payloads are corruption', (t) => {
  rejects(t, hex('01 05 61 62'), 'comparator longer than the record', 'comparator')
  rejects(t, hex('02 80'), 'log number cut short', 'log number')
  rejects(t, hex('02 ff ff ff ff ff ff ff ff ff 01'), 'log number above 2^64', 'log number')
  rejects(t, hex('02 ff ff ff ff ff ff ff ff ff ff 01'), 'log number of 11 bytes', 'log number')
  rejects(t, hex('04 80 80 80 80 80 80 80 10'), 'last sequence of 2^53', 'last sequence')
  rejects(t, hex('ff ff ff ff ff 01'), 'tag longer than 5 bytes', 'tag')
  rejects(t, hex('05 01 07 6b01000000000000'), 'compact pointer shorter than a trailer', 'compact pointer')
  rejects(t, hex('05 01 00'), 'empty compact pointer', 'compact pointer')
  rejects(t, hex('07 00 01 02 08 0101000000000000 00'), 'new file with an empty largest key', 'new file')
  rejects(t, hex('07 00 01 02 09 6b01010000000000'), 'new file with a truncated smallest key', 'new file')
  t.end()
})

test('the encoder refuses levels LevelDB could not read back', (t) => {
  for (const level of [-1, 7, 1.5]) {
    const a = emptyEdit()
    a.deletedFiles.push({ level, number: 1 })
    t.throws(() => encodeVersionEdit(a), RangeError, `deleted file at level ${level}`)
    const b = emptyEdit()
    b.compactPointers.push({ level, key: ik('a', 1) })
    t.throws(() => encodeVersionEdit(b), RangeError, `compact pointer at level ${level}`)
    const c = emptyEdit()
    c.newFiles.push({ level, file: newFileMeta(1, 1, ik('a', 1), ik('a', 1)) })
    t.throws(() => encodeVersionEdit(c), RangeError, `new file at level ${level}`)
  }
  t.end()
})
