// A Version: the set of live table files per level at one point in time. Immutable once
// built; readers and compactions pin the Version they started with while newer ones are
// installed. All queries here are pure (no I/O).
//
// Invariants:
//   level 0    files may overlap; kept newest first (file number descending), the order reads
//              must search them in
//   levels 1+  sorted by smallest internal key, no two files overlapping in internal-key
//              order (one user key may still span two adjacent files, with its newer entries
//              in the left file)

import { compareRanges } from '../format/bytes'
import { TRAILER_SIZE, compareInternalKeys, trailerSequence, MAX_SEQUENCE } from '../format/internal-key'
import { corruption } from '../base/errors'
import { MAX_MEM_COMPACT_LEVEL, NUM_LEVELS } from './constants'
import { type FileMeta, describeFileMeta, totalFileSize } from './file-meta'
import type { VersionEdit } from './version-edit'

/** userKey versus the user-key part of internal key `ikey`, without slicing. */
function compareUserToInternal (userKey: Uint8Array, ikey: Buffer): number {
  return compareRanges(userKey, 0, userKey.length, ikey, 0, ikey.length - TRAILER_SIZE)
}

/** Whether the user-key range [begin, end] meets the file (an undefined bound is open). */
function fileOverlaps (file: FileMeta, begin: Uint8Array | undefined, end: Uint8Array | undefined): boolean {
  if (begin !== undefined && compareUserToInternal(begin, file.largest) > 0) return false
  if (end !== undefined && compareUserToInternal(end, file.smallest) < 0) return false
  return true
}

/** In a sorted, disjoint level: index of the first file whose largest user key is >= userKey. */
function firstFileEndingAtOrAfter (files: readonly FileMeta[], userKey: Uint8Array): number {
  let lo = 0
  let hi = files.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareUserToInternal(userKey, files[mid].largest) > 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * In a sorted, disjoint level: index of the first file whose largest internal key is at or
 * after the lookup key (userKey, sequence). Deciding by internal key matters when a user key
 * spans two files: a read at an older snapshot must land in the right-hand file.
 */
function firstFileForLookup (files: readonly FileMeta[], userKey: Uint8Array, sequence: number): number {
  let lo = 0
  let hi = files.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const largest = files[mid].largest
    const c = compareUserToInternal(userKey, largest)
    // Same user key: the file ends before the lookup key iff its last entry is newer than the snapshot.
    const before = c > 0 || (c === 0 && trailerSequence(largest, largest.length - TRAILER_SIZE) > sequence)
    if (before) lo = mid + 1
    else hi = mid
  }
  return lo
}

function emptyLevels (): FileMeta[][] {
  const levels: FileMeta[][] = []
  for (let i = 0; i < NUM_LEVELS; i++) levels.push([])
  return levels
}

export class Version {
  /** Files per level, 0..NUM_LEVELS-1, in the order described above. Frozen: never mutate. */
  readonly files: FileMeta[][]

  /** Takes ownership of `files`, which must already satisfy the invariants (use applyEdit to build one). */
  constructor (files: FileMeta[][] = emptyLevels()) {
    if (files.length !== NUM_LEVELS) throw new RangeError(`A version has ${NUM_LEVELS} levels, not ${files.length}`)
    for (const level of files) Object.freeze(level)
    this.files = Object.freeze(files) as FileMeta[][]
  }

  numFiles (level: number): number {
    return this.files[level].length
  }

  levelBytes (level: number): number {
    return totalFileSize(this.files[level])
  }

  /**
   * Visits the files a Get must search for userKey, in search order: every L0 file whose range
   * holds the key, newest first, then at most one file per deeper level. `sequence` is the
   * read's snapshot. `visit` returns true to stop (the key was found or deleted).
   */
  forEachFileForGet (
    userKey: Uint8Array,
    sequence: number,
    visit: (file: FileMeta, level: number) => boolean | void
  ): void {
    for (const file of this.files[0]) {
      if (fileOverlaps(file, userKey, userKey) && visit(file, 0) === true) return
    }
    for (let level = 1; level < NUM_LEVELS; level++) {
      const files = this.files[level]
      if (files.length === 0) continue
      const i = firstFileForLookup(files, userKey, sequence)
      if (i < files.length && compareUserToInternal(userKey, files[i].smallest) >= 0) {
        if (visit(files[i], level) === true) return
      }
    }
  }

  /** Whether a level-0 file's key range holds userKey (a Get searches it then). */
  level0Holds (file: FileMeta, userKey: Uint8Array): boolean {
    return fileOverlaps(file, userKey, userKey)
  }

  /** The one file of sorted level `level` >= 1 a Get of (userKey, sequence) must search, if any. */
  fileForGet (level: number, userKey: Uint8Array, sequence: number): FileMeta | undefined {
    const files = this.files[level]
    if (files.length === 0) return undefined
    const i = firstFileForLookup(files, userKey, sequence)
    return i < files.length && compareUserToInternal(userKey, files[i].smallest) >= 0 ? files[i] : undefined
  }

  /** The candidate files of forEachFileForGet as a list (for tests and debugging). */
  filesForGet (userKey: Uint8Array, sequence = MAX_SEQUENCE): FileMeta[] {
    const out: FileMeta[] = []
    this.forEachFileForGet(userKey, sequence, (file) => { out.push(file) })
    return out
  }

  /**
   * Files of `level` that meet the user-key range [begin, end] (undefined = unbounded). At
   * level 0 the range grows to cover every file it touches, and whatever those touch, so the
   * result can be compacted without leaving an older overlapping L0 file behind.
   */
  overlappingInputs (level: number, begin?: Uint8Array, end?: Uint8Array): FileMeta[] {
    const files = this.files[level]
    if (level > 0) {
      const out: FileMeta[] = []
      let i = begin === undefined ? 0 : firstFileEndingAtOrAfter(files, begin)
      for (; i < files.length; i++) {
        if (end !== undefined && compareUserToInternal(end, files[i].smallest) < 0) break
        out.push(files[i])
      }
      return out
    }
    const taken = new Set<FileMeta>()
    let grew = true
    while (grew) {
      grew = false
      for (const file of files) {
        if (taken.has(file) || !fileOverlaps(file, begin, end)) continue
        taken.add(file)
        if (begin !== undefined && compareUserToInternal(begin, file.smallest) > 0) {
          begin = file.smallest.subarray(0, file.smallest.length - TRAILER_SIZE)
          grew = true
        }
        if (end !== undefined && compareUserToInternal(end, file.largest) < 0) {
          end = file.largest.subarray(0, file.largest.length - TRAILER_SIZE)
          grew = true
        }
      }
    }
    return files.filter((file) => taken.has(file))
  }

  /** Whether any file of `level` meets the user-key range [smallest, largest] (undefined = unbounded). */
  overlapsLevel (level: number, smallestUser?: Uint8Array, largestUser?: Uint8Array): boolean {
    const files = this.files[level]
    if (level === 0) return files.some((file) => fileOverlaps(file, smallestUser, largestUser))
    const i = smallestUser === undefined ? 0 : firstFileEndingAtOrAfter(files, smallestUser)
    if (i >= files.length) return false
    return largestUser === undefined || compareUserToInternal(largestUser, files[i].smallest) >= 0
  }

  /**
   * Where a flushed memtable spanning [smallestUser, largestUser] goes: L0 if it overlaps L0,
   * else pushed down (at most to MAX_MEM_COMPACT_LEVEL) while the next level holds nothing in
   * the range and the level after that overlaps it by at most maxGrandparentOverlapBytes.
   * Skipping L0 saves a compaction; the grandparent limit keeps the later one cheap.
   */
  pickLevelForMemTableOutput (smallestUser: Uint8Array, largestUser: Uint8Array, maxGrandparentOverlapBytes: number): number {
    let level = 0
    if (this.overlapsLevel(0, smallestUser, largestUser)) return level
    while (level < MAX_MEM_COMPACT_LEVEL) {
      if (this.overlapsLevel(level + 1, smallestUser, largestUser)) break
      if (level + 2 < NUM_LEVELS) {
        const overlap = totalFileSize(this.overlappingInputs(level + 2, smallestUser, largestUser))
        if (overlap > maxGrandparentOverlapBytes) break
      }
      level++
    }
    return level
  }

  /** `files[ n0 n1 ... n6 ]`: file counts per level. */
  summary (): string {
    return `files[ ${this.files.map((level) => level.length).join(' ')} ]`
  }

  /** One line per file under `--- level N ---` headers, like LevelDB's `leveldb.sstables`. */
  describe (): string {
    let out = ''
    for (let level = 0; level < NUM_LEVELS; level++) {
      out += `--- level ${level} ---\n`
      for (const file of this.files[level]) out += ` ${describeFileMeta(file)}\n`
    }
    return out
  }
}

function byNewest (a: FileMeta, b: FileMeta): number {
  return b.number - a.number
}

function bySmallestKey (a: FileMeta, b: FileMeta): number {
  return compareInternalKeys(a.smallest, b.smallest) || a.number - b.number
}

/**
 * A new Version: `base` with the edit's deleted files removed, then its new files added.
 * Deletes apply to the base only, so an edit that deletes and adds the same file at one level
 * ends up with the added file (as in LevelDB). Deleting a file the base lacks is ignored, as
 * LevelDB does during recovery. Throws LEVEL_CORRUPTION (naming `source`, e.g. the MANIFEST)
 * if a level the edit touches would hold one file number twice, a file whose smallest key is
 * after its largest, or (levels >= 1) two overlapping files.
 */
export function applyEdit (base: Version, edit: VersionEdit, source = 'version edit'): Version {
  if (edit.deletedFiles.length === 0 && edit.newFiles.length === 0) return base

  const deleted: Array<Set<number> | undefined> = []
  for (const { level, number } of edit.deletedFiles) {
    (deleted[level] ??= new Set()).add(number)
  }
  const added: Array<FileMeta[] | undefined> = []
  for (const { level, file } of edit.newFiles) {
    (added[level] ??= []).push(file)
  }

  const levels: FileMeta[][] = []
  for (let level = 0; level < NUM_LEVELS; level++) {
    const gone = deleted[level]
    const fresh = added[level]
    if (gone === undefined && fresh === undefined) {
      levels.push(base.files[level]) // untouched levels are shared between versions
      continue
    }
    let files = gone === undefined ? base.files[level].slice() : base.files[level].filter((f) => !gone.has(f.number))
    if (fresh !== undefined) files = files.concat(fresh)
    files.sort(level === 0 ? byNewest : bySmallestKey)
    checkLevel(files, level, source)
    levels.push(files)
  }
  return new Version(levels)
}

// Only the levels an edit touches are checked, which keeps recovery of a long MANIFEST linear.
function checkLevel (files: FileMeta[], level: number, source: string): void {
  const numbers = new Set<number>()
  for (let i = 0; i < files.length; i++) {
    const file = files[i]
    if (numbers.has(file.number)) throw corruption(source, `file ${file.number} appears twice in level ${level}`)
    numbers.add(file.number)
    if (compareInternalKeys(file.smallest, file.largest) > 0) {
      throw corruption(source, `file ${file.number} has its smallest key after its largest in level ${level}`)
    }
    if (level > 0 && i > 0 && compareInternalKeys(files[i - 1].largest, file.smallest) >= 0) {
      throw corruption(source, `files ${files[i - 1].number} and ${file.number} overlap in level ${level}`)
    }
  }
}
