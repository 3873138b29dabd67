// multithreading: true when threads end: a terminated client, a terminated owner (another
// handle takes over, no acknowledged write is lost), and many workers opening and closing.

import test = require('tape')
import { LsmLevel } from '../../lib/adapter/level'
import { tempLocation } from '../support/temp'
import { spawnDb, until } from './helpers'

const linux = process.platform === 'linux'

test('multithreading: a terminated client leaves nothing behind', async (t) => {
  const location = tempLocation()
  const db = new LsmLevel(location, { multithreading: true })
  await db.open()
  const client = await spawnDb(location)
  await client.call('open')
  void client.call('writeForever', 'c-').catch(() => {})
  await until(() => client.acked.length >= 50)
  await client.worker.terminate()
  const acked = client.acked.slice()
  t.ok(acked.every((key) => db.getSync(key) === 'x'), `all ${acked.length} acknowledged writes are there`)
  await db.put('after', '1')
  t.equal(db.getSync('after'), '1', 'the owner carries on')
  await db.close()
  const plain = new LsmLevel(location)
  await plain.open()
  t.pass('the database closed with the owner\'s last handle: a plain open works')
  await plain.close()
})

test('multithreading: a terminated owner is taken over, acknowledged writes survive', { skip: !linux }, async (t) => {
  const location = tempLocation()
  const owner = await spawnDb(location)
  await owner.call('open')
  const db = new LsmLevel(location, { multithreading: true })
  await db.open()
  const other = await spawnDb(location)
  await other.call('open')
  await db.put('before', '1')
  void owner.call('writeForever', 'o-').catch(() => {})
  void other.call('writeForever', 'w-').catch(() => {})
  let mainAcked = 0
  const mainWrites = (async () => {
    for (let i = 0; i < 400; i++) {
      await db.put(`m-${String(i).padStart(6, '0')}`, 'x')
      mainAcked++
    }
  })()
  await until(() => owner.acked.length >= 100 && mainAcked >= 20)
  await owner.worker.terminate()
  await mainWrites
  t.equal(mainAcked, 400, 'the main thread\'s writes in flight were retried on the new owner')
  const ownerAcked = owner.acked.slice()
  t.ok(ownerAcked.length >= 100, 'the owner had acknowledged writes')
  t.ok(await until(() => { try { return db.getSync('before') === '1' } catch { return false } }), 'getSync works again after the takeover')
  t.ok(ownerAcked.every((key) => db.getSync(key) === 'x'), `all ${ownerAcked.length} writes the dead owner acknowledged are there`)
  const seen = other.acked.length
  t.ok(await until(() => other.acked.length > seen + 10), 'the other worker carries on writing')
  await other.worker.terminate()
  // The other worker may have been the new owner: then the main thread takes over in turn.
  t.ok(await until(() => { try { return db.getSync('before') === '1' } catch { return false } }), 'getSync works (again)')
  const otherAcked = other.acked.slice()
  t.ok(otherAcked.every((key) => db.getSync(key) === 'x'), `and its ${otherAcked.length} acknowledged writes are there`)
  await db.close()
  const plain = new LsmLevel(location)
  await plain.open()
  t.equal(await plain.get('m-000399'), 'x', 'closed with the last handle: a plain open works')
  await plain.close()
})

test('multithreading: an owner terminated with no other handle does not keep the LOCK', { skip: !linux }, async (t) => {
  const location = tempLocation()
  const owner = await spawnDb(location)
  await owner.call('open')
  await owner.call('put', 'k', 'v')
  await owner.worker.terminate()
  const plain = new LsmLevel(location)
  await plain.open()
  t.equal(await plain.get('k'), 'v', 'a plain open takes over and recovers the write')
  await plain.close()
})

test('multithreading: 100 workers open, write, read and close in turn and at once', async (t) => {
  const location = tempLocation()
  const db = new LsmLevel(location, { multithreading: true })
  await db.open()
  let ok = 0
  const waves = 10
  for (let wave = 0; wave < waves; wave++) {
    const workers = await Promise.all(Array.from({ length: 10 }, async () => await spawnDb(location)))
    await Promise.all(workers.map(async (w, i) => {
      await w.call('open')
      await w.call('put', `k${wave}-${i}`, 'v')
      if (await w.call('getSync', `k${wave}-${i}`) === 'v') ok++
      await w.call('close')
    }))
    await Promise.all(workers.map((w) => w.worker.terminate()))
  }
  t.equal(ok, 100, '100 workers each saw their own write')
  t.equal((await db.keys().all()).length, 100, 'all 100 writes are in')
  await db.close()
  const plain = new LsmLevel(location)
  await plain.open()
  t.pass('closed with the last handle')
  await plain.close()
})

test('multithreading: workers that own in turn (the first closes, the next opens)', async (t) => {
  const location = tempLocation()
  for (let i = 0; i < 10; i++) {
    const w = await spawnDb(location)
    await w.call('open')
    await w.call('put', `k${i}`, 'v')
    await w.call('close')
    await w.worker.terminate()
  }
  const plain = new LsmLevel(location)
  await plain.open()
  t.equal((await plain.keys().all()).length, 10, 'each owner\'s writes are there')
  await plain.close()
})
