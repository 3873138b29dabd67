// The flag-selected scenarios: --memory (peak RSS while loading lots of data) and --event-loop
// (how long the event loop stalls during sustained random fills with flushes and compactions,
// and during a long scan).
import { monitorEventLoopDelay } from 'perf_hooks'
import { BenchDb, Engine } from './engines'
import { inFlight } from './inflight'
import { KEY_BYTES, Rng, ValueSource, formatKey, permutation, streamSeed } from './keys'
import { dirSize, peakRss, startTiming } from './measure'
import { EventLoopResult, MemoryResult, Plan } from './results'
import { DbSession, engineOptions } from './session'
import { fillBatches } from './workloads'

export async function runMemory (engine: Engine, plan: Plan): Promise<MemoryResult> {
  const { options } = plan
  const valueSize = options.memoryValueSize
  const entries = Math.ceil(options.memoryBytes / valueSize)
  const order = permutation(entries, new Rng(streamSeed(options.seed, 'memory')))
  const values = new ValueSource(valueSize, options.values, new Rng(streamSeed(options.seed, 'memory/values')))
  // Default engine options: the point is what a user gets without tuning
  const session = new DbSession(engine, plan.root, engineOptions({ ...options, dbOptions: {} }))
  try {
    const db = await session.fresh()
    const rssBeforeBytes = process.memoryUsage().rss
    const stop = startTiming()
    if (options.memoryBatch > 1) {
      await fillBatches({ db, n: entries, values }, (i) => order[i], options.memoryBatch)
    } else {
      for (let i = 0; i < entries; i++) await db.put(formatKey(order[i]), values.next())
    }
    const timing = stop(entries)
    const userBytes = entries * (KEY_BYTES + valueSize)
    const diskBytesLoaded = dirSize(session.location)
    await session.close()
    return {
      entries,
      valueSize,
      batch: options.memoryBatch,
      userBytes,
      timing,
      rssBeforeBytes,
      peakRssBytes: peakRss(),
      diskBytesLoaded,
      diskBytesClosed: dirSize(session.location),
      writeAmp: timing.io === null ? null : timing.io.wchar / userBytes
    }
  } finally {
    await session.dispose()
  }
}

/** Runs `body` with the loop-delay histogram on and the timer running; ends both when it settles. */
async function withLoopDelay (resolutionMs: number, body: () => Promise<number>): Promise<Omit<EventLoopResult, 'phase' | 'unit'>> {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs })
  const stop = startTiming()
  histogram.enable()
  const ops = await body()
  const timing = stop(ops)
  histogram.disable()
  const ms = (ns: number): number => ns / 1e6
  return {
    timing,
    resolutionMs,
    samples: histogram.count,
    p50Ms: ms(histogram.percentile(50)),
    p99Ms: ms(histogram.percentile(99)),
    maxMs: ms(histogram.max),
    meanMs: ms(histogram.mean)
  }
}

/**
 * Three phases, each on a fresh database with keys in random order: awaited puts (one at a time,
 * the loop turns between them), puts with --in-flight outstanding (many writes per tick, so
 * flush and compaction pressure comes sooner), and a for await scan (one long read that must
 * still let timers run). Writes report disk size and write amplification; the scan checks its count.
 */
export async function runEventLoop (engine: Engine, plan: Plan): Promise<EventLoopResult[]> {
  const { options } = plan
  const resolution = options.eventLoopResolution
  const session = new DbSession(engine, plan.root, engineOptions(options))
  const results: EventLoopResult[] = []
  const writes = async (phase: EventLoopResult['phase'], stream: string, n: number, put: (db: BenchDb, order: Uint32Array, values: ValueSource) => Promise<number>): Promise<void> => {
    const order = permutation(n, new Rng(streamSeed(options.seed, stream)))
    const values = new ValueSource(options.valueSize, options.values, new Rng(streamSeed(options.seed, stream + '/values')))
    const db = await session.fresh()
    const measured = await withLoopDelay(resolution, () => put(db, order, values))
    const userBytes = n * (KEY_BYTES + options.valueSize)
    const io = measured.timing.io
    results.push({ phase, unit: 'puts', ...measured, diskBytes: dirSize(session.location), writeAmp: io === null ? null : io.wchar / userBytes })
    process.stderr.write(`  ${phase} done\n`)
  }
  try {
    // 'event-loop' was the stream of the only phase there was: its keys stay as they were
    await writes('awaited', 'event-loop', options.eventLoopN, async (db, order, values) => {
      for (let i = 0; i < order.length; i++) await db.put(formatKey(order[i]), values.next())
      return order.length
    })
    await writes('in-flight', 'event-loop/in-flight', options.eventLoopConcN, (db, order, values) =>
      inFlight(order.length, options.inFlight, (i) => db.put(formatKey(order[i]), values.next())))

    const n = options.eventLoopScanN
    const order = permutation(n, new Rng(streamSeed(options.seed, 'event-loop/scan')))
    const values = new ValueSource(options.valueSize, options.values, new Rng(streamSeed(options.seed, 'event-loop/scan/values')))
    const db = await session.fresh()
    await fillBatches({ db, n, values }, (i) => order[i])
    const measured = await withLoopDelay(resolution, async () => {
      let count = 0
      for await (const _entry of db.iterator()) count++
      return count
    })
    results.push({ phase: 'scan', unit: 'entries', ...measured, found: measured.timing.ops, expected: n })
    process.stderr.write('  scan done\n')
    return results
  } finally {
    await session.dispose()
  }
}
