// The flag-selected scenarios: --memory (peak RSS while loading lots of data) and --event-loop
// (how long the event loop stalls during a sustained random fill with flushes and compactions).
import { monitorEventLoopDelay } from 'perf_hooks'
import { Engine } from './engines'
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

export async function runEventLoop (engine: Engine, plan: Plan): Promise<EventLoopResult> {
  const { options } = plan
  const n = options.eventLoopN
  const order = permutation(n, new Rng(streamSeed(options.seed, 'event-loop')))
  const values = new ValueSource(options.valueSize, options.values, new Rng(streamSeed(options.seed, 'event-loop/values')))
  const session = new DbSession(engine, plan.root, engineOptions(options))
  try {
    const db = await session.fresh()
    const histogram = monitorEventLoopDelay({ resolution: options.eventLoopResolution })
    const stop = startTiming()
    histogram.enable()
    for (let i = 0; i < n; i++) await db.put(formatKey(order[i]), values.next())
    const timing = stop(n)
    histogram.disable()
    const userBytes = n * (KEY_BYTES + options.valueSize)
    const ms = (ns: number): number => ns / 1e6
    return {
      timing,
      resolutionMs: options.eventLoopResolution,
      samples: histogram.count,
      p50Ms: ms(histogram.percentile(50)),
      p99Ms: ms(histogram.percentile(99)),
      maxMs: ms(histogram.max),
      meanMs: ms(histogram.mean),
      diskBytes: dirSize(session.location),
      writeAmp: timing.io === null ? null : timing.io.wchar / userBytes
    }
  } finally {
    await session.dispose()
  }
}
