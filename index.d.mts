// Types of the ESM entry point (index.mjs), which re-exports the CommonJS build.

import * as lsmLevel from './dist/index.js'

export * from './dist/index.js'
export default lsmLevel
