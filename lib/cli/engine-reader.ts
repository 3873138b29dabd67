// get, scan and dump through the engine itself, opened with `readOnly: true`: no lock, no
// write, WALs replayed into memory (engine/read-only.ts).

import { LsmLevel } from '../adapter/level'
import { BATCH_BYTES, BATCH_ENTRIES, type EntryBatch, type EntryStream, type ReadSource, type ScanOptions } from './read-source'

const EMPTY = Buffer.alloc(0)

type Db = LsmLevel<Buffer, Buffer>

export class EngineReader implements ReadSource {
  readonly how = 'opened by the engine with readOnly'
  readonly notes: readonly string[] = []

  private constructor (private readonly db: Db) {}

  static async open (location: string): Promise<EngineReader> {
    const db: Db = new LsmLevel<Buffer, Buffer>(location, { readOnly: true, createIfMissing: false, keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.open()
    return new EngineReader(db)
  }

  async get (key: Buffer): Promise<Buffer | undefined> {
    return await this.db.get(key)
  }

  scan (options: ScanOptions): EntryStream {
    // Only the bounds given: abstract-level encodes a bound that is present but undefined
    // (as the string "undefined" with the buffer encoding), which would bound the range.
    const bounds: Record<string, Buffer> = {}
    for (const name of ['gt', 'gte', 'lt', 'lte'] as const) {
      const bound = options[name]
      if (bound !== undefined) bounds[name] = bound
    }
    const it = this.db.iterator({
      ...bounds,
      reverse: options.reverse,
      limit: options.limit ?? Infinity,
      values: options.values,
      highWaterMarkBytes: BATCH_BYTES
    } as Parameters<Db['iterator']>[0])
    return {
      next: async () => await it.nextv(BATCH_ENTRIES) as EntryBatch,
      close: async () => await it.close()
    }
  }

  async bytesBefore (key: Buffer): Promise<number> {
    return await this.db.approximateSize(EMPTY, key)
  }

  async close (): Promise<void> {
    await this.db.close()
  }
}
