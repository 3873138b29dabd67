// An explicit snapshot: a pinned sequence number. Reads and iterators given it see the
// database as of that sequence; compaction keeps the versions it can see.

import { AbstractSnapshot } from 'abstract-level'
import type { DatabaseEngine } from '../sharing/database-engine'

export class LsmSnapshot extends AbstractSnapshot {
  readonly sequence: number
  private readonly engine: DatabaseEngine

  constructor (options: unknown, engine: DatabaseEngine) {
    super(...([options] as unknown as []))
    this.engine = engine
    this.sequence = engine.snapshot()
  }

  async _close (): Promise<void> {
    this.engine.releaseSnapshot(this.sequence)
  }
}
