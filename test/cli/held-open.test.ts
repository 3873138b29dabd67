// Read commands on a directory another process has open right now, by lsm-level and by
// classic-level: they succeed, see the holder's writes (those still in its WAL too), and leave
// every file byte for byte as it was. Commands that write are refused with exit 2, and the
// holder carries on undisturbed.

import test = require('tape')
import { type ChildProcess, spawn } from 'child_process'
import * as fs from 'fs'
import * as path from 'path'
import { tempLocation } from '../support/temp'
import { cli, hashTree, jsonLines } from './support/cli'
import { keyOf, valueOf } from './support/fixtures'

const HOLDER = path.join(__dirname, 'support', 'holder.js')
const children = new Set<ChildProcess>()
test.onFinish(() => { for (const child of children) child.kill('SIGKILL') })

function hold (engine: 'lsm' | 'classic', location: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLDER, engine, location], { stdio: ['ignore', 'pipe', 'inherit'] })
    children.add(child)
    child.on('close', () => children.delete(child))
    let out = ''
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (d: string) => {
      out += d
      if (out.startsWith('ready\n')) resolve(child)
      else if (out.includes('\n')) reject(new Error(`holder: ${out}`))
    })
    child.on('error', reject)
  })
}

for (const engine of ['lsm', 'classic'] as const) {
  test(`held open by ${engine === 'lsm' ? 'lsm-level' : 'classic-level'} in another process`, async (t) => {
    const location = tempLocation(`cli-held-${engine}`)
    const holder = await hold(engine, location)
    const before = hashTree(location)
    const table = fs.readdirSync(location).filter((n) => n.endsWith('.ldb')).sort()[0]
    t.ok(table !== undefined, `the holder wrote tables (${table})`)

    const get = await cli(['get', location, keyOf(1234)])
    t.is(get.code, 0, 'get: exit 0')
    t.is(get.stdout, valueOf(1234) + '\n', 'get: a value from a table')
    t.is((await cli(['get', location, 'held-in-wal'])).stdout, 'only in the log\n', 'get: a write the holder has only in its WAL')
    const scan = await cli(['scan', location, '--json', '--gte', 'h', '--lt', keyOf(2)])
    t.same(jsonLines(scan.stdout), [
      { key: 'held-in-wal', value: 'only in the log' }, { key: keyOf(0), value: valueOf(0) }, { key: keyOf(1), value: valueOf(1) }
    ], 'scan: the range, the WAL write included')
    const dump = await cli(['dump', location])
    t.is(dump.code, 0, 'dump: exit 0')
    t.is(dump.stdout.split('\n').length - 1, 2001, 'dump: every entry')
    const stats = await cli(['stats', location, '--json'])
    t.is(stats.code, 0, 'stats: exit 0')
    t.ok(JSON.parse(stats.stdout).lastSequence >= 2001, 'stats: the last sequence counts the WAL')
    const verify = await cli(['verify', location])
    t.is(verify.code, 0, `verify: exit 0 ${verify.code !== 0 ? verify.stdout : ''}`)
    t.is((await cli(['manifest', location])).code, 0, 'manifest: exit 0')
    t.is((await cli(['sst', path.join(location, table), '--entries', '--limit', '5'])).code, 0, 'sst: exit 0')

    t.same(hashTree(location), before, 'every file is byte for byte as before, none added or removed')

    for (const args of [['put', location, 'k', 'v'], ['del', location, keyOf(1)], ['compact', location], ['repair', location]]) {
      const refused = await cli(args)
      t.is(refused.code, 2, `${args[0]}: refused with exit 2`)
      t.ok(/open in another process/.test(refused.stderr), `${args[0]}: says why (${refused.stderr.trim().slice(0, 140)})`)
    }
    t.same(hashTree(location), before, 'the refused writes changed nothing either')
    t.is(holder.exitCode, null, 'the holder is still running')
    holder.kill('SIGKILL')
  })
}
