// ESM entry point. It re-exports the CommonJS build instead of being a second build, so that
// `import` and `require` in one process get the same class (and share one worker pool).

import lsmLevel from './dist/index.js'

export const { LsmLevel, ClassicLevel, MemEnv, FaultEnv } = lsmLevel

// As Node would give for a CommonJS package: `import lsmLevel from 'lsm-level'`.
export default lsmLevel
