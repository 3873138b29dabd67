// WriteStalls, the policy that turns what makeRoom does with each write group into stall
// episodes, on a fake clock.

import test = require('tape')
import { WriteStalls, type WriteStallReason } from '../../lib/engine/write-stalls'

function tracker (): { stalls: WriteStalls, events: string[], clock: { now: number } } {
  const clock = { now: 0 }
  const events: string[] = []
  const stalls = new WriteStalls((event, payload) => {
    const { reason, ms } = payload as { reason: WriteStallReason, ms?: number }
    events.push(ms === undefined ? `${event} ${reason}` : `${event} ${reason} ${ms}`)
  }, () => clock.now)
  return { stalls, events, clock }
}

test('write stalls: a wait for a flush is one episode, from the first wait to the group that goes ahead', (t) => {
  const { stalls, events, clock } = tracker()
  stalls.pass(false)
  t.deepEqual(events, [], 'groups that go ahead with nothing to wait for emit nothing')
  clock.now = 10
  stalls.begin('memtable-full')
  clock.now = 12
  stalls.begin('memtable-full')
  t.equal(stalls.count, 1, 'waiting again for the same reason is the same episode')
  t.equal(stalls.totalMs, 2, 'totalMs counts the episode under way')
  clock.now = 25
  stalls.pass(false)
  t.deepEqual(events, ['write-stall memtable-full', 'write-stall-end memtable-full 15'], 'start and end, with the time between')
  t.equal(stalls.current, undefined, 'no episode under way')
  t.equal(stalls.totalMs, 15, 'totalMs keeps the ended episode')
  t.end()
})

test('write stalls: a slowdown lasts while level 0 stays past its trigger, even though each group goes ahead', (t) => {
  const { stalls, events, clock } = tracker()
  stalls.begin('level0-slowdown')
  for (let i = 1; i <= 5; i++) {
    clock.now = i
    stalls.pass(true)
    stalls.begin('level0-slowdown')
  }
  t.deepEqual(events, ['write-stall level0-slowdown'], 'groups delayed one after another: one episode')
  clock.now = 9
  stalls.pass(false)
  t.deepEqual(events, ['write-stall level0-slowdown', 'write-stall-end level0-slowdown 9'], 'it ends with the first group that finds level 0 under the trigger')
  t.equal(stalls.count, 1, 'one stall counted')
  t.end()
})

test('write stalls: a change of reason ends one episode and starts the next; end() closes any', (t) => {
  const { stalls, events, clock } = tracker()
  stalls.begin('level0-slowdown')
  clock.now = 3
  stalls.begin('level0-files')
  clock.now = 10
  stalls.pass(true)
  t.deepEqual(events, [
    'write-stall level0-slowdown', 'write-stall-end level0-slowdown 3',
    'write-stall level0-files', 'write-stall-end level0-files 7'
  ], 'slowdown, then a stop until compaction; a group going ahead ends the stop even while level 0 still slows writes')
  clock.now = 11
  stalls.begin('memtable-full')
  clock.now = 14
  stalls.end()
  stalls.end()
  t.deepEqual(events.slice(4), ['write-stall memtable-full', 'write-stall-end memtable-full 3'], 'end() (writes fail) ends the episode, once')
  t.equal(stalls.count, 3, 'three episodes')
  t.equal(stalls.totalMs, 13, 'their total time')
  t.end()
})
