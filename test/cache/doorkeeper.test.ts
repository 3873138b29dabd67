import test = require('tape')
import { Doorkeeper } from '../../lib/cache/doorkeeper'

test('doorkeeper: a block is new the first time, seen the second; another table\'s block is its own', (t) => {
  const door = new Doorkeeper(1000)
  t.notOk(door.seenBefore(1, 5), 'first miss')
  t.ok(door.seenBefore(1, 5), 'second miss')
  let collisions = 0
  for (let block = 0; block < 100; block++) if (door.seenBefore(2, block)) collisions++
  t.ok(collisions <= 10, `100 new blocks of table 2, ${collisions} taken for seen (the bitset has 8 bits a mark)`)
  t.end()
})

test('doorkeeper: forgets everything once it has taken a window of marks', (t) => {
  const door = new Doorkeeper(64)
  t.notOk(door.seenBefore(3, 1))
  for (let block = 100; door.seenBefore(3, 1); block++) {
    door.seenBefore(3, block)
    if (block > 100 + 64 * 2) return t.fail('still remembered after two windows')
  }
  t.pass('block 1 was forgotten within a window of other marks')
  t.notOk(door.seenBefore(3, 777_777), 'and a new block is new again')
  t.end()
})
