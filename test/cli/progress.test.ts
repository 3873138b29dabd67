// Progress of the long commands through the bin script: absent when stderr is a pipe, drawn
// when it is a terminal (run under script(1), which gives the child a pseudo-terminal).

import test = require('tape')
import { spawnSync } from 'child_process'
import * as fs from 'fs'
import { BIN, cli } from './support/cli'
import { lsmFixture } from './support/fixtures'

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => fs.existsSync(p))

let location: string

test('setup', async (t) => {
  location = (await lsmFixture(2000, 'cli-progress')).location
  t.pass(location)
})

test('stderr not a terminal: verify, dump and compact print no progress', async (t) => {
  for (const args of [['verify', location], ['dump', location], ['compact', location]]) {
    const result = await cli(args)
    t.is(result.code, 0, `${args[0]}: exit 0`)
    t.is(result.stderr, '', `${args[0]}: stderr empty`)
    t.notOk(result.stdout.includes('\r'), `${args[0]}: no control characters in stdout`)
  }
})

test('stderr a terminal: verify and dump draw a bar with bytes and ETA, then erase it', { skip: SCRIPT === undefined }, (t) => {
  for (const command of ['verify', 'dump']) {
    // script -q: no banner; -e: its exit code is the command's; -c: the command; output to /dev/null.
    const run = spawnSync(SCRIPT as string, ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${command} ${JSON.stringify(location)}`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 })
    t.is(run.status, 0, `${command} under a pseudo-terminal: exit 0`)
    const drawn = run.stdout.split('\r').filter((s) => s.startsWith(`${command} [`))
    t.ok(drawn.length >= 1, `${command}: the bar is drawn (${JSON.stringify(drawn[drawn.length - 1]?.slice(0, 80))})`)
    t.ok(drawn.some((line) => /\d+(\.\d)? (B|KiB|MiB) \/ \d+(\.\d)? (B|KiB|MiB) +\d+% ETA \d+:\d\d/.test(line)), `${command}: bytes done / total, percent and ETA`)
    t.ok(drawn.some((line) => line.includes('100%')), `${command}: the final state is drawn`)
    t.ok(run.stdout.includes('\r\x1b[K'), `${command}: and erased`)
  }
  t.end()
})
