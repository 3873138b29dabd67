// A worker thread that opens a database with multithreading: true and does what the test
// thread asks, one command per message: { id, cmd, args } → { id, value } | { id, error }.
// Compiled to dist/test/sharing/worker.js and spawned by the tests of this folder.

import { parentPort, workerData } from 'worker_threads'
import { LsmLevel } from '../../lib/adapter/level'

const port = parentPort
if (port === null) throw new Error('run me as a worker')
const db = new LsmLevel<string, string>(workerData.location, { multithreading: true, ...(workerData.options ?? {}) })

type Command = (...args: any[]) => unknown

const commands: Record<string, Command> = {
  open: async () => { await db.open(); return db.status },
  close: async () => { await db.close(); return db.status },
  put: async (key: string, value: string) => { await db.put(key, value) },
  get: async (key: string) => await db.get(key),
  getSync: (key: string) => db.getSync(key),
  getMany: async (keys: string[]) => await db.getMany(keys),
  del: async (key: string) => { await db.del(key) },
  batch: async (ops: any[]) => { await db.batch(ops) },
  chained: async (entries: Array<[string, string]>) => {
    const batch = db.batch()
    for (const [k, v] of entries) batch.put(k, v)
    await batch.write()
  },
  entries: async (options: any) => await db.iterator(options ?? {}).all(),
  keys: async (options: any) => await db.keys(options ?? {}).all(),
  clear: async (options: any) => { await db.clear(options ?? {}) },
  /** Writes n keys `${prefix}${i}` concurrently, reporting how many were acknowledged as they come. */
  writeMany: async (prefix: string, n: number) => {
    let acked = 0
    await Promise.all(Array.from({ length: n }, async (_, i) => {
      await db.put(`${prefix}${String(i).padStart(5, '0')}`, `v${i}`)
      acked++
    }))
    return acked
  },
  /** Writes forever, one at a time, telling the parent each acknowledged key (so it can be killed mid-way). */
  writeForever: async (prefix: string) => {
    for (let i = 0; ; i++) {
      const key = `${prefix}${String(i).padStart(6, '0')}`
      await db.put(key, 'x')
      port.postMessage({ acked: key })
    }
  },
  snapshotCheck: async (key: string) => {
    const snapshot = db.snapshot()
    const before = db.getSync(key, { snapshot })
    await db.put(key, 'changed-in-worker')
    const still = await db.get(key, { snapshot })
    const stillSync = db.getSync(key, { snapshot })
    const now = db.getSync(key)
    const it = db.iterator({ snapshot, gte: key, lte: key })
    const viaIterator = await it.all()
    await snapshot.close()
    return { before, still, stillSync, now, viaIterator }
  },
  status: () => db.status,
  exit: () => { setImmediate(() => process.exit(0)) }
}

port.on('message', (message: { id: number, cmd: string, args?: unknown[] }) => {
  const run = async (): Promise<unknown> => await commands[message.cmd](...(message.args ?? []))
  run().then(
    (value) => { port.postMessage({ id: message.id, value }) },
    (err) => { port.postMessage({ id: message.id, error: { code: err?.code, message: String(err?.message), cause: err?.cause?.code } }) }
  )
})
port.postMessage({ ready: true })
