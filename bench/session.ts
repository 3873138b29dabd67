// One engine's database lifecycle inside a child: fresh directories, reopen, cleanup.
import fs = require('fs')
import path = require('path')
import { Options } from './args'
import { BenchDb, Engine } from './engines'

/** Constructor options: keys stay utf8 strings; values are strings or Buffers per --values. */
export function engineOptions (options: Options): Record<string, unknown> {
  return { ...options.dbOptions, valueEncoding: options.values === 'buffer' ? 'buffer' : 'utf8' }
}

export class DbSession {
  db: BenchDb | null = null
  location = ''
  private count = 0

  constructor (
    private readonly engine: Engine,
    private readonly root: string,
    private readonly options: Record<string, unknown>
  ) {}

  /** Closes and deletes the current database, then opens an empty one in a new directory. */
  async fresh (): Promise<BenchDb> {
    await this.dispose()
    this.location = path.join(this.root, `${this.engine.name}-${process.pid}-${this.count++}`)
    return this.openAt()
  }

  /** Closes and opens a new instance on the same directory, as a restarted process would. */
  async reopen (): Promise<BenchDb> {
    if (this.db === null) throw new Error('no database to reopen')
    await this.db.close()
    return this.openAt()
  }

  async close (): Promise<void> {
    if (this.db !== null) await this.db.close()
    this.db = null
  }

  async dispose (): Promise<void> {
    await this.close()
    if (this.location !== '') fs.rmSync(this.location, { recursive: true, force: true })
    this.location = ''
  }

  private async openAt (): Promise<BenchDb> {
    this.db = new this.engine.Db(this.location, this.options)
    await this.db.open()
    return this.db
  }
}
