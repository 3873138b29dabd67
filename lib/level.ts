// The abstract-level adapter: LsmLevel is constructed and behaves like classic-level's
// ClassicLevel. This file and its level-*.ts siblings are the only code that knows
// abstract-level; everything below them is the engine (lib/db.ts).

import { AbstractLevel } from 'abstract-level'
import type { AbstractDatabaseOptions, AbstractOpenOptions } from 'abstract-level'
import { Engine } from './db'
import { levelError } from './errors'
import { resolveOptions } from './options'
import { LsmIterator } from './level-iterator'
import { LsmSnapshot } from './level-snapshot'
import { LsmChainedBatch } from './level-chained-batch'
import { clearRange } from './level-clear'
import { type Bytes, type Format, keyBytes, ownBytes, toFormat } from './level-codec'
import { destroyDatabase, repairDatabase } from './repair'

export interface LsmLevelOptions<K, V> extends AbstractDatabaseOptions<K, V> {
  compression?: boolean
  cacheSize?: number
  writeBufferSize?: number
  blockSize?: number
  maxOpenFiles?: number
  blockRestartInterval?: number
  maxFileSize?: number
}

interface FormatOptions {
  keyEncoding?: Format
  valueEncoding?: Format
  snapshot?: LsmSnapshot
  fillCache?: boolean
  sync?: boolean
}

interface BatchOp { type: 'put' | 'del', key: Bytes, value?: Bytes }

const kEngine = Symbol('engine')

export class LsmLevel<K = string, V = string> extends AbstractLevel<string | Buffer | Uint8Array, K, V> {
  private readonly _location: string
  [kEngine]: Engine | undefined

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
      signals: { iterators: true }
    } as any, options as any)
    this._location = location
    this[kEngine] = undefined
  }

  get location (): string {
    return this._location
  }

  /** The open engine; abstract-level only calls private methods while open. */
  private get engine (): Engine {
    const engine = this[kEngine]
    if (engine === undefined) throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open')
    return engine
  }

  async _open (options: AbstractOpenOptions & Record<string, unknown>): Promise<void> {
    const resolved = resolveOptions(options)
    this[kEngine] = await Engine.open(this._location, resolved)
  }

  async _close (): Promise<void> {
    const engine = this[kEngine]
    this[kEngine] = undefined
    if (engine !== undefined) await engine.close()
  }

  async _get (key: Bytes, options: FormatOptions): Promise<unknown> {
    return this._getSync(key, options)
  }

  _getSync (key: Bytes, options: FormatOptions): unknown {
    const value = this.engine.get(keyBytes(key), readOptions(options))
    return value === undefined ? undefined : toFormat(value, options.valueEncoding)
  }

  async _getMany (keys: Bytes[], options: FormatOptions): Promise<unknown[]> {
    const engine = this.engine
    // One read sequence for the whole call, even if an explicit snapshot is absent.
    const read = readOptions(options)
    read.sequence ??= engine.lastSequence()
    const values = new Array(keys.length)
    for (let i = 0; i < keys.length; i++) {
      const value = engine.get(keyBytes(keys[i]), read)
      values[i] = value === undefined ? undefined : toFormat(value, options.valueEncoding)
    }
    return values
  }

  async _has (key: Bytes, options: FormatOptions): Promise<boolean> {
    return this.engine.get(keyBytes(key), readOptions(options)) !== undefined
  }

  async _hasMany (keys: Bytes[], options: FormatOptions): Promise<boolean[]> {
    const engine = this.engine
    const read = readOptions(options)
    read.sequence ??= engine.lastSequence()
    return keys.map((key) => engine.get(keyBytes(key), read) !== undefined)
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
  async approximateSize (start: K, end: K, options?: { keyEncoding?: string }): Promise<number> {
    if (arguments.length < 2) throw new TypeError("The arguments 'start' and 'end' are required")
    if (this.status === 'opening') return this.deferAsync(async () => await this.approximateSize(start, end, options))
    const [startBytes, endBytes] = this.encodeRangeArguments('approximateSize', start, end, options)
    return this.engine.approximateSize(startBytes, endBytes)
  }

  /** LevelDB's GetProperty: leveldb.num-files-at-levelN, leveldb.stats, leveldb.sstables, leveldb.approximate-memory-usage. */
  getProperty (property: string): string {
    if (typeof property !== 'string') throw new TypeError("The first argument 'property' must be a string")
    // Synchronous, so it cannot be deferred while opening (as in classic-level).
    if (this.status !== 'open') throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open')
    return this.engine.property(property)
  }

  static async destroy (location: string): Promise<void> {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string")
    }
    await destroyDatabase(location)
  }

  static async repair (location: string): Promise<void> {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string")
    }
    await repairDatabase(location)
  }

  private encodeRangeArguments (method: string, start: K, end: K, options?: { keyEncoding?: string }): [Buffer, Buffer] {
    if (this.status !== 'open') {
      throw levelError('LEVEL_DATABASE_NOT_OPEN', `Database is not open: cannot call ${method}()`)
    }
    const keyEncoding = this.keyEncoding(typeof options === 'object' && options !== null ? options.keyEncoding as any : undefined)
    return [ownBytes(keyEncoding.encode(start as any)), ownBytes(keyEncoding.encode(end as any))]
  }
}

function readOptions (options: FormatOptions): { sequence?: number, fillCache?: boolean } {
  return { sequence: options.snapshot?.sequence, fillCache: options.fillCache }
}
