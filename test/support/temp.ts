// Temporary database directories for tests, removed when the process exits.

import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lsm-level-test-'))
let counter = 0

process.on('exit', () => {
  if (process.env.KEEP_TEST_DIRS === undefined) fs.rmSync(root, { recursive: true, force: true })
})

/** A fresh, not yet existing directory path. */
export function tempLocation (name = 'db'): string {
  return path.join(root, `${name}-${++counter}`)
}

export const tempRoot = root
