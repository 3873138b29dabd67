// Background work as plain data: a job says everything needed to write its tables, so it
// can cross to a worker thread by structured clone, or run inline. executeJob is the one
// executor for both. The main thread keeps all decisions that need the live state (file
// numbers, which level a flush goes to, the VersionEdit); a job only writes files.
//
// Structured clone turns Buffers into plain Uint8Arrays, so every FileMeta and key that
// crosses is revived on arrival (reviveFileMeta). A memtable crosses as its MemTableImage,
// whose SharedArrayBuffers are shared, not copied.

import { fileError } from '../env/io-error'
import { TRAILER_SIZE } from '../format/internal-key'
import { TableCache } from '../cache/table-cache'
import type { Env } from '../env/env'
import type { InternalIterator } from '../base/internal-iterator'
import type { TableSource } from '../iterator/level-iterator'
import { MemTable, type MemTableImage } from '../memtable/memtable'
import type { TableBuildOptions } from '../sstable/table-builder'
import { NUM_LEVELS } from '../version/constants'
import { type FileMeta, allowedSeeksFor, totalFileSize } from '../version/file-meta'
import { Version } from '../version/version'
import type { CompactionTask } from './picker'
import { runCompaction } from './run'
import { writeTable } from './table-file'

export interface FlushJob {
  kind: 'flush'
  location: string
  tableOptions: TableBuildOptions
  fileNumber: number
  /** A memtable that receives no more writes (MemTable.image()). */
  memtable: MemTableImage
}

export interface CompactionJob {
  kind: 'compaction'
  location: string
  tableOptions: TableBuildOptions
  maxFileSize: number
  smallestSnapshot: number
  task: CompactionTask
  /**
   * Files of the version the task was picked from, NUM_LEVELS lists. Only levels
   * task.level + 2 and deeper are consulted (for the tombstone rule), and only in the task's
   * key range: compactionJob() sends just those.
   */
  versionFiles: FileMeta[][]
  /** Numbers for the outputs, used in order; the last output is not cut once they run out. */
  fileNumbers: number[]
  /** Optional Int32Array cell: store a non-zero value to make the job give up (see runCompaction). */
  stopSignal?: SharedArrayBuffer
}

export type Job = FlushJob | CompactionJob

export interface JobResult {
  /** Tables written, in key order, durable; empty if there was nothing to write. */
  outputs: FileMeta[]
  bytesRead: number
  bytesWritten: number
  /** How many of the job's file numbers became outputs (the first ones). */
  usedFileNumbers: number
  /** Entries a compaction dropped (0 for a flush). */
  droppedEntries: number
}

// Tables a compaction keeps open at once: every level-0 input plus one per sorted level.
// Pinned tables stay open regardless, so this only bounds the idle ones.
const JOB_TABLE_CACHE_SIZE = 16

// A compaction reads each input from start to end; in chunks of this size rather than one
// read(2) per data block (about a kilobyte compressed), which was a tenth of its time.
const COMPACTION_READAHEAD_BYTES = 256 * 1024

/** A flush of `memtable` into table `fileNumber`. */
export function flushJob (location: string, tableOptions: TableBuildOptions, fileNumber: number, memtable: MemTable): FlushJob {
  return { kind: 'flush', location, tableOptions: pickTableOptions(tableOptions), fileNumber, memtable: memtable.image() }
}

/**
 * A compaction job for `task`, picked from `version`, carrying only what the executor needs
 * (keys copied tight, so cloning does not drag whole Buffer pool slabs along). `fileNumbers`
 * should hold fileNumbersNeeded(task) numbers; fewer still works (see CompactionJob).
 */
export function compactionJob (
  location: string,
  tableOptions: TableBuildOptions,
  task: CompactionTask,
  version: Version,
  smallestSnapshot: number,
  fileNumbers: number[],
  stopSignal?: SharedArrayBuffer
): CompactionJob {
  const inputs = task.inputs[0].concat(task.inputs[1])
  const versionFiles: FileMeta[][] = []
  let smallestUser: Uint8Array | undefined
  let largestUser: Uint8Array | undefined
  for (const file of inputs) {
    const small = userKey(file.smallest)
    const large = userKey(file.largest)
    if (smallestUser === undefined || Buffer.compare(small, smallestUser) < 0) smallestUser = small
    if (largestUser === undefined || Buffer.compare(large, largestUser) > 0) largestUser = large
  }
  for (let level = 0; level < NUM_LEVELS; level++) {
    versionFiles.push(level >= task.level + 2 && inputs.length > 0
      ? version.overlappingInputs(level, smallestUser, largestUser).map(portableFileMeta)
      : [])
  }
  const job: CompactionJob = {
    kind: 'compaction',
    location,
    tableOptions: pickTableOptions(tableOptions),
    maxFileSize: task.maxOutputFileSize,
    smallestSnapshot,
    task: {
      ...task,
      inputs: [task.inputs[0].map(portableFileMeta), task.inputs[1].map(portableFileMeta)],
      grandparents: task.grandparents.map(portableFileMeta),
      newCompactPointer: task.newCompactPointer === undefined ? undefined : tightCopy(task.newCompactPointer)
    },
    versionFiles,
    fileNumbers
  }
  if (stopSignal !== undefined) job.stopSignal = stopSignal
  return job
}

/**
 * Enough output numbers for the worst case without recompression: one per maxFileSize of
 * input, one per grandparent cut, and slack for the partial outputs at either end.
 */
export function fileNumbersNeeded (task: CompactionTask): number {
  const input = totalFileSize(task.inputs[0]) + totalFileSize(task.inputs[1])
  return Math.ceil(input / task.maxOutputFileSize) + task.grandparents.length + 2
}

/** Runs a job synchronously in `env`. Errors are LEVEL_* errors (filesystem failures become LEVEL_IO_ERROR). */
export function executeJob (job: Job, env: Env): JobResult {
  try {
    return job.kind === 'flush' ? executeFlush(job, env) : executeCompaction(job, env)
  } catch (err) {
    throw asLevelError(err)
  }
}

function executeFlush (job: FlushJob, env: Env): JobResult {
  const memtable = MemTable.fromImage(job.memtable)
  const meta = writeTable(env, job.location, job.fileNumber, memtable.iterator(), job.tableOptions)
  const outputs = meta === undefined ? [] : [meta]
  return {
    outputs,
    bytesRead: job.memtable.used,
    bytesWritten: totalFileSize(outputs),
    usedFileNumbers: outputs.length,
    droppedEntries: 0
  }
}

function executeCompaction (job: CompactionJob, env: Env): JobResult {
  const task = reviveTask(job.task)
  if (job.versionFiles.length !== NUM_LEVELS) throw new RangeError(`A compaction job needs ${NUM_LEVELS} levels of files`)
  const version = new Version(job.versionFiles.map((files) => files.map(reviveFileMeta)))
  const numbers = job.fileNumbers
  let used = 0
  const cache = new TableCache(env, job.location, JOB_TABLE_CACHE_SIZE, undefined, COMPACTION_READAHEAD_BYTES)
  const stop = job.stopSignal === undefined ? undefined : new Int32Array(job.stopSignal)
  try {
    const result = runCompaction(task, {
      env,
      location: job.location,
      tableOptions: job.tableOptions,
      maxFileSize: job.maxFileSize,
      smallestSnapshot: job.smallestSnapshot,
      version,
      maxOutputs: numbers.length,
      newFileNumber: () => {
        // maxOutputs keeps runCompaction within the supply; this guards the guarantee.
        if (used >= numbers.length) throw new RangeError(`Compaction job ran out of its ${numbers.length} file numbers`)
        return numbers[used++]
      },
      openTable: tableSource(cache)
    }, stop === undefined ? undefined : () => Atomics.load(stop, 0) !== 0)
    return { ...result, usedFileNumbers: used }
  } finally {
    cache.close()
  }
}

/** Opens tables through `cache`, without filling a block cache. */
export function tableSource (cache: TableCache): TableSource {
  return { open: (file: FileMeta): InternalIterator => cache.iterator(file, false) }
}

// --- crossing threads ---

/** A FileMeta whose keys survived structured clone as Uint8Arrays, with Buffers again. */
export function reviveFileMeta (file: FileMeta): FileMeta {
  if (Buffer.isBuffer(file.smallest) && Buffer.isBuffer(file.largest) && typeof file.allowedSeeks === 'number') return file
  return {
    number: file.number,
    size: file.size,
    smallest: asBuffer(file.smallest),
    largest: asBuffer(file.largest),
    allowedSeeks: typeof file.allowedSeeks === 'number' ? file.allowedSeeks : allowedSeeksFor(file.size)
  }
}

/** A result that came back from a worker, with Buffers restored. */
export function reviveJobResult (result: JobResult): JobResult {
  return { ...result, outputs: result.outputs.map(reviveFileMeta) }
}

/** A copy of `file` with keys in their own exact-size buffers, cheap to clone. */
export function portableFileMeta (file: FileMeta): FileMeta {
  return {
    number: file.number,
    size: file.size,
    smallest: tightCopy(file.smallest),
    largest: tightCopy(file.largest),
    allowedSeeks: file.allowedSeeks
  }
}

export function portableJobResult (result: JobResult): JobResult {
  return { ...result, outputs: result.outputs.map(portableFileMeta) }
}

function reviveTask (task: CompactionTask): CompactionTask {
  return {
    ...task,
    inputs: [task.inputs[0].map(reviveFileMeta), task.inputs[1].map(reviveFileMeta)],
    grandparents: task.grandparents.map(reviveFileMeta),
    newCompactPointer: task.newCompactPointer === undefined ? undefined : asBuffer(task.newCompactPointer)
  }
}

/** Filesystem errors (ENOSPC, EACCES, ...) as LEVEL_IO_ERROR; LEVEL_* errors and bugs as they are. */
function asLevelError (err: unknown): unknown {
  const e = err as { code?: unknown, syscall?: unknown } | null
  if (e === null || typeof e !== 'object') return err
  if (typeof e.code === 'string' && e.code.startsWith('LEVEL_')) return err
  if (typeof e.syscall === 'string') return fileError(e.syscall, String((e as { path?: unknown }).path ?? 'a table file'), err)
  return err
}

function pickTableOptions (options: TableBuildOptions): TableBuildOptions {
  return { blockSize: options.blockSize, blockRestartInterval: options.blockRestartInterval, compression: options.compression }
}

// Buffer.alloc never hands out a slice of the shared pool, so a clone copies just these bytes.
function tightCopy (bytes: Uint8Array): Buffer {
  const copy = Buffer.alloc(bytes.length)
  copy.set(bytes)
  return copy
}

function asBuffer (bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function userKey (internalKey: Buffer): Buffer {
  return internalKey.subarray(0, internalKey.length - TRAILER_SIZE)
}
