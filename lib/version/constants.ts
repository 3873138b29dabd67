// LevelDB's level-structure constants (leveldb-format.md §11). Only NUM_LEVELS is format: a
// MANIFEST that names level 7 or above fails to open. The rest is policy, kept at LevelDB's
// values so a directory behaves the same whichever engine last wrote it.

/** Levels L0..L6. A level >= this in a MANIFEST is corruption. */
export const NUM_LEVELS = 7

/** L0 file count at which a compaction is due (L0 score = files / trigger). */
export const L0_COMPACTION_TRIGGER = 4

/** L0 file count at which each write is delayed by about 1 ms, so compaction can catch up. */
export const L0_SLOWDOWN_WRITES_TRIGGER = 8

/** L0 file count at which writes wait for a compaction to finish. */
export const L0_STOP_WRITES_TRIGGER = 12

/** A flushed memtable may be placed at most this deep when it overlaps nothing on the way. */
export const MAX_MEM_COMPACT_LEVEL = 2

/** LevelDB's default max_file_size: the target size of a table written by a compaction. */
export const DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024

/** Size target of L1; each deeper level holds ten times more. */
export const LEVEL1_MAX_BYTES = 10 * 1024 * 1024

const LEVEL_SIZE_MULTIPLIER = 10

/** Byte target of a level (L0 is scored by file count, but gets L1's figure for completeness). */
export function maxBytesForLevel (level: number, level1MaxBytes = LEVEL1_MAX_BYTES): number {
  let bytes = level1MaxBytes
  for (let l = 2; l <= level; l++) bytes *= LEVEL_SIZE_MULTIPLIER
  return bytes
}

/** An output file is cut once it overlaps this many bytes of level L+2, so a later compaction of it stays small. */
export function maxGrandparentOverlapBytes (maxFileSize: number): number {
  return 10 * maxFileSize
}

/** Growing the level-L inputs stops once L and L+1 inputs together would reach this. */
export function expandedCompactionByteSizeLimit (maxFileSize: number): number {
  return 25 * maxFileSize
}
