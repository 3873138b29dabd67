// The owner's side: the thread that holds the LOCK runs the one Engine and serves the
// other threads' instances (client.ts) over their connection channels. Message shapes are
// in protocol.ts.
//
// The owner never waits for a client: it answers from its event loop (synchronous requests
// into the client's mailbox, others on the channel), so a client blocked in getSync cannot
// deadlock it. What a client holds (explicit snapshots, iterators) is released when it says
// bye, or when its thread is found gone (checked every WATCH_MS while clients are
// connected, and at once when the owner's own last handle closes).

import { BroadcastChannel } from 'worker_threads'
import { ReplyWriter } from '../base/sync-mailbox'
import { type ThreadIdentity, ownThread, threadAlive } from '../base/thread-identity'
import type { Engine } from '../engine/engine'
import { serializeReply, transferableError } from '../env/io-error'
import type { EngineIterator } from './database-engine'
import type { ConnectInfo, DiscoveryMessage, IteratorBatch, IteratorSpec, Reply, Request } from './protocol'

const WATCH_MS = 250

interface Client {
  name: string
  channel: BroadcastChannel
  writer: ReplyWriter
  thread: ThreadIdentity
  /** Pinned sequences, with how many times each. */
  snapshots: Map<number, number>
  /** Open iterators; an Error where opening or seeking failed (the next batch reports it). */
  iterators: Map<number, EngineIterator | Error>
  closed: boolean
}

export class OwnerServer {
  private readonly clients = new Map<string, Client>()
  private watch: NodeJS.Timeout | undefined
  private stopped = false

  constructor (
    private readonly engine: Engine,
    private readonly discovery: BroadcastChannel,
    /** Called when the last client left; resolves once the Engine closed, if it did. */
    private readonly onIdle: () => Promise<void>
  ) {
    this.announce()
  }

  get clientCount (): number {
    return this.clients.size
  }

  /** A message on the discovery channel (the registry passes them on while we own). */
  handleDiscovery (message: DiscoveryMessage): void {
    if (this.stopped) return
    if (message.t === 'who') this.announce()
    else if (message.t === 'connect') this.accept(message.conn)
  }

  private announce (): void {
    this.discovery.postMessage({ t: 'owner', owner: { thread: ownThread() } } satisfies DiscoveryMessage)
  }

  private accept (conn: ConnectInfo): void {
    if (this.clients.has(conn.channel)) return
    const channel = new BroadcastChannel(conn.channel)
    channel.unref()
    const client: Client = {
      name: conn.channel,
      channel,
      writer: new ReplyWriter(conn),
      thread: conn.thread,
      snapshots: new Map(),
      iterators: new Map(),
      closed: false
    }
    this.clients.set(conn.channel, client)
    channel.onmessage = (event) => { this.onRequest(client, (event as MessageEvent).data as Request) }
    channel.postMessage({ t: 'welcome' })
    if (this.watch === undefined) {
      this.watch = setInterval(() => this.sweep(), WATCH_MS)
      this.watch.unref()
    }
  }

  /** Drops the clients whose thread is gone. */
  sweep (): void {
    for (const client of this.clients.values()) {
      if (!threadAlive(client.thread)) this.drop(client)
    }
  }

  /** No more connections; existing ones are dropped (call once no local handle is left). */
  stop (): void {
    this.stopped = true
    for (const client of this.clients.values()) this.drop(client, false)
    if (this.watch !== undefined) clearInterval(this.watch)
    this.watch = undefined
  }

  private drop (client: Client, notify = true, closeChannel = true): Promise<void> | undefined {
    if (client.closed) return undefined
    client.closed = true
    this.clients.delete(client.name)
    for (const [sequence, count] of client.snapshots) {
      for (let i = 0; i < count; i++) this.engine.releaseSnapshot(sequence)
    }
    client.snapshots.clear()
    for (const it of client.iterators.values()) if (!(it instanceof Error)) it.close()
    client.iterators.clear()
    if (closeChannel) client.channel.close()
    if (this.clients.size === 0) {
      if (this.watch !== undefined) clearInterval(this.watch)
      this.watch = undefined
      if (notify) return this.onIdle()
    }
    return undefined
  }

  private onRequest (client: Client, request: Request): void {
    if (client.closed) return
    switch (request.op) {
      case 'mailbox':
        client.writer.replaceMailbox(request.mailbox)
        return
      case 'bye': {
        // Answered once the client is gone and, if it was the last handle, the Engine closed.
        const channel = client.channel
        const idle = this.drop(client, true, false)
        void Promise.resolve(idle).catch(() => {}).then(() => {
          try { channel.postMessage({ id: request.id, ok: true } satisfies Reply) } catch {}
          channel.close()
        })
        return
      }
      case 'release': {
        const count = client.snapshots.get(request.sequence) ?? 0
        if (count === 0) return
        if (count === 1) client.snapshots.delete(request.sequence)
        else client.snapshots.set(request.sequence, count - 1)
        this.engine.releaseSnapshot(request.sequence)
        return
      }
      case 'iter-seek': {
        const it = client.iterators.get(request.iter)
        if (it === undefined || it instanceof Error) return
        try {
          it.seek(request.target)
        } catch (err) {
          it.close()
          client.iterators.set(request.iter, err as Error)
        }
        return
      }
      case 'iter-close': {
        const it = client.iterators.get(request.iter)
        client.iterators.delete(request.iter)
        if (it !== undefined && !(it instanceof Error)) it.close()
        return
      }
    }
    if (request.sync === true) {
      let reply: Reply
      try {
        reply = { id: request.id, ok: true, value: this.answerNow(client, request) }
      } catch (err) {
        reply = { id: request.id, ok: false, error: transferableError(err) }
      }
      client.writer.deliver(serializeReply(reply))
      return
    }
    let work: Promise<unknown>
    try {
      work = this.answerLater(request)
    } catch (err) {
      work = Promise.reject(err)
    }
    work.then(
      (value) => { this.post(client, { id: request.id, ok: true, value }) },
      (err) => { this.post(client, { id: request.id, ok: false, error: transferableError(err) }) }
    )
  }

  private post (client: Client, reply: Reply): void {
    if (client.closed) return
    try {
      client.channel.postMessage(reply)
    } catch (err) {
      client.channel.postMessage({ id: reply.id, ok: false, error: transferableError(err) } satisfies Reply)
    }
  }

  /** The synchronous requests: reads. */
  private answerNow (client: Client, request: Request): unknown {
    const engine = this.engine
    switch (request.op) {
      case 'get':
        return engine.get(request.key, { sequence: request.sequence, fillCache: request.fillCache })
      case 'snapshot': {
        const sequence = engine.snapshot()
        client.snapshots.set(sequence, (client.snapshots.get(sequence) ?? 0) + 1)
        return sequence
      }
      case 'iter-open':
        // Synchronous, so that the iterator's snapshot is taken before db.iterator() returns.
        client.iterators.set(request.iter, this.engine.iterator(iteratorOptions(request.spec)))
        return undefined
      case 'iter-next':
        return this.batch(client, request.iter, request.max, request.bytes)
      case 'size':
        return engine.approximateSize(request.start, request.end)
      case 'property':
        return engine.property(request.name)
      case 'stats':
        return engine.statistics()
      default:
        throw new Error(`multithreading: ${request.op} is not a synchronous request`)
    }
  }

  /** The asynchronous requests: writes and long jobs. */
  private answerLater (request: Request): Promise<unknown> {
    const engine = this.engine
    switch (request.op) {
      case 'put': return engine.put(request.key, request.value, request.durable)
      case 'del': return engine.del(request.key, request.durable)
      case 'batch': return engine.batch(request.ops, request.durable)
      case 'write': return engine.writeEncoded(request.encoded, request.durable)
      case 'compact': return engine.compactRange(request.begin, request.end)
      case 'checkpoint': return engine.checkpoint(request.target)
      default: return Promise.reject(new Error(`multithreading: unknown request ${request.op}`))
    }
  }

  /** Up to `max` entries (at least one) or about `bytes` bytes of them, packed (protocol.ts). */
  private batch (client: Client, iter: number, max: number, bytes: number): IteratorBatch {
    const it = client.iterators.get(iter)
    if (it === undefined) throw new Error(`multithreading: no iterator ${iter}`)
    if (it instanceof Error) throw it
    const offsets: number[] = []
    let data = Buffer.allocUnsafe(4096)
    let size = 0
    let count = 0
    // Entries are copied at once: what current() points into may change when the iterator moves.
    const append = (source: Buffer, start: number, end: number): void => {
      const need = size + end - start
      if (need > data.length) {
        const grown = Buffer.allocUnsafe(Math.max(need, data.length * 2))
        data.copy(grown, 0, 0, size)
        data = grown
      }
      source.copy(data, size, start, end)
      size = need
      offsets.push(size)
    }
    try {
      while (count < max && size < bytes && it.valid()) {
        const at = it.current()
        offsets.push(size)
        append(at.keySource, at.keyStart, at.keyEnd)
        append(at.valueSource, at.valueStart, at.valueEnd)
        count++
        it.advance()
      }
    } catch (err) {
      // Hand out what was read; the error comes with the next batch.
      if (count === 0) throw err
      it.close()
      client.iterators.set(iter, err as Error)
    }
    return { data: data.subarray(0, size), offsets, done: count === 0 }
  }
}

function iteratorOptions (spec: IteratorSpec): Parameters<Engine['iterator']>[0] {
  return {
    gt: spec.gt === undefined ? undefined : Buffer.from(spec.gt),
    gte: spec.gte === undefined ? undefined : Buffer.from(spec.gte),
    lt: spec.lt === undefined ? undefined : Buffer.from(spec.lt),
    lte: spec.lte === undefined ? undefined : Buffer.from(spec.lte),
    reverse: spec.reverse,
    sequence: spec.sequence,
    fillCache: spec.fillCache
  }
}
