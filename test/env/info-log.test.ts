import test = require('tape')
import { nodeEnv } from '../../lib/env/node-env'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { InfoLog, startsWithLsmLevelHeader } from '../../lib/env/info-log'

test('info log: rotates LOG to LOG.old and appends timestamped lines', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsm-infolog-'))
  const first = InfoLog.open(nodeEnv, dir)
  first.write('hello')
  first.write('second line\n')
  await first.closeAsync()
  await first.closeAsync()
  first.write('after close is ignored')
  const text = fs.readFileSync(path.join(dir, 'LOG'), 'utf8')
  const lines = text.split('\n')
  t.equal(lines.length, 4, 'lsm-level\'s first line, two lines and a final newline')
  t.match(lines[0], /^\d{4}\/\d\d\/\d\d-\d\d:\d\d:\d\d\.\d{6} \d+ lsm-level opened the database$/, lines[0])
  t.ok(startsWithLsmLevelHeader(text), 'recognised as a LOG lsm-level started')
  t.match(lines[1], /^\d{4}\/\d\d\/\d\d-\d\d:\d\d:\d\d\.\d{6} \d+ hello$/, lines[1])
  t.ok(lines[2].endsWith(' second line'))

  const second = InfoLog.open(nodeEnv, dir)
  second.write('next open')
  await second.closeAsync()
  t.equal(fs.readFileSync(path.join(dir, 'LOG.old'), 'utf8'), text, 'previous LOG kept as LOG.old')
  t.ok(fs.readFileSync(path.join(dir, 'LOG'), 'utf8').endsWith(' next open\n'))
})

test('info log: open fails with LEVEL_IO_ERROR; noop writes nothing', (t) => {
  try {
    InfoLog.open(nodeEnv, path.join(os.tmpdir(), 'lsm-infolog-missing', 'nested'))
    t.fail('opened')
  } catch (err) {
    t.equal((err as { code?: string }).code, 'LEVEL_IO_ERROR')
  }
  const log = InfoLog.noop()
  log.write('nothing')
  log.close()
  t.pass('noop log accepts writes')
  t.end()
})
