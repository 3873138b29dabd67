// abstract-level iterators over the engine. The engine iterator is synchronous and takes
// its snapshot (sequence, memtables, pinned table files) when it is created, which is
// when db.iterator() is called, as classic-level does.
//
// Reads never leave the main thread, so without care a long `for await` would never let
// timers or I/O run: the pacer has us yield with setImmediate whenever the event loop has
// not turned for a couple of milliseconds (classic-level yields on every native fetch).

import { AbstractIterator } from 'abstract-level'
import type { Engine } from './db'
import type { DbIterator } from './iterator/db-iterator'
import { type Bytes, type Format, keyBytes, ownBytes, rangeToFormat } from './level-codec'
import { mustYield, nextTurn } from './pacer'

const DEFAULT_HIGH_WATER_MARK_BYTES = 16 * 1024

const AbortError: new () => Error = require('abstract-level/lib/errors').AbortError

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

export function engineIterator (engine: Engine, options: IteratorOptions): DbIterator {
  return engine.iterator({
    gt: options.gt === undefined ? undefined : ownBytes(options.gt),
    gte: options.gte === undefined ? undefined : ownBytes(options.gte),
    lt: options.lt === undefined ? undefined : ownBytes(options.lt),
    lte: options.lte === undefined ? undefined : ownBytes(options.lte),
    reverse: options.reverse === true,
    sequence: options.snapshot?.sequence,
    fillCache: options.fillCache === true
  })
}

export class LsmIterator extends AbstractIterator<any, any, any> {
  private readonly it: DbIterator
  private readonly keys: boolean
  private readonly values: boolean
  private readonly keyFormat: Format | undefined
  private readonly valueFormat: Format | undefined
  private readonly highWaterMarkBytes: number
  private readonly signal: AbortSignal | undefined
  private lastBatch = 1

  constructor (db: any, options: IteratorOptions, engine: Engine) {
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

  async _next (): Promise<unknown> {
    const yieldNow = mustYield()
    if (yieldNow || this.signal !== undefined) await this.pause(yieldNow)
    const it = this.it
    if (!it.valid()) return undefined
    const entry = this.current()
    it.advance()
    return entry
  }

  async _nextv (size: number): Promise<unknown[]> {
    const yieldNow = mustYield(this.lastBatch)
    if (yieldNow || this.signal !== undefined) await this.pause(yieldNow)
    const it = this.it
    const entries: unknown[] = []
    const limit = this.highWaterMarkBytes
    let bytes = 0
    while (entries.length < size && it.valid()) {
      const at = it.current()
      if (this.keys) bytes += at.keyEnd - at.keyStart
      if (this.values) bytes += at.valueEnd - at.valueStart
      entries.push(this.current())
      it.advance()
      if (bytes > limit) break
    }
    this.lastBatch = entries.length
    return entries
  }

  _seek (target: Bytes): void {
    this.it.seek(keyBytes(target))
  }

  async _close (): Promise<void> {
    this.it.close()
  }

  /** The current entry in the shape abstract-level expects for this iterator. */
  private current (): unknown {
    const at = this.it.current()
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
