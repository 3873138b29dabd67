// The write path: ops are encoded into the group of the current tick (write-queue.ts does
// the group commit), and this is the WriteTarget that the queue drives: the stall policy
// (makeRoom), WAL appends and syncs, and memtable inserts. A failure of the WAL puts the
// database in the background-error state, which refuses every later write.

import { L0_SLOWDOWN_WRITES_TRIGGER, L0_STOP_WRITES_TRIGGER } from '../version/constants'
import type { VersionSet } from '../version/version-set'
import { applyBatch } from '../wal/write-batch'
import type { Activity } from './activity'
import type { BackgroundWork } from './background'
import type { BackgroundErrors } from './background-errors'
import type { MemTables } from './memtables'
import type { WalManager } from './wal-manager'
import { WriteQueue, type WriteTarget } from './write-queue'

export class WritePath implements WriteTarget {
  readonly queue: WriteQueue

  constructor (
    private readonly memtables: MemTables,
    private readonly versions: VersionSet,
    private readonly background: BackgroundWork,
    private readonly errors: BackgroundErrors,
    private readonly wal: () => WalManager,
    /** Counts user bytes; its stalls hear what makeRoom does with each group. */
    private readonly activity: Activity
  ) {
    this.queue = new WriteQueue(this)
  }

  put (key: string | Uint8Array, value: string | Uint8Array, sync: boolean): Promise<void> {
    const group = this.queue.current()
    group.builder.put(key, value)
    return this.queue.commit(group, sync)
  }

  del (key: string | Uint8Array, sync: boolean): Promise<void> {
    const group = this.queue.current()
    group.builder.del(key)
    return this.queue.commit(group, sync)
  }

  /** Applies the ops atomically: they share one WAL record with the rest of their group. */
  batch (operations: ReadonlyArray<{ type: 'put' | 'del', key: string | Uint8Array, value?: string | Uint8Array }>, sync: boolean): Promise<void> {
    // Check every op before encoding any, so a bad one cannot leave half a batch in the group.
    for (const op of operations) {
      if (!isBytes(op.key) || (op.type === 'put' && !isBytes(op.value))) {
        return Promise.reject(new TypeError('Batch keys and values must be strings, Buffers or Uint8Arrays'))
      }
    }
    const group = this.queue.current()
    for (const op of operations) {
      if (op.type === 'put') group.builder.put(op.key, op.value as string | Uint8Array)
      else group.builder.del(op.key)
    }
    return this.queue.commit(group, sync)
  }

  /** Writes an already encoded WriteBatch (a chained batch) atomically. */
  writeEncoded (encoded: Uint8Array, sync: boolean): Promise<void> {
    const group = this.queue.current()
    group.builder.appendBatch(encoded)
    return this.queue.commit(group, sync)
  }

  // --- WriteTarget: driven by the WriteQueue ---

  checkWritable (): void {
    const error = this.errors.error
    if (error !== undefined) throw error
  }

  makeRoom (allowDelay: boolean): Promise<void> | undefined {
    const stalls = this.activity.stalls
    const error = this.errors.error
    if (error !== undefined) {
      stalls.end()
      return Promise.reject(error)
    }
    const level0Files = this.versions.current.numFiles(0)
    const slowing = level0Files >= L0_SLOWDOWN_WRITES_TRIGGER
    if (allowDelay && slowing) {
      // Many level-0 files: give compaction a millisecond per write group rather than stall
      // the writers outright later (LevelDB's slowdown, as a timer instead of a sleep).
      stalls.begin('level0-slowdown')
      return new Promise((resolve) => setTimeout(resolve, 1))
    }
    if (!this.memtables.full) {
      if (this.memtables.halfFull) this.wal().prepare()
      stalls.pass(slowing)
      return undefined
    }
    const background = this.background
    if (!this.memtables.canSeal) {
      // Back-pressure: the sealed memtables are still being flushed.
      stalls.begin('memtable-full')
      background.startFlush()
      return background.flushing ?? new Promise((resolve) => setTimeout(resolve, 1))
    }
    if (level0Files >= L0_STOP_WRITES_TRIGGER) {
      stalls.begin('level0-files')
      background.maybeScheduleCompaction()
      return background.compacting ?? new Promise((resolve) => setTimeout(resolve, 1))
    }
    try {
      background.switchMemTable()
    } catch (err) {
      this.errors.set(err as Error, 'wal')
      stalls.end()
      return Promise.reject(err)
    }
    stalls.pass(slowing)
    return undefined
  }

  appendToLog (batch: Buffer): Promise<void> | undefined {
    let appending: Promise<void> | undefined
    try {
      appending = this.wal().append(batch)
    } catch (err) {
      this.errors.set(err as Error, 'wal')
      throw err
    }
    return appending?.catch((err) => {
      this.errors.set(err as Error, 'wal')
      throw err
    })
  }

  syncLog (): Promise<void> {
    return this.wal().sync().catch((err) => {
      this.errors.set(err as Error, 'wal')
      throw err
    })
  }

  apply (batch: Buffer, firstSequence: number, count: number, userBytes: number): void {
    applyBatch(this.memtables.mem, batch, firstSequence)
    this.activity.userBytesWritten += userBytes
    this.versions.lastSequence = firstSequence + count - 1
    // With the sequence, in the same step: a checkpoint reads both together.
    this.wal().markApplied()
  }

  lastSequence (): number {
    return this.versions.lastSequence
  }

  /** Flushes the memtable (if it holds anything) and waits until that is done. */
  /**
   * Makes what was written before the call durable in tables: seals the memtable (unless a
   * write has sealed it meanwhile) and waits until it and any older one are flushed.
   */
  async flushMemTable (): Promise<void> {
    const memtables = this.memtables
    const target = memtables.mem
    const waitFor = [...memtables.immutables, target]
    // The switch must fall between write groups: a group whose WAL append is under way would
    // otherwise have its record in the old log and its entries in the new memtable, and the
    // old log is deleted once the flush is done.
    while (memtables.mem === target && !target.empty) {
      if (!memtables.canSeal) {
        this.checkWritable()
        await (this.background.flushing ?? new Promise((resolve) => setTimeout(resolve, 1)))
        continue
      }
      await this.queue.between(() => {
        if (memtables.mem !== target || !memtables.canSeal) return
        this.checkWritable()
        try {
          this.background.switchMemTable()
        } catch (err) {
          this.errors.set(err as Error, 'wal')
          throw err
        }
      })
    }
    // Flushes go oldest first: waiting for the newest of these waits for them all.
    while (waitFor.some((mem) => memtables.immutables.includes(mem)) && this.background.flushing !== undefined) {
      await this.background.flushing
    }
    this.checkWritable()
  }
}

function isBytes (data: unknown): data is string | Uint8Array {
  return typeof data === 'string' || data instanceof Uint8Array
}
