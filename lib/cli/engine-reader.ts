// get, scan and dump through the engine itself, opened with `readOnly: true`: no lock, no
// write, WALs replayed into memory (the option another change adds to LsmLevel; open.ts
// uses this only once the engine knows it).

import { LsmLevel } from '../adapter/level'
import { BATCH_BYTES, BATCH_ENTRIES, type EntryBatch, type EntryStream, type ReadSource, type ScanOptions } from './read-source'

const EMPTY = Buffer.alloc(0)

type Db = LsmLevel<Buffer, Buffer>

export class EngineReader implements ReadSource {
  readonly how = 'opened read-only by the engine'
  readonly notes: readonly string[] = []

  private constructor (private readonly db: Db) {}

  static async open (location: string): Promise<EngineReader> {
    // Cast: LsmLevelOptions does not declare readOnly on engines that predate it.
    const options = { readOnly: true, createIfMissing: false, keyEncoding: 'buffer', valueEncoding: 'buffer' } as unknown as ConstructorParameters<typeof LsmLevel>[1]
    const db = new LsmLevel(location, options) as unknown as Db
    await db.open()
    return new EngineReader(db)
  }

  async get (key: Buffer): Promise<Buffer | undefined> {
    return await this.db.get(key)
  }

  scan (options: ScanOptions): EntryStream {
    const it = this.db.iterator({
      gt: options.gt,
      gte: options.gte,
      lt: options.lt,
      lte: options.lte,
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
