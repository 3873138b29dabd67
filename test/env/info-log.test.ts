import test = require('tape')
import { nodeEnv } from '../../lib/env/node-env'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { InfoLog, ROTATE_AT_BYTES, startsWithLsmLevelHeader } from '../../lib/env/info-log'

test('info log: appends timestamped lines, and the next open appends to the LOG lsm-level started', async (t) => {
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
  const after = fs.readFileSync(path.join(dir, 'LOG'), 'utf8')
  t.ok(after.startsWith(text), 'the first open\'s lines are still there')
  const added = after.slice(text.length).split('\n')
  t.ok(added[0].endsWith(' lsm-level opened the database') && added[1].endsWith(' next open') && added[2] === '', `then the second open's: ${JSON.stringify(added)}`)
  t.notOk(fs.existsSync(path.join(dir, 'LOG.old')), 'no LOG.old')
})

test('info log: a LOG another program started, or one past ROTATE_AT_BYTES, becomes LOG.old', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsm-infolog-'))
  const leveldbs = '2026/12/04-10:00:00.000000 7f00 Recovering log #3\n'
  fs.writeFileSync(path.join(dir, 'LOG'), leveldbs)
  await InfoLog.open(nodeEnv, dir).closeAsync()
  t.equal(fs.readFileSync(path.join(dir, 'LOG.old'), 'utf8'), leveldbs, 'LevelDB\'s LOG kept as LOG.old')
  const ours = fs.readFileSync(path.join(dir, 'LOG'), 'utf8')
  t.ok(startsWithLsmLevelHeader(ours) && ours.split('\n').length === 2, 'a fresh LOG with lsm-level\'s line')

  const big = ours + 'x'.repeat(ROTATE_AT_BYTES - ours.length - 1) + '\n'
  fs.writeFileSync(path.join(dir, 'LOG'), big)
  const log = InfoLog.open(nodeEnv, dir)
  log.write('after rotation')
  await log.closeAsync()
  t.equal(fs.statSync(path.join(dir, 'LOG.old')).size, ROTATE_AT_BYTES, 'the full LOG became LOG.old')
  t.equal(fs.readFileSync(path.join(dir, 'LOG'), 'utf8').split('\n').length, 3, 'LOG starts again: our line, one line, a final newline')
})

test('info log: after a line cut short by a crash, the next open starts a line of its own', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsm-infolog-'))
  await InfoLog.open(nodeEnv, dir).closeAsync()
  fs.appendFileSync(path.join(dir, 'LOG'), '2026/12/04-10:00:00.000000 1 Compacting 4@0 + 1@1 fi')
  const log = InfoLog.open(nodeEnv, dir)
  log.write('reopened')
  await log.closeAsync()
  const lines = fs.readFileSync(path.join(dir, 'LOG'), 'utf8').split('\n')
  t.equal(lines.length, 5, JSON.stringify(lines))
  t.ok(lines[1].endsWith(' fi'), 'the cut line is kept as it was')
  t.ok(lines[2].endsWith(' lsm-level opened the database') && lines[3].endsWith(' reopened'), 'our lines follow on lines of their own')
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
