// lsm-level: a pure TypeScript LSM engine for abstract-level that reads and writes
// LevelDB's on-disk format. Exported as ClassicLevel too, so that an alias of the
// classic-level dependency (npm install classic-level@npm:lsm-level) swaps the engine
// under `level` and everything built on it.

export { LsmLevel, LsmLevel as ClassicLevel } from './lib/adapter/level'
export type { LsmLevelOptions } from './lib/adapter/level'
export type * from './lib/adapter/types'
