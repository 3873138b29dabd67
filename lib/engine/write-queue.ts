// Group commit. Every put, del and batch issued in the same tick is encoded into one shared
// WriteBatch; on the next tick that batch becomes one WAL record, one write(2), and then
// one pass over the memtable. Callers of the group share one promise.
//
// The WAL write is a synchronous write(2) into the page cache: a write that resolved has
// reached the kernel and survives a crash of the process. A group with a `sync: true`
// member also waits for fdatasync, off the main thread, before it resolves; groups behind
// it queue up meanwhile, so writes always reach the memtable in call order.
//
// A failed append or sync rejects its group and every group waiting behind it; whether
// later writes are accepted is the target's decision (checkWritable: the engine refuses
// them while it is in the background-error state, as LevelDB does).

import { ioError, levelError } from '../base/errors'
import { mustYield } from './pacer'
import { WriteBatchBuilder } from '../wal/write-batch'

// Work units a drain counts for in the pacer's budget (pacer.ts reads the clock every 32).
const GROUP_WEIGHT = 32

export interface WriteTarget {
  /** Throws the error new writes must fail with, if any. */
  checkWritable (): void
  /**
   * Called before a group is logged; resolves (usually synchronously: return undefined)
   * once there is room for it, e.g. after a memtable flush. A group is delayed at most once
   * to slow writers down (allowDelay is false after its first wait).
   */
  makeRoom (allowDelay: boolean): Promise<void> | undefined
  /**
   * Appends the encoded batch (sequence already set) to the WAL; throws on failure. Returns
   * a promise when the append went to the thread pool instead of being done synchronously.
   */
  appendToLog (batch: Buffer): Promise<void> | undefined
  /** fdatasync of the WAL, for groups that asked for sync. */
  syncLog (): Promise<void>
  /**
   * Applies the encoded batch to the memtable and publishes its sequences; `userBytes` is
   * the size of its keys and values.
   */
  apply (batch: Buffer, firstSequence: number, count: number, userBytes: number): void
  lastSequence (): number
}

class Group {
  sync = false
  resolve!: () => void
  reject!: (err: Error) => void
  readonly promise: Promise<void>

  constructor (readonly builder: WriteBatchBuilder) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }
}

export class WriteQueue {
  private open: Group | undefined
  private busy = false
  private scheduled = false
  private waited = false
  private closing = false
  private idleWaiters: Array<() => void> = []
  private barriers: Array<() => void> = []
  private spare: Group | undefined

  constructor (private readonly target: WriteTarget) {}

  /**
   * The group that collects writes of this tick. Encode ops with its builder, then return
   * commit(group, sync). Throws if the target refuses writes (checkWritable).
   */
  current (): Group {
    if (this.closing) throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open: it is closing')
    this.target.checkWritable()
    if (this.open === undefined) {
      this.open = this.takeSpare()
    }
    return this.open
  }

  commit (group: Group, sync: boolean): Promise<void> {
    if (sync) group.sync = true
    if (!this.scheduled && !this.busy) {
      this.scheduled = true
      process.nextTick(this.drain)
    }
    return group.promise
  }

  /** Refuses new writes from now on; those already accepted still complete (see idle). */
  close (): void {
    this.closing = true
  }

  /** Whether no write is being committed or waits to be. */
  get isIdle (): boolean {
    return !this.busy && !this.scheduled && this.open === undefined
  }

  /**
   * Runs `operation` between write groups: at once if no group is being logged, else as
   * soon as the one under way is done, before the next. For what must not happen during an
   * append (sealing the memtable: the record would go to one log, its entries to the next
   * memtable).
   */
  between<T> (operation: () => T): Promise<T> {
    if (!this.busy) {
      try {
        return Promise.resolve(operation())
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.barriers.push(() => {
        try {
          resolve(operation())
        } catch (err) {
          reject(err)
        }
      })
    })
  }

  /** Resolves once every write accepted so far has settled. */
  idle (): Promise<void> {
    if (this.isIdle) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private readonly drain = (): void => {
    // A group is many operations' work (a tick's puts, their memtable inserts, the callbacks
    // of their promises): weigh it so that the clock is read at every group.
    if (mustYield(GROUP_WEIGHT)) {
      // Writes have run back to back without the event loop turning: let it turn first.
      setImmediate(this.drainAfterTurn)
      return
    }
    this.commitGroups()
  }

  // After waiting for a turn, one group goes through whatever else used up the slice (a long
  // scan that resumes first in every turn would otherwise starve writes forever).
  private readonly drainAfterTurn = (): void => {
    this.commitGroups()
  }

  private commitGroups (): void {
    this.scheduled = false
    while (!this.busy && this.open !== undefined) {
      const room = this.target.makeRoom(!this.waited)
      if (room !== undefined) {
        this.waited = true
        this.busy = true
        room.then(() => this.resume(), (err) => this.failAll(err))
        return
      }
      const group = this.open
      this.open = undefined
      this.waited = false
      this.commitGroup(group)
    }
    if (!this.busy && this.open === undefined) this.notifyIdle()
  }

  private resume (): void {
    this.busy = false
    this.runBarriers()
    this.drain()
  }

  private runBarriers (): void {
    const barriers = this.barriers
    this.barriers = []
    for (const run of barriers) run()
  }

  private commitGroup (group: Group): void {
    const target = this.target
    const count = group.builder.count
    if (count === 0) {
      group.resolve()
      return
    }
    const firstSequence = target.lastSequence() + 1
    group.builder.setSequence(firstSequence)
    const batch = group.builder.bytes()
    const userBytes = group.builder.userBytes
    let appending: Promise<void> | undefined
    try {
      appending = target.appendToLog(batch)
    } catch (err) {
      this.failAll(err, group)
      return
    }
    if (appending === undefined && !group.sync) {
      target.apply(batch, firstSequence, count, userBytes)
      group.resolve()
      this.recycle(group)
      return
    }
    this.busy = true
    const logged = appending ?? Promise.resolve()
    logged.then(() => group.sync ? target.syncLog() : undefined).then(() => {
      target.apply(batch, firstSequence, count, userBytes)
      group.resolve()
      this.resume()
    }, (err) => this.failAll(err, group))
  }

  private failAll (cause: unknown, group?: Group): void {
    const err = (cause as { code?: string }).code?.startsWith('LEVEL_') === true
      ? cause as Error
      : ioError(`write-ahead log: ${(cause as Error).message}`, cause)
    this.busy = false
    this.runBarriers()
    group?.reject(err)
    if (this.open !== undefined) {
      this.open.reject(err)
      this.open = undefined
    }
    this.notifyIdle()
  }

  private notifyIdle (): void {
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  // A resolved group's builder is reused for a later group, saving its buffer's growth.
  private takeSpare (): Group {
    const spare = this.spare
    if (spare === undefined) return new Group(new WriteBatchBuilder())
    this.spare = undefined
    spare.builder.reset()
    return new Group(spare.builder)
  }

  private recycle (group: Group): void {
    if (group.builder.byteSize < 1024 * 1024) this.spare = group
  }
}

export type { Group as WriteGroup }
