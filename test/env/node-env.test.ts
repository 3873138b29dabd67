// NodeEnv: errors name operation, file and errno once; a closed file never touches the
// descriptor number it had (the kernel hands the number to the next open, which could be
// any file of the application's).

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { nodeEnv } from '../../lib/env/node-env'
import { tempLocation } from '../support/temp'

function failure (fn: () => unknown): { code?: string, errno?: string, message: string } | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    const e = err as { code?: string, message: string, cause?: { code?: string } }
    return { code: e.code, errno: e.cause?.code, message: e.message }
  }
}

test('node env: a closed file fails with EBADF and leaves a file opened since alone', (t) => {
  const dir = tempLocation('node-env')
  nodeEnv.makeDirectory(dir)
  const writable = nodeEnv.createWritable(path.join(dir, 'a'))
  writable.append(Buffer.from('a'))
  writable.close()
  const readable = nodeEnv.openRandomAccess(path.join(dir, 'a'))
  readable.close()
  // Likely to get one of the numbers just freed.
  const other = path.join(dir, 'other')
  const fd = fs.openSync(other, 'w')
  t.equal(failure(() => writable.append(Buffer.from('x')))?.code, 'LEVEL_IO_ERROR', 'append after close fails')
  t.equal(failure(() => writable.sync())?.code, 'LEVEL_IO_ERROR', 'sync after close fails')
  t.equal(failure(() => readable.read(0, 1))?.code, 'LEVEL_IO_ERROR', 'read after close fails')
  writable.close()
  t.pass('a second close is harmless')
  fs.writeSync(fd, 'mine')
  fs.closeSync(fd)
  t.equal(fs.readFileSync(other, 'utf8'), 'mine', 'the other file holds only its own bytes')
  t.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), 'a')
  t.end()
})

test('node env: error messages name the operation, the file and the errno, and the path once', (t) => {
  const dir = tempLocation('node-env-errors')
  const missing = path.join(dir, 'missing')
  const err = failure(() => nodeEnv.readFile(missing))
  t.equal(err?.code, 'LEVEL_IO_ERROR')
  t.equal(err?.errno, 'ENOENT')
  t.equal(err?.message, `IO error: read ${missing}: ENOENT: no such file or directory`)
  t.equal(err?.message.split(missing).length, 2, 'the path appears once')
  t.end()
})
