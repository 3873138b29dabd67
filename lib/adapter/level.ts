// The abstract-level adapter: LsmLevel is constructed and behaves like classic-level's
// ClassicLevel. This file and its siblings in lib/adapter are the only code that knows
// abstract-level; everything below them is the engine (lib/engine).

import { AbstractLevel } from 'abstract-level'
import type {
  AbstractBatchOperation, AbstractChainedBatch, AbstractIterator, AbstractKeyIterator, AbstractOpenOptions,
  AbstractSnapshot, AbstractValueIterator
} from 'abstract-level'
import type {
  BatchOptions, ChainedBatchWriteOptions, CheckpointInfo, DatabaseOptions, DelOptions, GetManyOptions, GetOptions, HasManyOptions,
  HasOptions, IteratorOptions, KeyIteratorOptions, LsmLevelEvents, LsmLevelStats, OpenOptions, PutOptions, StartEndOptions,
  ValueIteratorOptions
} from './types'
import { Engine } from '../engine/engine'
import type { DatabaseEngine } from '../sharing/database-engine'
import { openShared } from '../sharing/registry'
import { levelError } from '../base/errors'
import { resolveOptions } from '../engine/options'
import { LsmIterator } from './iterator'
import { LsmSnapshot } from './snapshot'
import { LsmChainedBatch } from './chained-batch'
import { clearRange } from './clear'
import { type Bytes, type Format, keyBytes, ownBytes, toFormat } from './codec'
import { destroyDatabase } from '../engine/destroy'
import { repairDatabase } from '../engine/repair'
import type { Env } from '../env/env'
import { nodeEnv } from '../env/node-env'
import { mustYield, nextTurn } from '../engine/pacer'

export type LsmLevelOptions<K, V> = DatabaseOptions<K, V>

interface FormatOptions {
  keyEncoding?: Format
  valueEncoding?: Format
  snapshot?: LsmSnapshot
  fillCache?: boolean
  sync?: boolean
}

interface BatchOp { type: 'put' | 'del', key: Bytes, value?: Bytes }

const kEngine = Symbol('engine')

export interface LsmChainedBatchTyped<TDatabase, K, V> extends AbstractChainedBatch<TDatabase, K, V> {
  write (): Promise<void>
  write (options: ChainedBatchWriteOptions): Promise<void>
}

// Declaration merging gives the class classic-level's public signatures, with its option
// types (sync, fillCache, highWaterMarkBytes...) on top of abstract-level's.
export interface LsmLevel<K = string, V = string> {
  open (): Promise<void>
  open (options: OpenOptions): Promise<void>
  get (key: K): Promise<V | undefined>
  get<K2 = K, V2 = V> (key: K2, options: GetOptions<K2, V2>): Promise<V2 | undefined>
  getSync (key: K): V | undefined
  getSync<K2 = K, V2 = V> (key: K2, options: GetOptions<K2, V2>): V2 | undefined
  getMany (keys: K[]): Promise<Array<V | undefined>>
  getMany<K2 = K, V2 = V> (keys: K2[], options: GetManyOptions<K2, V2>): Promise<Array<V2 | undefined>>
  has (key: K): Promise<boolean>
  has<K2 = K> (key: K2, options: HasOptions<K2>): Promise<boolean>
  hasMany (keys: K[]): Promise<boolean[]>
  hasMany<K2 = K> (keys: K2[], options: HasManyOptions<K2>): Promise<boolean[]>
  put (key: K, value: V): Promise<void>
  put<K2 = K, V2 = V> (key: K2, value: V2, options: PutOptions<K2, V2>): Promise<void>
  del (key: K): Promise<void>
  del<K2 = K> (key: K2, options: DelOptions<K2>): Promise<void>
  batch (operations: Array<AbstractBatchOperation<this, K, V>>): Promise<void>
  batch<K2 = K, V2 = V> (operations: Array<AbstractBatchOperation<this, K2, V2>>, options: BatchOptions<K2, V2>): Promise<void>
  batch (): LsmChainedBatchTyped<this, K, V>
  iterator (): AbstractIterator<this, K, V>
  iterator<K2 = K, V2 = V> (options: IteratorOptions<K2, V2>): AbstractIterator<this, K2, V2>
  keys (): AbstractKeyIterator<this, K>
  keys<K2 = K> (options: KeyIteratorOptions<K2>): AbstractKeyIterator<this, K2>
  values (): AbstractValueIterator<this, K, V>
  values<K2 = K, V2 = V> (options: ValueIteratorOptions<K2, V2>): AbstractValueIterator<this, K2, V2>
  snapshot (options?: any): AbstractSnapshot
  on<E extends keyof LsmLevelEvents> (event: E, listener: (payload: LsmLevelEvents[E]) => void): this
  on (event: string | symbol, listener: (...args: any[]) => void): this
  once<E extends keyof LsmLevelEvents> (event: E, listener: (payload: LsmLevelEvents[E]) => void): this
  once (event: string | symbol, listener: (...args: any[]) => void): this
  off<E extends keyof LsmLevelEvents> (event: E, listener: (payload: LsmLevelEvents[E]) => void): this
  off (event: string | symbol, listener: (...args: any[]) => void): this
}

export class LsmLevel<K = string, V = string> extends AbstractLevel<string | Buffer | Uint8Array, K, V> {
  private readonly _location: string
  [kEngine]: DatabaseEngine | undefined

  constructor (location: string, options?: LsmLevelOptions<K, V>) {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string")
    }
    super({
      encodings: { buffer: true, utf8: true, view: true },
      has: true,
      getSync: true,
      seek: true,
      createIfMissing: true,
      errorIfExists: true,
      explicitSnapshots: true,
      implicitSnapshots: true,
      permanence: true,
      signals: { iterators: true },
      events: { flush: true, compaction: true, 'write-stall': true, 'write-stall-end': true, 'background-error': true, resumed: true },
      additionalMethods: { approximateSize: true, compactRange: true }
    } as any, options as any)
    this._location = location
    this[kEngine] = undefined
  }

  get location (): string {
    return this._location
  }

  /** The open engine; abstract-level only calls private methods while open. */
  private get engine (): DatabaseEngine {
    const engine = this[kEngine]
    if (engine === undefined) throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open')
    return engine
  }

  async _open (options: AbstractOpenOptions & Record<string, unknown>): Promise<void> {
    const resolved = resolveOptions(options)
    const events = (event: string, payload: object): void => { this.emit(event, payload) }
    // multithreading: one database shared by the instances of every thread (lib/sharing).
    this[kEngine] = resolved.readOnly
      ? await Engine.openReadOnly(this._location, resolved, events)
      : options.multithreading === true
        ? await openShared(this._location, resolved, events)
        : await Engine.open(this._location, resolved, events)
  }

  async _close (): Promise<void> {
    const engine = this[kEngine]
    this[kEngine] = undefined
    if (engine !== undefined) await engine.close()
  }

  async _get (key: Bytes, options: FormatOptions): Promise<unknown> {
    if (mustYield()) return await this.afterTurn(options, (read) => this.readValue(key, options, read))
    return this.readValue(key, options, readOptions(options))
  }

  _getSync (key: Bytes, options: FormatOptions): unknown {
    return this.readValue(key, options, readOptions(options))
  }

  async _getMany (keys: Bytes[], options: FormatOptions): Promise<unknown[]> {
    const read = (at: ReadAt): unknown[] => keys.map((key) => this.readValue(key, options, at))
    // One read sequence for the whole call, even without an explicit snapshot.
    if (mustYield()) return await this.afterTurn(options, read)
    return read(readOptions(options))
  }

  async _has (key: Bytes, options: FormatOptions): Promise<boolean> {
    const read = (at: ReadAt): boolean => this.engine.get(keyBytes(key), at) !== undefined
    if (mustYield()) return await this.afterTurn(options, read)
    return read(readOptions(options))
  }

  async _hasMany (keys: Bytes[], options: FormatOptions): Promise<boolean[]> {
    const read = (at: ReadAt): boolean[] => keys.map((key) => this.engine.get(keyBytes(key), at) !== undefined)
    if (mustYield()) return await this.afterTurn(options, read)
    return read(readOptions(options))
  }

  private readValue (key: Bytes, options: FormatOptions, at: ReadAt): unknown {
    const value = this.engine.get(keyBytes(key), at)
    return value === undefined ? undefined : toFormat(value, options.valueEncoding)
  }

  /**
   * Lets the event loop turn, then reads. The read's snapshot is still taken now, when the
   * call starts, and pinned across the wait so compaction keeps what it needs.
   */
  private async afterTurn<T> (options: FormatOptions, read: (at: ReadAt) => T): Promise<T> {
    const engine = this.engine
    const at = readOptions(options)
    const pinned = at.sequence === undefined ? engine.snapshot() : undefined
    if (pinned !== undefined) at.sequence = pinned
    try {
      await nextTurn()
      return read(at)
    } finally {
      if (pinned !== undefined) engine.releaseSnapshot(pinned)
    }
  }

  async _put (key: Bytes, value: Bytes, options: FormatOptions): Promise<void> {
    return this.engine.put(key, value, options.sync === true)
  }

  async _del (key: Bytes, options: FormatOptions): Promise<void> {
    return this.engine.del(key, options.sync === true)
  }

  async _batch (operations: BatchOp[], options: FormatOptions): Promise<void> {
    return this.engine.batch(operations, options.sync === true)
  }

  _chainedBatch (): LsmChainedBatch {
    return new LsmChainedBatch(this, this.engine)
  }

  _iterator (options: Record<string, unknown>): LsmIterator {
    return new LsmIterator(this, options, this.engine)
  }

  _snapshot (options: unknown): LsmSnapshot {
    return new LsmSnapshot(options, this.engine)
  }

  async _clear (options: Record<string, unknown>): Promise<void> {
    await clearRange(this.engine, options)
  }

  /** Approximate bytes on disk used by keys in [start, end); memtable data counts nothing. */
  async approximateSize (start: K, end: K): Promise<number>
  async approximateSize<K2 = K> (start: K2, end: K2, options: StartEndOptions<K2>): Promise<number>
  async approximateSize (start: unknown, end: unknown, options?: StartEndOptions<unknown>): Promise<number> {
    if (arguments.length < 2) throw new TypeError("The arguments 'start' and 'end' are required")
    if (this.status === 'opening') return this.deferAsync(async () => await this.approximateSize(start, end, options as StartEndOptions<unknown>))
    const [startBytes, endBytes] = this.encodeRangeArguments('approximateSize', start, end, options)
    return this.engine.approximateSize(startBytes, endBytes)
  }

  /**
   * Flushes the memtable and compacts the tables holding keys in [start, end] through every
   * level, dropping overwritten and deleted versions no snapshot needs.
   */
  async compactRange (start: K, end: K): Promise<void>
  async compactRange<K2 = K> (start: K2, end: K2, options: StartEndOptions<K2>): Promise<void>
  async compactRange (start: unknown, end: unknown, options?: StartEndOptions<unknown>): Promise<void> {
    if (arguments.length < 2) throw new TypeError("The arguments 'start' and 'end' are required")
    if (this.status === 'opening') return this.deferAsync(async () => await this.compactRange(start, end, options as StartEndOptions<unknown>))
    const [startBytes, endBytes] = this.encodeRangeArguments('compactRange', start, end, options)
    await this.engine.compactRange(startBytes, endBytes)
  }

  /**
   * Read-only instances (`readOnly: true`): catches up with what the process that writes the
   * database has written since the open or the last refresh. Resolves when done; a no-op on
   * a writable instance, which is always current.
   */
  async refresh (): Promise<void> {
    if (this.status === 'opening') return this.deferAsync(async () => await this.refresh())
    if (this.status !== 'open') throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open: cannot call refresh()')
    await this.engine.refresh()
  }

  /**
   * Makes a consistent copy of the database in `targetDir` (which must not exist, or be an
   * empty directory) while writes go on: it holds every write acknowledged before the call and
   * none after its `sequence`, and opens as a database in lsm-level and in classic-level.
   * Tables are hard-linked where the file system allows (copied otherwise), so on one file
   * system its time does not grow with the data. Resolves once everything is synced.
   */
  async checkpoint (targetDir: string): Promise<CheckpointInfo> {
    if (typeof targetDir !== 'string' || targetDir === '') {
      throw new TypeError("The first argument 'targetDir' must be a non-empty string")
    }
    if (this.status === 'opening') return this.deferAsync(async () => await this.checkpoint(targetDir))
    if (this.status !== 'open') throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open: cannot call checkpoint()')
    return await this.engine.checkpoint(targetDir)
  }

  /** LevelDB's GetProperty: leveldb.num-files-at-levelN, leveldb.stats, leveldb.sstables, leveldb.approximate-memory-usage. */
  getProperty (property: string): string {
    if (typeof property !== 'string') throw new TypeError("The first argument 'property' must be a string")
    // Synchronous, so it cannot be deferred while opening (as in classic-level).
    if (this.status !== 'open') throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open')
    return this.engine.property(property)
  }

  /**
   * Counters since open (bytes written by the user, to the WAL, by flushes and by compactions;
   * write stalls; block cache hits and misses) and the state now (open tables, memtable bytes,
   * files and bytes per level, the background-error state), as a plain object. Write
   * amplification is (walBytesWritten + flushBytesWritten + compactionBytesWritten) / userBytesWritten.
   */
  stats (): LsmLevelStats {
    // Synchronous, so it cannot be deferred while opening (as getProperty).
    if (this.status !== 'open') throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open: cannot call stats()')
    return this.engine.statistics()
  }

  static async destroy (location: string, options?: { env?: Env }): Promise<void> {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string")
    }
    await destroyDatabase(options?.env ?? nodeEnv, location)
  }

  static async repair (location: string, options?: { env?: Env }): Promise<void> {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string")
    }
    await repairDatabase(options?.env ?? nodeEnv, location)
  }

  private encodeRangeArguments (method: string, start: unknown, end: unknown, options?: StartEndOptions<unknown>): [Buffer, Buffer] {
    if (this.status !== 'open') {
      throw levelError('LEVEL_DATABASE_NOT_OPEN', `Database is not open: cannot call ${method}()`)
    }
    const keyEncoding = this.keyEncoding(typeof options === 'object' && options !== null ? options.keyEncoding as any : undefined)
    return [ownBytes(keyEncoding.encode(start as any)), ownBytes(keyEncoding.encode(end as any))]
  }
}

interface ReadAt { sequence?: number, fillCache?: boolean }

function readOptions (options: FormatOptions): ReadAt {
  return { sequence: options.snapshot?.sequence, fillCache: options.fillCache }
}
