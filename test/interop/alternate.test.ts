// One directory, six rounds, the engine alternating: each round opens the directory with
// the other engine, checks everything the previous round left (tables and .log of the other
// engine), mutates it (puts, overwrites, deletes, batches, chained batches), checks again,
// and closes without flushing. Compression changes between rounds too, so the directory
// ends up mixing snappy and raw tables from both engines. Both engines check the end state.

import test = require('tape')
import { tempLocation } from '../support/temp'
import { type Engine, Generator, type Write, applyWrites, makeDb, prng } from './dataset'
import { verifyDb } from './verify'

const ROUNDS: Array<{ engine: Engine, compression: boolean }> = [
  { engine: 'classic-level', compression: true },
  { engine: 'lsm-level', compression: true },
  { engine: 'classic-level', compression: false },
  { engine: 'lsm-level', compression: false },
  { engine: 'classic-level', compression: true },
  { engine: 'lsm-level', compression: false }
]

test('interop: six rounds alternating classic-level and lsm-level on one directory', async (t) => {
  const generator = new Generator(prng(601))
  const location = tempLocation('alternate')
  let seed = 602

  for (let round = 0; round < ROUNDS.length; round++) {
    const { engine, compression } = ROUNDS[round]
    const label = `round ${round + 1} (${engine}, compression ${String(compression)})`
    const db = makeDb(engine, location, { compression, writeBufferSize: 64 * 1024 })
    await db.open()
    if (round > 0) {
      await verifyDb(t, db, generator.model, `${label}, at open`, { seed: seed++, generator, ranges: 15, seeks: 40 })
    }
    let writes: Write[]
    if (round === 0) {
      writes = generator.bulk(6000).concat(generator.sequential(3000), generator.specials(true))
    } else {
      writes = generator.churn(1500).concat(
        generator.bulk(800),
        generator.sequential(600, 'm/', 100000 * round),
        [{ kind: 'single', ops: [generator.put(Buffer.from(`big/round-${round}`), generator.value(100 * 1024))] }],
        generator.churn(300)
      )
    }
    await applyWrites(db, writes)
    await verifyDb(t, db, generator.model, `${label}, after its writes`, { seed: seed++, generator, ranges: 25, seeks: 60 })
    await db.close()
  }

  for (const engine of ['classic-level', 'lsm-level'] as Engine[]) {
    const db = makeDb(engine, location, { compression: true })
    await db.open()
    await verifyDb(t, db, generator.model, `final state read by ${engine}`, { seed: seed++, generator })
    await db.close()
  }
})
