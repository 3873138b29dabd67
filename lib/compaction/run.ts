// Executes a CompactionTask (picker.ts): merges the input files of level L and L+1 in
// internal order, drops what no reader can see any more, and writes the rest as new tables
// for level L+1. Synchronous and unaware of threads: jobs.ts runs it in a worker or inline.
//
// Drop rules (leveldb-format.md §11), with S = the oldest sequence a reader may still use:
//   shadowed   an entry is dropped when a newer entry of its user key has sequence <= S:
//              every reader sees that newer entry (or something newer still) instead
//   tombstone  a deletion with sequence <= S is dropped when no level below L+1 can hold its
//              user key; older entries of the key in the inputs are then shadowed by it anyway
// Sequences are never rewritten (LevelDB keeps them; so do we).
//
// Outputs are cut once they reach maxOutputFileSize, or once they overlap too much of level
// L+2 (OutputCutter), but only between user keys: all surviving versions of one user key
// land in one output. Levels may hold a user key split across two files (LevelDB writes
// them), and version.ts and the picker handle that, but we never create one: it spares the
// next compaction the boundary-file expansion and keeps older LevelDB readers safe.

import { corruption, levelError } from '../base/errors'
import type { Env } from '../env/env'
import { compareRanges, copyRange } from '../format/bytes'
import { tableFileName } from '../format/filename'
import { MAX_SEQUENCE, MAX_USABLE_SEQUENCE, TRAILER_SIZE, ValueKind, compareInternalKeys, putTrailer } from '../format/internal-key'
import { EntryLocation, type InternalIterator } from '../base/internal-iterator'
import { LevelIterator, type TableSource } from '../iterator/level-iterator'
import { mergeIterators } from '../iterator/merging-iterator'
import type { TableBuildOptions } from '../sstable/table-builder'
import { type FileMeta, totalFileSize } from '../version/file-meta'
import type { Version } from '../version/version'
import { type CompactionTask, OutputCutter, isBaseLevelForKey } from './picker'
import { TableFileWriter } from './table-file'

export interface CompactionEnvironment {
  env: Env
  /** The database directory: inputs are read from it and outputs written to it. */
  location: string
  tableOptions: TableBuildOptions
  /** Target size of an output; normally task.maxOutputFileSize. */
  maxFileSize: number
  /** The oldest sequence any reader (snapshot or the latest state) may still read at. */
  smallestSnapshot: number
  /** The version the task was picked from: says which deeper levels may hold a key. */
  version: Version
  /** A fresh file number for each output. */
  newFileNumber: () => number
  /**
   * At most this many outputs (default unlimited). Once the last one is open it is no longer
   * cut and grows past maxFileSize: a preallocated supply of numbers never runs dry mid-job.
   */
  maxOutputs?: number
  openTable: TableSource
}

export interface CompactionResult {
  /** The new level L+1 files, in key order. Empty when every entry was dropped. */
  outputs: FileMeta[]
  /** Total size of the input files. */
  bytesRead: number
  /** Total size of the outputs. */
  bytesWritten: number
  droppedEntries: number
}

// How often (in entries) shouldStop is asked; often enough to stop within milliseconds.
const STOP_CHECK_INTERVAL = 256

/**
 * Runs `task` to completion and returns the outputs, durable on disk but not yet in any
 * version (install them with compactionEdit(task, result.outputs)). On any error every
 * output written so far is deleted and the error rethrown. `shouldStop` is polled now and
 * then; once it returns true the run gives up the same way, with a LEVEL_DATABASE_NOT_OPEN
 * error (it exists so that closing a database need not wait for a long compaction).
 */
export function runCompaction (task: CompactionTask, env: CompactionEnvironment, shouldStop?: () => boolean): CompactionResult {
  const [levelInputs, nextInputs] = task.inputs
  const maxOutputs = env.maxOutputs ?? Infinity
  if (!(maxOutputs >= 1)) throw new RangeError('A compaction needs room for at least one output')

  const outputs: FileMeta[] = []
  let writer: TableFileWriter | undefined
  let droppedEntries = 0
  const input = compactionInput(task, env.openTable)
  const cutter = task.grandparents.length > 0 ? new OutputCutter(task.grandparents, task.maxGrandparentOverlapBytes) : undefined

  // The user key being processed (a copy: iterator views move) and the sequence of the
  // newest entry of it seen so far (MAX_SEQUENCE before the first).
  let currentKey = Buffer.allocUnsafe(64)
  let currentKeyLength = -1
  let newerSequence = MAX_SEQUENCE
  let cutPending = false
  let internalKey = Buffer.allocUnsafe(64)
  let visited = 0
  // Where the current entry lies: read once per entry, with no views made (a view per
  // entry, for its user key and the key before it, was a tenth of a compaction's time).
  const entry = new EntryLocation()

  try {
    for (input.seekToFirst(); input.valid(); input.next()) {
      if (shouldStop !== undefined && ++visited % STOP_CHECK_INTERVAL === 0 && shouldStop()) {
        throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Compaction stopped before it finished')
      }
      input.read(entry)
      const { keySource, keyStart, keyEnd, sequence, kind } = entry
      const keyLength = keyEnd - keyStart

      const order = currentKeyLength < 0 ? 1 : compareRanges(keySource, keyStart, keyEnd, currentKey, 0, currentKeyLength)
      // Inputs out of order, or a sequence we cannot hold, come only from damaged or foreign
      // files: refuse them rather than write them into new tables.
      if (order < 0 || (order === 0 && sequence >= newerSequence) || sequence > MAX_USABLE_SEQUENCE) {
        throw corruption(inputNames(task, env.location), order < 0 || order === 0
          ? `compaction input out of order at '${Buffer.from(keySource.subarray(keyStart, keyEnd)).toString('latin1')}' @ ${sequence}`
          : `sequence number ${sequence} past 2^53 - 1 in compaction input`)
      }
      const firstOfKey = order > 0
      if (firstOfKey) {
        if (currentKey.length < keyLength) currentKey = Buffer.allocUnsafe(keyLength * 2)
        copyRange(keySource, keyStart, keyEnd, currentKey, 0)
        currentKeyLength = keyLength
        newerSequence = MAX_SEQUENCE
      }

      if (cutter !== undefined) {
        // The cutter sees every input key, dropped or not, so it tracks the grandparents the
        // output range spans; its verdict waits for the next user key.
        const length = keyLength + TRAILER_SIZE
        if (internalKey.length < length) internalKey = Buffer.allocUnsafe(length * 2)
        copyRange(keySource, keyStart, keyEnd, internalKey, 0)
        putTrailer(internalKey, keyLength, sequence, kind)
        if (cutter.shouldStopBefore(internalKey, length) && writer !== undefined) cutPending = true
      }

      let drop = false
      if (newerSequence <= env.smallestSnapshot) {
        drop = true
      } else if (kind === ValueKind.Deletion && sequence <= env.smallestSnapshot &&
          isBaseLevelForKey(env.version, task.level, keySource.subarray(keyStart, keyEnd))) {
        drop = true
      }
      newerSequence = sequence
      if (drop) {
        droppedEntries++
        continue
      }

      if (writer !== undefined && firstOfKey && outputs.length + 1 < maxOutputs &&
          (cutPending || writer.fileSize() >= env.maxFileSize)) {
        const finished = writer
        writer = undefined
        outputs.push(finished.finish())
        cutPending = false
      }
      if (writer === undefined) {
        writer = new TableFileWriter(env.env, env.location, env.newFileNumber(), env.tableOptions)
        cutPending = false
      }
      writer.addEntry(entry)
    }
    if (writer !== undefined) {
      const finished = writer
      writer = undefined
      outputs.push(finished.finish())
    }
  } catch (err) {
    writer?.abandon()
    for (const output of outputs) removeQuietly(env.env, tableFileName(env.location, output.number))
    throw err
  } finally {
    input.close()
  }

  return {
    outputs,
    bytesRead: totalFileSize(levelInputs) + totalFileSize(nextInputs),
    bytesWritten: totalFileSize(outputs),
    droppedEntries
  }
}

/** One stream over every input: each level-0 file on its own (they overlap), a level >= 1 as one. */
function compactionInput (task: CompactionTask, source: TableSource): InternalIterator {
  const children: InternalIterator[] = []
  const [levelInputs, nextInputs] = task.inputs
  if (task.level === 0) {
    for (const file of levelInputs) children.push(new LevelIterator([file], source))
  } else if (levelInputs.length > 0) {
    children.push(new LevelIterator(levelInputs.slice().sort(bySmallestKey), source))
  }
  if (nextInputs.length > 0) children.push(new LevelIterator(nextInputs.slice().sort(bySmallestKey), source))
  return mergeIterators(children)
}

function removeQuietly (env: Env, file: string): void {
  try {
    env.remove(file)
  } catch {}
}

/** The input tables, for error messages. */
function inputNames (task: CompactionTask, location: string): string {
  return task.inputs[0].concat(task.inputs[1]).map((file) => tableFileName(location, file.number)).join(', ')
}

function bySmallestKey (a: FileMeta, b: FileMeta): number {
  return compareInternalKeys(a.smallest, b.smallest)
}
