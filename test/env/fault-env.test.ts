// The fault-injecting environment: which calls a rule fails, and how.

import test = require('tape')
import { FaultEnv } from '../../lib/env/fault-env'
import { MemEnv } from '../../lib/env/mem-env'

const DIR = '/fault/db'

function setup (): { env: FaultEnv, mem: MemEnv } {
  const mem = new MemEnv()
  mem.makeDirectory(DIR)
  return { env: new FaultEnv(mem), mem }
}

function failure (fn: () => unknown): { code?: string, errno?: string, syscall?: string, message: string } | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    const e = err as { code?: string, message: string, cause?: { code?: string, syscall?: string } }
    return { code: e.code, errno: e.cause?.code, syscall: e.cause?.syscall, message: e.message }
  }
}

test('fault env: the nth matching call fails, and only calls on matching files count', (t) => {
  const { env } = setup()
  const rule = env.inject({ op: 'create', file: /\.ldb$/, nth: 2, times: 1, error: 'EIO' })
  env.createWritable(`${DIR}/000001.log`).close()
  env.createWritable(`${DIR}/000002.ldb`).close()
  const err = failure(() => env.createWritable(`${DIR}/000003.ldb`))
  t.equal(err?.code, 'LEVEL_IO_ERROR')
  t.equal(err?.errno, 'EIO')
  t.equal(err?.syscall, 'open')
  t.match(String(err?.message), /000003\.ldb: EIO/, 'the message names the file and errno')
  env.createWritable(`${DIR}/000004.ldb`).close()
  t.equal(rule.seen, 3, 'three calls matched')
  t.equal(rule.hits, 1, 'one failed (times: 1)')
  t.end()
})

test('fault env: afterBytes fills the disk, writing what fits first', (t) => {
  const { env, mem } = setup()
  const full = env.inject({ op: 'append', afterBytes: 10, error: 'ENOSPC' })
  const file = env.createWritable(`${DIR}/data`)
  file.append(Buffer.from('123456'))
  const err = failure(() => file.append(Buffer.from('abcdefgh')))
  t.equal(err?.errno, 'ENOSPC')
  t.equal(err?.syscall, 'write')
  t.equal(mem.contents(`${DIR}/data`).toString(), '123456abcd', 'the short write left the bytes that fit')
  t.equal(file.size, 10)
  t.equal(failure(() => file.append(Buffer.from('z')))?.errno, 'ENOSPC', 'the disk stays full')
  t.equal(full.hits, 2)
  env.clear(full)
  file.append(Buffer.from('z'))
  t.equal(mem.contents(`${DIR}/data`).toString(), '123456abcdz', 'space is back once the rule is cleared')
  t.end()
})

test('fault env: async calls fail the same way; onFault runs before the error', async (t) => {
  const { env } = setup()
  const seen: string[] = []
  env.inject({ op: 'sync', error: 'EIO', onFault: (call) => seen.push(`${call.op} ${call.file}`) })
  const file = await env.createWritableAsync(`${DIR}/wal`)
  await file.appendAsync(Buffer.from('x'))
  const err = await file.syncAsync().then(() => undefined, (e: { code?: string, cause?: { code?: string, syscall?: string } }) => e)
  t.equal(err?.code, 'LEVEL_IO_ERROR')
  t.equal(err?.cause?.code, 'EIO')
  t.equal(err?.cause?.syscall, 'fdatasync')
  t.deepEqual(seen, [`sync ${DIR}/wal`])
  t.end()
})

test('fault env: shortWrite writes half before failing; reads and directory syncs can fail', (t) => {
  const { env, mem } = setup()
  env.inject({ op: 'append', shortWrite: true, times: 1, error: 'EIO' })
  const file = env.createWritable(`${DIR}/f`)
  t.equal(failure(() => file.append(Buffer.from('abcd')))?.errno, 'EIO')
  t.equal(mem.contents(`${DIR}/f`).toString(), 'ab')
  env.inject({ op: 'read', error: 'EIO' })
  t.equal(failure(() => env.openRandomAccess(`${DIR}/f`).read(0, 1))?.errno, 'EIO')
  env.inject({ op: 'syncDirectory', error: 'EIO' })
  t.equal(failure(() => env.syncDirectory(DIR))?.errno, 'EIO')
  t.end()
})
