// The engines under test and the slice of the abstract-level API the benchmark uses. Loading
// is lazy (plain require) so the harness builds and runs before lsm-level's index.ts exists.
import path = require('path')

export type Value = string | Buffer
export type Entry = [string, Value]

export interface RangeOptions {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  reverse?: boolean
  limit?: number
}

export interface BenchIterator extends AsyncIterable<Entry> {
  next (): Promise<Entry | undefined>
  /** Up to `size` entries; an empty array at the end. */
  nextv (size: number): Promise<Entry[]>
  close (): Promise<void>
}

export interface BenchDb {
  open (): Promise<void>
  close (): Promise<void>
  put (key: string, value: Value): Promise<void>
  get (key: string): Promise<Value | undefined>
  /** abstract-level 2+; both engines implement it (classic-level 3 and lsm-level). */
  getSync (key: string): Value | undefined
  getMany (keys: string[]): Promise<Array<Value | undefined>>
  batch (ops: Array<{ type: 'put', key: string, value: Value }>): Promise<void>
  iterator (options?: RangeOptions): BenchIterator
}

export type DbClass = new (location: string, options?: Record<string, unknown>) => BenchDb

export interface Engine {
  name: string
  /** What was actually loaded, e.g. "dist/index.js" or "classic-level (via --lsm-from)". */
  source: string
  version: string
  Db: DbClass
}

export const ENGINE_NAMES = ['lsm-level', 'classic-level', 'memory-level']

const root = path.join(__dirname, '..', '..')

function packageVersion (spec: string): string {
  try {
    return require(spec + '/package.json').version
  } catch {
    return '?'
  }
}

/**
 * `lsmFrom` points the lsm-level slot at another module (e.g. classic-level) while the engine
 * is being written; the report then labels the slot with what was really loaded.
 */
export function loadEngine (name: string, lsmFrom: string | null): Engine {
  if (name === 'classic-level') {
    const mod = require('classic-level')
    return { name, source: 'classic-level', version: packageVersion('classic-level'), Db: mod.ClassicLevel }
  }
  if (name === 'lsm-level') {
    if (lsmFrom !== null) {
      const mod = require(lsmFrom)
      const Db = mod.LsmLevel ?? mod.ClassicLevel
      if (typeof Db !== 'function') throw new Error(`${lsmFrom} exports neither LsmLevel nor ClassicLevel`)
      return { name, source: `${lsmFrom} (via --lsm-from)`, version: packageVersion(lsmFrom), Db }
    }
    const mod = require('../index')
    if (typeof mod.LsmLevel !== 'function') throw new Error('dist/index.js does not export LsmLevel')
    return { name, source: 'dist/index.js', version: packageVersion(root), Db: mod.LsmLevel }
  }
  if (name === 'memory-level') {
    return { name, source: 'memory-level', version: packageVersion('memory-level'), Db: memoryLevelClass() }
  }
  throw new Error(`unknown engine "${name}" (known: ${ENGINE_NAMES.join(', ')})`)
}

/**
 * memory-level as a reference point (issue 9 compares CPU per op with it): an in-memory
 * abstract-level store, constructed without a location. A new instance on a location whose
 * store is closed takes that store over, so a reopen finds the data as on disk.
 */
function memoryLevelClass (): DbClass {
  const { MemoryLevel } = require('memory-level')
  const stores = new Map<string, BenchDb & { status: string }>()
  return function MemoryDb (location: string, options?: Record<string, unknown>) {
    const kept = stores.get(location)
    if (kept !== undefined && kept.status === 'closed') return kept
    const db = new MemoryLevel(options)
    stores.set(location, db)
    return db
  } as unknown as DbClass
}
