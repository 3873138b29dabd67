// A thread that does not own the database: a Connection to the owner (owner.ts) that does
// what the adapter asks of an engine (database-engine.ts) by sending requests (protocol.ts).
//
// Reads (get, the batches of an iterator, snapshot(), properties) are synchronous round
// trips: the request goes on the channel and this thread waits in Atomics.wait until the
// owner wrote the reply into our mailbox (lib/base/sync-mailbox.ts), as the adapter reads
// synchronously (getSync, and reads whose implicit snapshot is taken when they are called).
// Writes and long jobs are asynchronous: the reply comes back on the channel.
//
// While a request is outstanding we check every WAIT_SLICE_MS (synchronous) or WATCH_MS
// (asynchronous) whether the owner's thread still runs (lib/base/thread-identity.ts). If it
// is gone, the connection is lost: what is outstanding fails with an ownerLost() error and
// the registry (registry.ts) takes over, retrying the writes on the new owner.

import { randomBytes } from 'crypto'
import * as v8 from 'v8'
import { BroadcastChannel } from 'worker_threads'
import { levelError } from '../base/errors'
import { EntryLocation } from '../base/internal-iterator'
import { createMailbox, ReplyReader } from '../base/sync-mailbox'
import { ownThread, threadAlive } from '../base/thread-identity'
import type { EngineStats } from '../engine/activity'
import type { CheckpointResult } from '../engine/checkpoint'
import { reviveError, type TransferableError } from '../env/io-error'
import type { DatabaseEngine, EngineIterator, IteratorOptions, ReadOptions, WriteOperation } from './database-engine'
import type { ConnectionNotice, DiscoveryMessage, IteratorBatch, OwnerInfo, Reply, Request } from './protocol'

const WAIT_SLICE_MS = 20
const WATCH_MS = 100
const CONNECT_MS = 2000
const BATCH_BYTES = 60 * 1024
const FIRST_BATCH = 16
const MAX_BATCH = 1000

const kOwnerLost = Symbol('ownerLost')

/** What requests in flight get when the owner's thread is gone (the registry retries writes). */
export function ownerLost (): Error {
  const err = levelError('LEVEL_DATABASE_NOT_OPEN',
    'Database is not open: the thread that owned it (multithreading) exited; another handle takes it over, retry')
  ;(err as unknown as Record<symbol, boolean>)[kOwnerLost] = true
  return err
}

export function isOwnerLost (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[kOwnerLost] === true
}

type RequestBody = Request extends infer R ? R extends { id: number } ? Omit<R, 'id' | 'sync'> : never : never

interface Pending { resolve: (value: unknown) => void, reject: (err: Error) => void }

export class Connection implements DatabaseEngine {
  private readonly reader: ReplyReader
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private nextIterator = 1
  private watch: NodeJS.Timeout | undefined
  private lost = false
  private closed = false

  private constructor (
    private readonly channel: BroadcastChannel,
    mailbox: ReturnType<typeof createMailbox>,
    readonly owner: OwnerInfo,
    private readonly onLost: () => void
  ) {
    this.reader = new ReplyReader(mailbox)
    channel.onmessage = (event) => { this.onReply((event as MessageEvent).data as Reply) }
  }

  /** Connects to the owner that announced itself on `discovery`; rejects if it refuses or is gone. */
  static async open (discovery: BroadcastChannel, owner: OwnerInfo, onLost: () => void): Promise<Connection> {
    const name = `${discovery.name}:${randomBytes(8).toString('hex')}`
    const channel = new BroadcastChannel(name)
    const mailbox = createMailbox()
    const notice = await new Promise<ConnectionNotice | undefined>((resolve) => {
      const started = Date.now()
      const timer = setInterval(() => {
        if (!threadAlive(owner.thread) || Date.now() - started > CONNECT_MS) done(undefined)
      }, WATCH_MS)
      const done = (value: ConnectionNotice | undefined): void => {
        clearInterval(timer)
        channel.onmessage = () => {}
        resolve(value)
      }
      channel.onmessage = (event) => { done((event as MessageEvent).data as ConnectionNotice) }
      discovery.postMessage({ t: 'connect', conn: { channel: name, thread: ownThread(), ...mailbox } } satisfies DiscoveryMessage)
    })
    if (notice?.t !== 'welcome') {
      channel.close()
      throw levelError('LEVEL_LOCKED', `multithreading: the owner of ${discovery.name} ${notice === undefined ? 'did not answer' : 'refused'}`)
    }
    channel.unref()
    return new Connection(channel, mailbox, owner, onLost)
  }

  get isClosed (): boolean {
    return this.closed || this.lost
  }

  // A shared database is opened for writing (readOnly ignores multithreading).
  readonly isReadOnly = false

  // --- requests ---

  private send (body: RequestBody, sync?: boolean): number {
    const id = this.nextId++
    this.channel.postMessage({ ...body, id, sync } as Request)
    return id
  }

  /** Fire and forget (in order with everything else). */
  private tell (body: RequestBody): void {
    if (!this.lost && !this.closed) this.send(body)
  }

  /** A synchronous round trip through the mailbox. */
  callSync (body: RequestBody): unknown {
    if (this.closed) throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open')
    if (this.lost) throw ownerLost()
    this.reader.arm()
    const id = this.send(body, true)
    const bytes = this.reader.wait((mailbox) => { this.send({ op: 'mailbox', mailbox }) }, WAIT_SLICE_MS, () => {
      if (threadAlive(this.owner.thread)) return
      this.loseOwner()
      throw ownerLost()
    })
    const reply = v8.deserialize(bytes) as Reply
    if (reply.id !== id) throw new Error('multithreading: a reply to another request')
    if (!reply.ok) throw reviveError(reply.error as TransferableError)
    return reply.value
  }

  private async call (body: RequestBody): Promise<unknown> {
    if (this.closed) throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open')
    if (this.lost) throw ownerLost()
    const id = this.send(body)
    if (this.pending.size === 0) {
      // Keep the thread alive for the reply, and watch the owner meanwhile.
      this.channel.ref()
      this.watch = setInterval(() => { if (!threadAlive(this.owner.thread)) this.loseOwner() }, WATCH_MS)
    }
    return await new Promise((resolve, reject) => { this.pending.set(id, { resolve, reject }) })
  }

  private onReply (reply: Reply): void {
    const pending = this.pending.get(reply.id)
    if (pending === undefined) return
    this.pending.delete(reply.id)
    if (this.pending.size === 0) this.idle()
    if (reply.ok) pending.resolve(reply.value)
    else pending.reject(reviveError(reply.error as TransferableError))
  }

  private idle (): void {
    if (this.watch !== undefined) clearInterval(this.watch)
    this.watch = undefined
    if (!this.lost && !this.closed) this.channel.unref()
  }

  /** The owner's thread is gone: fail what is outstanding and let the registry take over. */
  loseOwner (): void {
    if (this.lost || this.closed) return
    this.lost = true
    this.idle()
    this.channel.close()
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending) p.reject(ownerLost())
    this.onLost()
  }

  // --- DatabaseEngine ---

  get (key: Uint8Array, options: ReadOptions): Buffer | undefined {
    const value = this.callSync({ op: 'get', key, sequence: options.sequence, fillCache: options.fillCache }) as Uint8Array | undefined
    return value === undefined ? undefined : toBuffer(value)
  }

  snapshot (): number {
    return this.callSync({ op: 'snapshot' }) as number
  }

  releaseSnapshot (sequence: number): void {
    this.tell({ op: 'release', sequence })
  }

  iterator (options: IteratorOptions): EngineIterator {
    if (this.closed) throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open')
    if (this.lost) throw ownerLost()
    const iter = this.nextIterator++
    this.callSync({
      op: 'iter-open',
      iter,
      spec: {
        gt: options.gt, gte: options.gte, lt: options.lt, lte: options.lte,
        reverse: options.reverse === true,
        sequence: options.sequence,
        fillCache: options.fillCache
      }
    })
    return new RemoteIterator(this, iter)
  }

  /** An iterator's next batch (RemoteIterator). */
  nextBatch (iter: number, max: number): IteratorBatch {
    if (this.lost) {
      throw levelError('LEVEL_ITERATOR_NOT_OPEN', 'Iterator is not open: the thread that owned the database (multithreading) exited')
    }
    return this.callSync({ op: 'iter-next', iter, max, bytes: BATCH_BYTES }) as IteratorBatch
  }

  seekIterator (iter: number, target: Uint8Array): void {
    this.tell({ op: 'iter-seek', iter, target: Buffer.from(target) })
  }

  closeIterator (iter: number): void {
    this.tell({ op: 'iter-close', iter })
  }

  async put (key: string | Uint8Array, value: string | Uint8Array, sync: boolean): Promise<void> {
    await this.call({ op: 'put', key, value, durable: sync })
  }

  async del (key: string | Uint8Array, sync: boolean): Promise<void> {
    await this.call({ op: 'del', key, durable: sync })
  }

  async batch (operations: readonly WriteOperation[], sync: boolean): Promise<void> {
    const ops = operations.map((op) => op.type === 'put' ? { type: op.type, key: op.key, value: op.value } : { type: op.type, key: op.key })
    await this.call({ op: 'batch', ops, durable: sync })
  }

  async writeEncoded (encoded: Uint8Array, sync: boolean): Promise<void> {
    await this.call({ op: 'write', encoded, durable: sync })
  }

  async compactRange (begin: Uint8Array | undefined, end: Uint8Array | undefined): Promise<void> {
    await this.call({ op: 'compact', begin, end })
  }

  async checkpoint (target: string): Promise<CheckpointResult> {
    return await this.call({ op: 'checkpoint', target }) as CheckpointResult
  }

  approximateSize (start: Uint8Array, end: Uint8Array): number {
    return this.callSync({ op: 'size', start, end }) as number
  }

  property (name: string): string {
    return this.callSync({ op: 'property', name }) as string
  }

  statistics (): EngineStats {
    return this.callSync({ op: 'stats' }) as EngineStats
  }

  async refresh (): Promise<void> {}

  /** Says bye (the owner releases our snapshots and iterators, maybe closes) and closes the channel. */
  async close (): Promise<void> {
    if (this.closed) return
    // The owner answers once it let go of us, and closed the database if we were its last handle.
    if (!this.lost) await this.call({ op: 'bye' }).catch(() => {})
    this.closed = true
    this.idle()
    this.channel.close()
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending) p.reject(levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open'))
  }
}

/** An iterator running on the owner, read in batches that grow from FIRST_BATCH to MAX_BATCH. */
class RemoteIterator implements EngineIterator {
  private data: Buffer = Buffer.alloc(0)
  private offsets: number[] = []
  private index = 0
  private count = 0
  private done = false
  private closed = false
  private batchSize = FIRST_BATCH
  private readonly location = new EntryLocation()

  constructor (private readonly connection: Connection, private readonly iter: number) {}

  valid (): boolean {
    if (this.index < this.count) return true
    if (this.done || this.closed) return false
    const batch = this.connection.nextBatch(this.iter, this.batchSize)
    this.batchSize = Math.min(MAX_BATCH, this.batchSize * 2)
    this.data = toBuffer(batch.data)
    this.offsets = batch.offsets
    this.index = 0
    this.count = batch.offsets.length / 3
    this.done = batch.done
    return this.count > 0
  }

  current (): EntryLocation {
    const at = this.location
    const o = this.offsets
    const i = this.index * 3
    at.keySource = this.data
    at.keyStart = o[i]
    at.keyEnd = o[i + 1]
    at.valueSource = this.data
    at.valueStart = o[i + 1]
    at.valueEnd = o[i + 2]
    return at
  }

  key (): Buffer {
    const i = this.index * 3
    return this.data.subarray(this.offsets[i], this.offsets[i + 1])
  }

  advance (): void {
    this.index++
  }

  seek (target: Uint8Array): void {
    this.index = this.count = 0
    this.done = false
    this.batchSize = FIRST_BATCH
    this.connection.seekIterator(this.iter, target)
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.connection.closeIterator(this.iter)
  }
}

function toBuffer (bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
