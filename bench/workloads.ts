// The db_bench-like workloads. Every single operation is awaited before the next one starts:
// that per-op round trip (a thread-pool hop for classic-level) is what the comparison is about.
// The exceptions say so: readconc and fillconc keep many in flight, readsync has no promise.
// Every fill leaves exactly the keys 0..n-1, so reads can check what they find.
import { BenchDb, Value } from './engines'
import { inFlight } from './inflight'
import { KEY_BYTES, Rng, ValueSource, formatKey, missingKey, permutation } from './keys'
import { openclose } from './openclose'

export interface WorkloadContext {
  db: BenchDb
  /** Keys 0..n-1: what a fill leaves and what reads find. */
  n: number
  /** Operations to time, for the workloads that set Workload.ops (the others do n). */
  ops: number
  /** Operations outstanding at once in the concurrent workloads (--in-flight). */
  depth: number
  rng: Rng
  values: ValueSource
}

export interface Outcome {
  ops: number
  /** Key and value bytes handed to the engine (fills only). */
  userBytes?: number
  /** Reads that found their key (seekrandom: entries as expected), and how many should have. */
  found?: number
  expected?: number
  /** What one op is, where not one key or entry (openclose: "round"). */
  unit?: string
}

export interface SharedWorkload {
  name: string
  /** One line for the report's legend and --help. */
  about: string
  standalone?: false
  /** Fills start from an empty database; the others need the n keys present. */
  fill: boolean
  /** Close and reopen the database (untimed) before running, so reads come from table files. */
  reopen?: boolean
  /** ctx.ops for a database of n keys, where fewer than n keep the default run near a minute. */
  ops?: (n: number) => number
  run (ctx: WorkloadContext): Promise<Outcome>
}

/** What a workload with a database of its own gets instead of the shared one. */
export interface StandaloneContext {
  /** A new, unopened instance of the engine with the run's constructor options. */
  newDb (location: string): BenchDb
  /** A directory for its database (not yet created); the child removes it afterwards. */
  location: string
  rng: Rng
  values: ValueSource
}

/** Makes its own database (setup, untimed) and leaves the shared one and its keys alone. */
export interface StandaloneWorkload {
  name: string
  about: string
  standalone: true
  setup (ctx: StandaloneContext): Promise<void>
  run (ctx: StandaloneContext): Promise<Outcome>
}

export type Workload = SharedWorkload | StandaloneWorkload

export const BATCH_SIZE = 1000
/** Entries read after each seek in seekrandom. */
export const SEEK_NEXTS = 10
/** Keys per db.getMany() call in getmany. */
export const GET_MANY = 100
/** Entries per iterator.nextv() call in readseqv. */
export const NEXTV = 1000

/** Half the keys: for the per-op reads added after db_bench's set, so they add less time. */
const half = (n: number): number => Math.max(1, Math.floor(n / 2))

async function fillInOrder (ctx: WorkloadContext, order: (i: number) => number): Promise<Outcome> {
  const { db, n, values } = ctx
  for (let i = 0; i < n; i++) await db.put(formatKey(order(i)), values.next())
  return { ops: n, userBytes: n * (KEY_BYTES + values.size) }
}

async function readRandom (ctx: WorkloadContext): Promise<Outcome> {
  const { db, n, rng } = ctx
  let found = 0
  for (let i = 0; i < n; i++) {
    if (await db.get(formatKey(rng.below(n))) !== undefined) found++
  }
  return { ops: n, found, expected: n }
}

/** Writes 0..n-1 in `order`, `size` per batch; also the untimed prefill for reads. */
export async function fillBatches (ctx: Pick<WorkloadContext, 'db' | 'n' | 'values'>, order: (i: number) => number, size = BATCH_SIZE): Promise<Outcome> {
  const { db, n, values } = ctx
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size)
    const ops: Array<{ type: 'put', key: string, value: Value }> = []
    for (let i = start; i < end; i++) ops.push({ type: 'put', key: formatKey(order(i)), value: values.next() })
    await db.batch(ops)
  }
  return { ops: n, userBytes: n * (KEY_BYTES + values.size) }
}

export const WORKLOADS: Workload[] = [
  {
    name: 'fillseq',
    about: 'keys 0..n-1 in order, one awaited put each',
    fill: true,
    run: (ctx) => fillInOrder(ctx, (i) => i)
  },
  {
    // db_bench's fillbatch: sequential keys, 1000 per write
    name: 'fillbatch',
    about: `keys 0..n-1 in order, batches of ${BATCH_SIZE}`,
    fill: true,
    run: (ctx) => fillBatches(ctx, (i) => i)
  },
  {
    // fillrandom with ctx.depth puts outstanding instead of one. Before fillrandom, so the reads
    // below still run on fillrandom's database after overwrite, as they did before it existed.
    name: 'fillconc',
    about: 'keys 0..n-1 in random order, --in-flight puts outstanding',
    fill: true,
    run: async ({ db, n, depth, rng, values }) => {
      const order = permutation(n, rng)
      const completed = await inFlight(n, depth, (i) => db.put(formatKey(order[i]), values.next()))
      return { ops: completed, userBytes: n * (KEY_BYTES + values.size) }
    }
  },
  {
    // Each key once, in random order (a permutation, unlike db_bench's draws with repeats)
    name: 'fillrandom',
    about: 'keys 0..n-1 in random order, one awaited put each',
    fill: true,
    run: (ctx) => {
      const order = permutation(ctx.n, ctx.rng)
      return fillInOrder(ctx, (i) => order[i])
    }
  },
  {
    name: 'overwrite',
    about: 'n awaited puts of random present keys',
    fill: false,
    run: (ctx) => fillInOrder(ctx, () => ctx.rng.below(ctx.n))
  },
  {
    name: 'readrandom',
    about: 'awaited get of a random present key',
    fill: false,
    run: readRandom
  },
  {
    name: 'readmissing',
    about: 'awaited get of a random absent key ("%016d.")',
    fill: false,
    run: async ({ db, n, rng }) => {
      let found = 0
      for (let i = 0; i < n; i++) {
        if (await db.get(missingKey(rng.below(n))) !== undefined) found++
      }
      return { ops: n, found, expected: 0 }
    }
  },
  {
    name: 'readseq',
    about: 'for await over the whole database; ops = entries',
    fill: false,
    run: async ({ db, n }) => {
      let count = 0
      for await (const _entry of db.iterator()) count++
      return { ops: count, found: count, expected: n }
    }
  },
  {
    // The seekrandom: a new iterator per op, positioned at a random key, SEEK_NEXTS entries
    // read (db_bench reads one; RocksDB's --seek_nexts reads more). Every entry is checked. n/2
    // seeks, as ten entries each made it the longest workload of the default run.
    name: 'seekrandom',
    about: `new iterator({ gte: random key, limit: ${SEEK_NEXTS} }), ${SEEK_NEXTS} awaited next(), close(); n/2 seeks`,
    fill: false,
    ops: half,
    run: async ({ db, n, ops, rng }) => {
      let found = 0
      let expected = 0
      for (let i = 0; i < ops; i++) {
        const k = rng.below(n)
        const it = db.iterator({ gte: formatKey(k), limit: SEEK_NEXTS })
        for (let j = 0; j < SEEK_NEXTS; j++) {
          const entry = await it.next()
          if (entry === undefined) break
          if (entry[0] === formatKey(k + j)) found++
        }
        await it.close()
        expected += Math.min(SEEK_NEXTS, n - k)
      }
      return { ops, found, expected }
    }
  },
  {
    name: 'readsync',
    about: 'getSync() of a random present key; n/2 ops',
    fill: false,
    ops: half,
    run: async ({ db, n, ops, rng }) => {
      let found = 0
      for (let i = 0; i < ops; i++) {
        if (db.getSync(formatKey(rng.below(n))) !== undefined) found++
      }
      return { ops, found, expected: ops }
    }
  },
  {
    name: 'readconc',
    about: 'get of a random present key, --in-flight outstanding; n/2 ops',
    fill: false,
    ops: half,
    run: async ({ db, n, ops, depth, rng }) => {
      let found = 0
      const completed = await inFlight(ops, depth, async () => {
        if (await db.get(formatKey(rng.below(n))) !== undefined) found++
      })
      return { ops: completed, found, expected: ops }
    }
  },
  {
    // db_bench's readhot: uniform over the first 1% of the keys, a range whose blocks stay cached
    name: 'readhot',
    about: 'awaited get of a random key in 0..n/100-1 (db_bench\'s readhot); n/2 ops',
    fill: false,
    ops: half,
    run: async ({ db, n, ops, rng }) => {
      const hot = Math.ceil(n / 100)
      let found = 0
      for (let i = 0; i < ops; i++) {
        if (await db.get(formatKey(rng.below(hot))) !== undefined) found++
      }
      return { ops, found, expected: ops }
    }
  },
  {
    // ops counts keys, not calls, so ops/s compares with readrandom
    name: 'getmany',
    about: `getMany() of ${GET_MANY} random present keys per call; ops = keys, n/2 of them`,
    fill: false,
    ops: half,
    run: async ({ db, n, ops, rng }) => {
      let found = 0
      for (let start = 0; start < ops; start += GET_MANY) {
        const keys: string[] = []
        for (let i = start; i < Math.min(ops, start + GET_MANY); i++) keys.push(formatKey(rng.below(n)))
        for (const value of await db.getMany(keys)) if (value !== undefined) found++
      }
      return { ops, found, expected: ops }
    }
  },
  {
    name: 'readseqv',
    about: `iterator().nextv(${NEXTV}) to the end; ops = entries`,
    fill: false,
    run: async ({ db, n }) => {
      const it = db.iterator()
      let count = 0
      try {
        for (let entries = await it.nextv(NEXTV); entries.length > 0; entries = await it.nextv(NEXTV)) count += entries.length
      } finally {
        await it.close()
      }
      return { ops: count, found: count, expected: n }
    }
  },
  {
    name: 'readreverse',
    about: 'for await over iterator({ reverse: true }); ops = entries',
    fill: false,
    run: async ({ db, n }) => {
      let count = 0
      for await (const _entry of db.iterator({ reverse: true })) count++
      return { ops: count, found: count, expected: n }
    }
  },
  {
    name: 'readrandom-reopen',
    about: 'readrandom after an untimed close and open',
    fill: false,
    reopen: true,
    run: readRandom
  },
  openclose
]
