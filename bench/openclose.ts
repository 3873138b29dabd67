// openclose: what starting up costs on a small database, e.g. a short-lived process or one
// database per tenant. Setup writes OPEN_KEYS keys in one batch, few enough to stay in the
// write-ahead log, and closes; each round then constructs a new instance, opens it, reads one
// random key and closes it. What an engine does with the log on open (LevelDB turns it into a
// table) and with the new log on close is part of the cost, so rounds after the first differ.
import { Value } from './engines'
import { formatKey } from './keys'
import { StandaloneWorkload } from './workloads'

export const OPEN_KEYS = 2000
/** About 1-3 s of classic-level on a 2-core machine; independent of --n. */
export const OPEN_ROUNDS = 1000

export const openclose: StandaloneWorkload = {
  name: 'openclose',
  about: `new instance, open(), one get, close() on a database of its own with ${OPEN_KEYS.toLocaleString('en-US')} keys in the WAL; ops = rounds`,
  standalone: true,
  setup: async ({ newDb, location, values }) => {
    const db = newDb(location)
    await db.open()
    const ops: Array<{ type: 'put', key: string, value: Value }> = []
    for (let i = 0; i < OPEN_KEYS; i++) ops.push({ type: 'put', key: formatKey(i), value: values.next() })
    await db.batch(ops)
    await db.close()
  },
  run: async ({ newDb, location, rng }) => {
    let found = 0
    for (let round = 0; round < OPEN_ROUNDS; round++) {
      const db = newDb(location)
      await db.open()
      if (await db.get(formatKey(rng.below(OPEN_KEYS))) !== undefined) found++
      await db.close()
    }
    return { ops: OPEN_ROUNDS, found, expected: OPEN_ROUNDS, unit: 'round' }
  }
}
