// db.batch() without arguments: ops are encoded into a WriteBatch as they are added, so
// write() hands the engine one finished encoding (as classic-level copies into a native
// WriteBatch at once).

import { AbstractChainedBatch } from 'abstract-level'
import type { DatabaseEngine } from '../sharing/database-engine'
import type { Bytes } from './codec'
import { WriteBatchBuilder } from '../wal/write-batch'

export class LsmChainedBatch extends AbstractChainedBatch<any, any, any> {
  private readonly builder = new WriteBatchBuilder(256)
  private readonly engine: DatabaseEngine

  constructor (db: any, engine: DatabaseEngine) {
    super(db)
    this.engine = engine
  }

  _put (key: Bytes, value: Bytes): void {
    this.builder.put(key, value)
  }

  _del (key: Bytes): void {
    this.builder.del(key)
  }

  _clear (): void {
    this.builder.reset()
  }

  async _write (options: { sync?: boolean }): Promise<void> {
    return this.engine.writeEncoded(this.builder.bytes(), options.sync === true)
  }

  async _close (): Promise<void> {}
}
