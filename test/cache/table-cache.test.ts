import test = require('tape')
import type { Block } from '../../lib/sstable/block'
import { nodeEnv } from '../../lib/env/node-env'
import fs = require('fs')
import path = require('path')
import { TableCache } from '../../lib/cache/table-cache'
import { BlockCache } from '../../lib/cache/block-cache'
import { MAX_SEQUENCE, ValueKind } from '../../lib/format/internal-key'
import { Entry, tempDir, writeTableFile, collect, thrown } from '../sstable/table-fixture'

const dir = tempDir('table-cache')
test.onFinish(() => fs.rmSync(dir, { recursive: true, force: true }))

const sizes = new Map<number, number>()
function makeTable (fileNumber: number, extension = 'ldb'): void {
  const entries: Entry[] = []
  for (let i = 0; i < 300; i++) {
    entries.push({ userKey: Buffer.from(`t${fileNumber}-${String(i).padStart(4, '0')}`), sequence: fileNumber, kind: ValueKind.Value, value: Buffer.from(`v${i}`) })
  }
  const name = `${String(fileNumber).padStart(6, '0')}.${extension}`
  sizes.set(fileNumber, writeTableFile(path.join(dir, name), entries, { blockSize: 1024, blockRestartInterval: 16, compression: true }).fileSize)
}

for (let n = 1; n <= 6; n++) makeTable(n)
makeTable(7, 'sst')
makeTable(12345678)

/** File descriptors this process has open on our table files. */
function openFds (): number {
  let count = 0
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) count++
    } catch {}
  }
  return count
}

test('table cache: same table while open, bounded by capacity, LRU order', (t) => {
  const cache = new TableCache(nodeEnv, dir, 3, undefined)
  const one = cache.acquire(1, sizes.get(1) as number)
  t.equal(cache.acquire(1, sizes.get(1) as number), one, 'a second acquire shares the table')
  cache.release(one)
  cache.release(one)
  for (const n of [2, 3]) cache.release(cache.acquire(n, sizes.get(n) as number))
  t.equal(cache.openCount, 3)
  t.equal(openFds(), 3)
  cache.release(cache.acquire(1, sizes.get(1) as number)) // 1 becomes most recent; 2 is least
  const four = cache.acquire(4, sizes.get(4) as number)
  cache.release(four)
  t.equal(cache.openCount, 3, 'capacity respected')
  t.equal(cache.acquire(1, sizes.get(1) as number), one, '1 survived: recently used')
  cache.release(one)
  const two = cache.acquire(2, sizes.get(2) as number)
  t.equal(openFds(), 3)
  cache.close()
  t.equal(openFds(), 1, 'close leaves only the pinned table open')
  cache.release(two)
  t.equal(openFds(), 0, 'and closes it at its release')
  t.end()
})

test('table cache: pinned tables are never closed by eviction', (t) => {
  const blockCache = new BlockCache<Block>(1 << 20)
  const cache = new TableCache(nodeEnv, dir, 2, blockCache)
  const pinned = [1, 2, 3].map((n) => cache.acquire(n, sizes.get(n) as number))
  t.equal(cache.openCount, 3, 'over capacity while every table is pinned')
  const it = pinned[0].iterator(true)
  it.seekToFirst()
  t.ok(it.valid())
  cache.evict(1) // its file is being deleted, but an iterator still reads it
  t.equal(collect(it).length, 300, 'an evicted pinned table still reads')
  t.ok(blockCache.size > 0)
  cache.release(pinned[0])
  t.equal(blockCache.size, 0, 'closing the evicted table dropped its blocks')
  t.equal(thrown(() => pinned[0].get(Buffer.from('t1-0001'), MAX_SEQUENCE, true))?.code, 'LEVEL_IO_ERROR', 'now closed')
  cache.release(pinned[1])
  t.equal(cache.openCount, 2, 'released down to capacity')
  cache.release(pinned[2])
  t.equal(cache.openCount, 2)
  t.ok(pinned[2].get(Buffer.from('t3-0001'), MAX_SEQUENCE, true) !== undefined, 'most recent stays open')
  t.throws(() => cache.release(pinned[2]), /not acquired/, 'double release')
  cache.close()
  t.equal(cache.openCount, 0)
  t.equal(openFds(), 0)
  t.end()
})

test('table cache: .sst fallback, long numbers, missing files', (t) => {
  const cache = new TableCache(nodeEnv, dir, 10, undefined)
  const legacy = cache.acquire(7, sizes.get(7) as number)
  t.ok(legacy.path.endsWith('000007.sst'))
  t.ok(legacy.get(Buffer.from('t7-0007'), MAX_SEQUENCE, true)?.value.equals(Buffer.from('v7')))
  cache.release(legacy)
  const long = cache.acquire(12345678, sizes.get(12345678) as number)
  t.ok(long.path.endsWith('12345678.ldb'))
  cache.release(long)
  const err = thrown(() => cache.acquire(99, 1000))
  t.equal(err?.code, 'LEVEL_CORRUPTION')
  t.ok(err?.message.includes('000099.ldb'), err?.message)
  const bad = thrown(() => cache.acquire(5, (sizes.get(5) as number) + 1))
  t.equal(bad?.code, 'LEVEL_CORRUPTION', 'wrong size from the MANIFEST')
  t.equal(cache.openCount, 2, 'a failed open leaves nothing open')
  cache.close()
  t.equal(openFds(), 0)
  t.end()
})

test('table cache: evict of an unpinned table closes it at once', (t) => {
  const blockCache = new BlockCache<Block>(1 << 20)
  const cache = new TableCache(nodeEnv, dir, 10, blockCache)
  const table = cache.acquire(6, sizes.get(6) as number)
  table.get(Buffer.from('t6-0001'), MAX_SEQUENCE, true)
  cache.release(table)
  t.equal(blockCache.size, 1)
  cache.evict(6)
  t.equal(cache.openCount, 0)
  t.equal(blockCache.size, 0)
  const again = cache.acquire(6, sizes.get(6) as number)
  t.notEqual(again, table, 'reopened as a new table')
  cache.release(again)
  cache.close()
  t.end()
})
