// abstract-level iterators over the engine. The engine iterator is synchronous and takes
// its snapshot (sequence, memtables, pinned table files) when it is created, which is
// when db.iterator() is called, as classic-level does.
//
// Reads never leave the main thread, so without care a long `for await` would never let
// timers or I/O run: the pacer has us yield with setImmediate whenever the event loop has
// not turned for a couple of milliseconds (classic-level yields on every native fetch).
//
// `for await` is where most scans happen, and abstract-level's default walks it with one
// next() per entry: two promises and a decode call each, which costs more than our whole
// engine step. Our async iterator takes entries in nextv() batches and hands them out one
// by one, while keeping what a next()-per-entry loop would show:
//   - `count` is the number of entries handed out, not fetched;
//   - next(), nextv() or all() called inside the loop continue from the entry after the
//     last one handed out: they are served the rest of the batch first, from raw copies
//     (abstract-level decodes in place, and will decode them again);
//   - seek() inside the loop drops the rest of the batch;
//   - an entry that fails to decode is reached only after the entries before it were
//     handed out, and an engine error surfaces only after the entries read before it;
//   - close() and an aborted signal stop it before the next entry, with the errors that
//     next() gives;
//   - with a `limit`, the default walk is used (the limit counts what nextv fetched).

import { AbstractIterator } from 'abstract-level'
import type { DatabaseEngine } from '../sharing/database-engine'
import type { EngineIterator } from '../sharing/database-engine'
import type { EntryLocation } from '../base/internal-iterator'
import { type Bytes, type Format, keyBytes, ownBytes, rangeToFormat } from './codec'
import { mustYield, nextTurn } from '../engine/pacer'

const DEFAULT_HIGH_WATER_MARK_BYTES = 16 * 1024
// Batches for `for await` grow from a few entries (a loop that breaks early reads little
// ahead) to this many, within highWaterMarkBytes.
const FIRST_BATCH = 8
const MAX_BATCH = 1000

const AbortError: new () => Error = require('abstract-level/lib/errors').AbortError
const ModuleError: new (message: string, options: { code: string }) => Error = require('module-error')

export const breathe = nextTurn

interface IteratorOptions {
  gt?: Bytes, gte?: Bytes, lt?: Bytes, lte?: Bytes
  reverse?: boolean
  keys?: boolean
  values?: boolean
  keyEncoding?: Format
  valueEncoding?: Format
  snapshot?: { sequence: number }
  signal?: AbortSignal
  highWaterMarkBytes?: number
  fillCache?: boolean
}

export function engineIterator (engine: DatabaseEngine, options: IteratorOptions): EngineIterator {
  return engine.iterator({
    gt: options.gt === undefined ? undefined : ownBytes(options.gt),
    gte: options.gte === undefined ? undefined : ownBytes(options.gte),
    lt: options.lt === undefined ? undefined : ownBytes(options.lt),
    lte: options.lte === undefined ? undefined : ownBytes(options.lte),
    reverse: options.reverse === true,
    sequence: options.snapshot?.sequence,
    fillCache: typeof options.fillCache === 'boolean' ? options.fillCache : undefined
  })
}

export class LsmIterator extends AbstractIterator<any, any, any> {
  private readonly it: EngineIterator
  private readonly keys: boolean
  private readonly values: boolean
  private readonly keyFormat: Format | undefined
  private readonly valueFormat: Format | undefined
  private readonly highWaterMarkBytes: number
  private readonly signal: AbortSignal | undefined
  private lastBatch = 1
  // The batch `for await` is handing out, as raw (undecoded) keys and values: entries
  // [rawNext, rawEnd) have not been handed out yet.
  private readonly rawKeys: unknown[] = []
  private readonly rawValues: unknown[] = []
  private rawNext = 0
  private rawEnd = 0
  /** True while our own async iterator is fetching a batch through nextv(). */
  private fetchingBatch = false
  /** An engine error met after some entries of a batch were read; thrown on the next read. */
  private deferredError: unknown = undefined
  /** Entries abstract-level counted that were not handed out (fetched ahead, or counted twice). */
  private uncounted = 0
  private closeRequested = false

  constructor (db: any, options: IteratorOptions, engine: DatabaseEngine) {
    super(db, options as any)
    this.it = engineIterator(engine, options)
    this.keys = options.keys !== false
    this.values = options.values !== false
    this.keyFormat = options.keyEncoding
    this.valueFormat = options.valueEncoding
    // classic-level reads it as a uint32: Infinity and out-of-range values become 0 (one entry per nextv).
    this.highWaterMarkBytes = options.highWaterMarkBytes === undefined
      ? DEFAULT_HIGH_WATER_MARK_BYTES
      : Number(options.highWaterMarkBytes) >>> 0
    this.signal = options.signal ?? undefined
  }

  override get count (): number {
    return super.count - this.uncounted
  }

  override async close (): Promise<void> {
    this.closeRequested = true
    return await super.close()
  }

  override async * [Symbol.asyncIterator] (): AsyncGenerator<any, void, unknown> {
    if (this.limit !== Infinity) {
      yield * super[Symbol.asyncIterator]()
      return
    }
    try {
      let size = FIRST_BATCH
      for (;;) {
        let items: unknown[] | undefined
        let failure: unknown
        this.fetchingBatch = true
        try {
          items = await this.nextv(size)
        } catch (err) {
          failure = err
        } finally {
          this.fetchingBatch = false
        }
        if (items === undefined) {
          if (this.rawNext === this.rawEnd) throw failure
          // A decode error: hand the batch out through next(), which serves it from the raw
          // copies, so the entries before the bad one arrive first.
          while (this.rawNext < this.rawEnd) yield await this.next()
          continue
        }
        if (items.length === 0) return
        this.uncounted += items.length
        const first = this.rawNext
        while (this.rawNext < this.rawEnd) {
          this.checkReadable()
          const item = items[this.rawNext - first]
          this.rawNext++
          this.uncounted--
          yield item
        }
        if (size < MAX_BATCH) size = Math.min(MAX_BATCH, size * 2)
      }
    } finally {
      await this.close()
    }
  }

  /** What abstract-level's next() checks before each entry. */
  private checkReadable (): void {
    if (this.closeRequested) {
      throw new ModuleError('Iterator is not open: cannot read after close()', { code: 'LEVEL_ITERATOR_NOT_OPEN' })
    }
    if (this.signal?.aborted === true) throw new AbortError()
  }

  async _next (): Promise<unknown> {
    if (this.rawNext < this.rawEnd) {
      // Called inside a `for await` loop: continue from the loop's batch.
      const i = this.rawNext++
      return [this.rawKeys[i], this.rawValues[i]]
    }
    const yieldNow = mustYield()
    if (yieldNow || this.signal !== undefined) await this.pause(yieldNow)
    this.throwDeferred()
    const it = this.it
    if (!it.valid()) return undefined
    const entry = this.current()
    try {
      it.advance()
    } catch (err) {
      // The entry is intact; the damage beyond it is reported by the next read.
      this.deferredError = err
    }
    return entry
  }

  async _nextv (size: number): Promise<unknown[]> {
    const entries: unknown[] = []
    // Called inside a `for await` loop: continue from the loop's batch first.
    while (this.rawNext < this.rawEnd && entries.length < size) {
      const i = this.rawNext++
      entries.push([this.rawKeys[i], this.rawValues[i]])
    }
    if (entries.length === size) return entries
    const yieldNow = mustYield(this.lastBatch)
    if (yieldNow || this.signal !== undefined) await this.pause(yieldNow)
    this.throwDeferred()
    const it = this.it
    const limit = this.highWaterMarkBytes
    // The loop fetches only once its batch is handed out, so then `entries` starts empty.
    const forLoop = this.fetchingBatch
    let bytes = 0
    try {
      while (entries.length < size && it.valid()) {
        const at = it.current()
        if (this.keys) bytes += at.keyEnd - at.keyStart
        if (this.values) bytes += at.valueEnd - at.valueStart
        const entry = this.entryAt(at)
        if (forLoop) {
          this.rawKeys[entries.length] = entry[0]
          this.rawValues[entries.length] = entry[1]
        }
        entries.push(entry)
        it.advance()
        if (bytes > limit) break
      }
    } catch (err) {
      // Hand out what was read before the damage; the error comes with the next read.
      if (entries.length === 0) throw err
      this.deferredError = err
    }
    if (forLoop) {
      this.rawNext = 0
      this.rawEnd = entries.length
    }
    this.lastBatch = entries.length
    return entries
  }

  _seek (target: Bytes): void {
    this.rawNext = this.rawEnd
    this.deferredError = undefined
    this.it.seek(keyBytes(target))
  }

  private throwDeferred (): void {
    const err = this.deferredError
    if (err === undefined) return
    this.deferredError = undefined
    throw err
  }

  async _close (): Promise<void> {
    this.rawNext = this.rawEnd = 0
    this.rawKeys.length = 0
    this.rawValues.length = 0
    this.it.close()
  }

  /** The current entry in the shape abstract-level expects for this iterator. */
  private current (): [unknown, unknown] {
    return this.entryAt(this.it.current())
  }

  private entryAt (at: EntryLocation): [unknown, unknown] {
    const key = this.keys ? rangeToFormat(at.keySource, at.keyStart, at.keyEnd, this.keyFormat) : undefined
    const value = this.values ? rangeToFormat(at.valueSource, at.valueStart, at.valueEnd, this.valueFormat) : undefined
    return [key, value]
  }

  /** Lets the event loop turn (or at least a microtask pass, to notice an abort that came meanwhile). */
  private async pause (yieldNow: boolean): Promise<void> {
    if (yieldNow) await nextTurn()
    else await undefined
    if (this.signal?.aborted === true) throw new AbortError()
  }
}
