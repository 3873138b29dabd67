// lsm-level: a pure TypeScript LSM engine for abstract-level that reads and writes
// LevelDB's on-disk format. Exported as ClassicLevel too, so that an alias of the
// classic-level dependency (npm install classic-level@npm:lsm-level) swaps the engine
// under `level` and everything built on it.

export { LsmLevel, LsmLevel as ClassicLevel } from './lib/adapter/level'
export type { LsmLevelOptions } from './lib/adapter/level'
export type * from './lib/adapter/types'

// Storage environments: the option `env` takes one. MemEnv and FaultEnv are for tests.
export type { Env, WritableFile, RandomAccessFile, FileLock } from './lib/env/env'
export { MemEnv } from './lib/env/mem-env'
export type { CrashMode } from './lib/env/mem-env'
export { FaultEnv } from './lib/env/fault-env'
export type { FaultSpec, FaultRule, FaultCall, FaultOperation, FaultCode } from './lib/env/fault-env'
