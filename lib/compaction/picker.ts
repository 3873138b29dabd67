// Compaction policy: which files to merge next, and how to cut the output. Pure functions over
// a Version and the per-level compact pointers; no I/O, no timers, no state of their own
// (leveldb-format.md §11). The runner executes a CompactionTask and applies compactionEdit().
//
// The shape follows LevelDB so a directory keeps the same structure whichever engine wrote it:
//   score    L0: files / 4. L1+: bytes / (10 MiB * 10^(L-1)). Highest score >= 1 wins; else a
//            file that used up its seek allowance.
//   inputs   the first file of L past L's compact pointer (wrapping); at L0 every L0 file that
//            overlaps it; then the L+1 files in range; then more L files if that pulls in no
//            more L+1 files and the total stays under 25 * maxFileSize.
//   outputs  cut early once an output overlaps 10 * maxFileSize bytes of L+2 (OutputCutter).

import { TRAILER_SIZE, compareInternalKeyRanges, compareInternalKeys } from '../format/internal-key'
import {
  L0_COMPACTION_TRIGGER, NUM_LEVELS, expandedCompactionByteSizeLimit, maxBytesForLevel, maxGrandparentOverlapBytes
} from '../version/constants'
import { type FileMeta, smallestUserKey, totalFileSize } from '../version/file-meta'
import { type VersionEdit, emptyEdit } from '../version/version-edit'
import type { Version } from '../version/version'

export interface PickerOptions {
  /** Target size of an output table; also scales the grandparent and expansion limits. */
  maxFileSize: number
  /** L0 file count that makes L0's score 1. Default 4. */
  l0CompactionTrigger?: number
  /** Size target of L1 (deeper levels x10 each). Default 10 MiB. */
  level1MaxBytes?: number
}

export interface CompactionTask {
  /** Inputs come from `level` and `level + 1`; outputs go to `level + 1`. */
  level: number
  /** [files of level, files of level + 1]. Level-0 inputs are newest first, others by key. */
  inputs: [FileMeta[], FileMeta[]]
  /** Files of level + 2 overlapping the whole input range, sorted by key: for OutputCutter. */
  grandparents: FileMeta[]
  /** Largest internal key of the level inputs: the level's next compact pointer. Always set by the picker. */
  newCompactPointer?: Buffer
  reason: 'size' | 'seek' | 'manual'
  /** Start a new output once the current one reaches this many bytes. */
  maxOutputFileSize: number
  /** Start a new output once the current one overlaps this many bytes of grandparents. */
  maxGrandparentOverlapBytes: number
}

/** Compaction scores of levels 0..NUM_LEVELS-2 (the last level has nowhere to go). >= 1 means due. */
export function levelScores (version: Version, options: PickerOptions): number[] {
  const trigger = options.l0CompactionTrigger ?? L0_COMPACTION_TRIGGER
  const scores: number[] = []
  for (let level = 0; level < NUM_LEVELS - 1; level++) {
    // L0 is scored by count: every L0 file costs a probe on each read, whatever its size,
    // and with a small write buffer many tiny L0 files would otherwise never trigger.
    scores.push(level === 0
      ? version.numFiles(0) / trigger
      : version.levelBytes(level) / maxBytesForLevel(level, options.level1MaxBytes))
  }
  return scores
}

/**
 * The next compaction the policy wants, or undefined if none is due. `compactPointers[L]` is
 * the largest key of L's previous compaction (so a level is worked through round-robin).
 * `seekCandidate` is a file whose seek allowance ran out; it is used only when no level is
 * over its size, and ignored if it is no longer in `version`.
 */
export function pickCompaction (
  version: Version,
  compactPointers: ReadonlyArray<Buffer | undefined>,
  options: PickerOptions,
  seekCandidate?: { level: number; file: FileMeta }
): CompactionTask | undefined {
  const scores = levelScores(version, options)
  let best = 0
  for (let level = 1; level < scores.length; level++) {
    if (scores[level] > scores[best]) best = level
  }

  if (scores[best] >= 1) {
    const pointer = compactPointers[best]
    // LevelDB walks every level, L0 included, in smallest-key order.
    const files = best === 0 ? version.files[0].slice().sort(bySmallestKey) : version.files[best]
    let picked = files[0]
    if (pointer !== undefined) {
      picked = files.find((file) => compareInternalKeys(file.largest, pointer) > 0) ?? files[0]
    }
    return buildTask(version, best, [picked], 'size', options)
  }

  if (seekCandidate !== undefined && seekCandidate.level < NUM_LEVELS - 1) {
    const file = version.files[seekCandidate.level].find((f) => f.number === seekCandidate.file.number)
    if (file !== undefined) return buildTask(version, seekCandidate.level, [file], 'seek', options)
  }
  return undefined
}

/**
 * A compaction of `level`'s files in the user-key range [begin, end] (undefined = open), for
 * compactRange; undefined when the level holds nothing there. Above L0 the inputs stop after
 * the file that brings them to maxFileSize, so one manual step stays about as big as a normal
 * one. The caller repeats with begin = the largest user key of task.inputs[0] until this
 * returns undefined, then moves to the next level. L0 is never split: its files overlap.
 */
export function pickRangeCompaction (
  version: Version,
  level: number,
  begin: Uint8Array | undefined,
  end: Uint8Array | undefined,
  options: PickerOptions
): CompactionTask | undefined {
  if (!Number.isInteger(level) || level < 0 || level >= NUM_LEVELS - 1) {
    throw new RangeError(`Cannot compact level ${level}`)
  }
  let inputs = version.overlappingInputs(level, begin, end)
  if (inputs.length === 0) return undefined
  if (level > 0) {
    let total = 0
    for (let i = 0; i < inputs.length; i++) {
      total += inputs[i].size
      if (total >= options.maxFileSize) {
        inputs = inputs.slice(0, i + 1)
        break
      }
    }
  }
  return buildTask(version, level, inputs, 'manual', options)
}

/**
 * Whether the task can move its one input file down a level without rewriting it: nothing
 * to merge with at level + 1, and not so much grandparent overlap that the moved file would
 * make a later compaction expensive. Manual compactions always rewrite (the caller asked for it).
 */
export function isTrivialMove (task: CompactionTask): boolean {
  return task.reason !== 'manual' &&
    task.inputs[0].length === 1 &&
    task.inputs[1].length === 0 &&
    totalFileSize(task.grandparents) <= task.maxGrandparentOverlapBytes
}

/**
 * The edit that installs a finished task: the new compact pointer, every input deleted, and
 * `outputs` added at level + 1. For a trivial move pass task.inputs[0] as the outputs.
 */
export function compactionEdit (task: CompactionTask, outputs: readonly FileMeta[]): VersionEdit {
  const edit = emptyEdit()
  if (task.newCompactPointer !== undefined) edit.compactPointers.push({ level: task.level, key: task.newCompactPointer })
  for (let which = 0; which < 2; which++) {
    for (const file of task.inputs[which]) edit.deletedFiles.push({ level: task.level + which, number: file.number })
  }
  for (const file of outputs) edit.newFiles.push({ level: task.level + 1, file })
  return edit
}

/**
 * Decides where to end compaction output files so none overlaps too much of level L+2 (the
 * grandparents): each such byte is rewritten again when that output is itself compacted.
 * Feed it every key about to be written, in order; a true answer means "finish the current
 * output first". Size-based cutting (maxOutputFileSize) is the caller's.
 */
export class OutputCutter {
  readonly #grandparents: readonly FileMeta[]
  readonly #limit: number
  #index = 0
  #seenKey = false
  #overlappedBytes = 0

  constructor (grandparents: readonly FileMeta[], maxGrandparentOverlapBytes: number) {
    this.#grandparents = grandparents
    this.#limit = maxGrandparentOverlapBytes
  }

  /** `length`: how much of internalKey is the key (a reused buffer may be longer). */
  shouldStopBefore (internalKey: Uint8Array, length = internalKey.length): boolean {
    const grandparents = this.#grandparents
    while (this.#index < grandparents.length) {
      const largest = grandparents[this.#index].largest
      if (compareInternalKeyRanges(internalKey, 0, length, largest, 0, largest.length) <= 0) break
      // A grandparent passed before the first key never overlapped this output.
      if (this.#seenKey) this.#overlappedBytes += grandparents[this.#index].size
      this.#index++
    }
    this.#seenKey = true
    if (this.#overlappedBytes > this.#limit) {
      this.#overlappedBytes = 0
      return true
    }
    return false
  }
}

/**
 * Whether no level below level + 1 can hold userKey: then a compaction of `level` into
 * level + 1 may drop a tombstone for it (once no snapshot needs it), because nothing older
 * is left for the tombstone to hide.
 */
export function isBaseLevelForKey (version: Version, level: number, userKey: Uint8Array): boolean {
  for (let deeper = level + 2; deeper < NUM_LEVELS; deeper++) {
    if (version.overlapsLevel(deeper, userKey, userKey)) return false
  }
  return true
}

function bySmallestKey (a: FileMeta, b: FileMeta): number {
  return compareInternalKeys(a.smallest, b.smallest) || a.number - b.number
}

/** Smallest and largest internal keys over `files` (non-empty). */
function keyRange (files: readonly FileMeta[]): { smallest: Buffer; largest: Buffer } {
  let smallest = files[0].smallest
  let largest = files[0].largest
  for (let i = 1; i < files.length; i++) {
    if (compareInternalKeys(files[i].smallest, smallest) < 0) smallest = files[i].smallest
    if (compareInternalKeys(files[i].largest, largest) > 0) largest = files[i].largest
  }
  return { smallest, largest }
}

/**
 * At a level >= 1 one user key can span adjacent files, the newer entries in the left one.
 * Compacting the left file alone would push the newer entries below the older ones, and
 * reads would then find the older value first. So while a file of the level starts with the
 * user key the inputs end on, take it too.
 */
function withBoundaryInputs (levelFiles: readonly FileMeta[], inputs: FileMeta[]): FileMeta[] {
  if (inputs.length === 0) return inputs
  const out = inputs.slice()
  let { largest } = keyRange(out)
  for (;;) {
    const user = userOf(largest)
    let next: FileMeta | undefined
    for (const file of levelFiles) {
      if (compareInternalKeys(file.smallest, largest) <= 0) continue
      if (!smallestUserKey(file).equals(user)) continue
      if (next === undefined || compareInternalKeys(file.smallest, next.smallest) < 0) next = file
    }
    if (next === undefined) return out
    out.push(next)
    largest = next.largest
  }
}

function buildTask (
  version: Version,
  level: number,
  picked: FileMeta[],
  reason: CompactionTask['reason'],
  options: PickerOptions
): CompactionTask {
  const maxFileSize = options.maxFileSize
  let inputs0 = picked
  if (level === 0) {
    // Older overlapping L0 files must go down together, or they would end up above newer data.
    const range = keyRange(inputs0)
    inputs0 = version.overlappingInputs(0, userOf(range.smallest), userOf(range.largest))
  } else {
    inputs0 = withBoundaryInputs(version.files[level], inputs0)
  }

  let range = keyRange(inputs0)
  let inputs1 = version.overlappingInputs(level + 1, userOf(range.smallest), userOf(range.largest))
  let all = keyRange(inputs0.concat(inputs1))

  if (inputs1.length > 0) {
    // Widen the level-L side to the range the L+1 inputs cover, if that is free: it does not
    // pull in more L+1 files and the whole compaction stays bounded.
    let expanded0 = version.overlappingInputs(level, userOf(all.smallest), userOf(all.largest))
    if (level > 0) expanded0 = withBoundaryInputs(version.files[level], expanded0)
    const inputs1Size = totalFileSize(inputs1)
    if (expanded0.length > inputs0.length &&
        inputs1Size + totalFileSize(expanded0) < expandedCompactionByteSizeLimit(maxFileSize)) {
      const expandedRange = keyRange(expanded0)
      const expanded1 = version.overlappingInputs(level + 1, userOf(expandedRange.smallest), userOf(expandedRange.largest))
      if (expanded1.length === inputs1.length) {
        inputs0 = expanded0
        inputs1 = expanded1
        range = expandedRange
        all = keyRange(inputs0.concat(inputs1))
      }
    }
  }

  const grandparents = level + 2 < NUM_LEVELS
    ? version.overlappingInputs(level + 2, userOf(all.smallest), userOf(all.largest))
    : []

  return {
    level,
    inputs: [inputs0, inputs1],
    grandparents,
    newCompactPointer: range.largest,
    reason,
    maxOutputFileSize: maxFileSize,
    maxGrandparentOverlapBytes: maxGrandparentOverlapBytes(maxFileSize)
  }
}

function userOf (internalKey: Buffer): Buffer {
  return internalKey.subarray(0, internalKey.length - TRAILER_SIZE)
}
