// dump streams: on a database of ~200 MB of values, the child's peak RSS (VmHWM, sampled from
// /proc while it runs) stays far below the data's size, while its stdout is read as it comes.

import test = require('tape')
import * as crypto from 'crypto'
import * as fs from 'fs'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'
import { cli } from './support/cli'

const VALUE_BYTES = 64 * 1024
const VALUES = 3200 // 200 MiB
const PEAK_LIMIT_MIB = 150

function peakRssMib (pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? undefined : Number(match[1]) / 1024
  } catch {
    return undefined // exited between two samples
  }
}

test(`dump of ${VALUES} values of ${VALUE_BYTES / 1024} KiB: peak RSS under ${PEAK_LIMIT_MIB} MiB`, { skip: !fs.existsSync('/proc/self/status') }, async (t) => {
  const location = tempLocation('cli-dump-memory')
  // Big memtables keep the setup quick (few flushes); compactRange puts everything in tables,
  // as a WAL would be replayed into memory (as an open does) rather than streamed.
  const db = new LsmLevel<string, Buffer>(location, { valueEncoding: 'buffer', writeBufferSize: 64 * 1024 * 1024 })
  await db.open()
  for (let i = 0; i < VALUES; i += 16) {
    const batch = []
    for (let j = i; j < i + 16; j++) batch.push({ type: 'put' as const, key: `v${String(j).padStart(6, '0')}`, value: crypto.randomBytes(VALUE_BYTES) })
    await db.batch(batch)
  }
  await db.compactRange('v', 'w')
  await db.close()
  const bytes = fs.readdirSync(location).reduce((sum, n) => sum + fs.statSync(`${location}/${n}`).size, 0)
  t.ok(bytes > VALUES * VALUE_BYTES, `${(bytes / 1024 / 1024).toFixed(0)} MiB on disk`)

  let peak = 0
  let timer: NodeJS.Timeout | undefined
  const started = Date.now()
  const result = await cli(['dump', location, '--value-encoding', 'base64'], {
    discardStdout: true,
    onSpawn: (pid) => {
      timer = setInterval(() => { peak = Math.max(peak, peakRssMib(pid) ?? 0) }, 50)
    }
  })
  clearInterval(timer)
  t.is(result.code, 0, `exit 0 ${result.stderr}`)
  const expected = VALUES * (7 + 1 + Math.ceil(VALUE_BYTES / 3) * 4 + 1)
  t.is(result.stdoutBytes, expected, `every entry written: ${(result.stdoutBytes / 1024 / 1024).toFixed(0)} MiB of output`)
  t.ok(peak > 0, 'peak RSS was sampled')
  t.ok(peak < PEAK_LIMIT_MIB, `peak RSS ${peak.toFixed(1)} MiB < ${PEAK_LIMIT_MIB} MiB (dump took ${Date.now() - started} ms)`)
})
