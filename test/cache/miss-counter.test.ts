import test = require('tape')
import { MissCounter } from '../../lib/cache/miss-counter'

test('miss counter: counts each block\'s misses; another table\'s blocks are their own', (t) => {
  const counter = new MissCounter(1000)
  t.equal(counter.miss(1, 5), 1, 'first miss')
  t.equal(counter.miss(1, 5), 2, 'second miss')
  t.equal(counter.miss(1, 5), 3, 'third miss')
  let overcounted = 0
  for (let block = 0; block < 500; block++) if (counter.miss(2, block) > 1) overcounted++
  t.ok(overcounted <= 5, `500 new blocks of table 2, ${overcounted} counted as missed before (4 counters a miss, two per block)`)
  t.equal(counter.miss(1, 5), 4, 'table 1\'s block kept its count')
  t.end()
})

test('miss counter: halves every count once it has taken a window of misses', (t) => {
  const counter = new MissCounter(64)
  for (let i = 0; i < 8; i++) counter.miss(3, 1)
  for (let block = 100; block < 100 + 64 - 8; block++) counter.miss(3, block)
  t.equal(counter.miss(3, 1), 5, '8 misses halved to 4, then this one')
  for (let round = 0; round < 4; round++) for (let block = 1000; block < 1064; block++) counter.miss(3, block)
  t.equal(counter.miss(3, 1), 1, 'forgotten after four more windows of other misses')
  t.end()
})

test('miss counter: a hot set stands out of reads spread over many more blocks', (t) => {
  // The block cache's case: a window of 2 misses per cached block, 2,000 blocks cached,
  // 40,000 blocks read evenly, then 300 hot ones mixed in as one read in three.
  const counter = new MissCounter(4000)
  let seed = 7
  const next = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed }
  let evenAtThree = 0
  for (let i = 0; i < 20000; i++) if (counter.miss(9, next() % 40000) >= 3) evenAtThree++
  t.ok(evenAtThree < 200, `${evenAtThree} of 20,000 even reads reached a third miss`)
  const hot = new Set<number>()
  for (let i = 0; i < 6000; i++) {
    if (i % 3 === 0) {
      const block = 50000 + (next() % 300)
      if (counter.miss(9, block) >= 3) hot.add(block)
    } else counter.miss(9, next() % 40000)
  }
  t.ok(hot.size > 250, `${hot.size} of 300 hot blocks reached a third miss`)
  t.end()
})
