// multithreading: true — the process-wide registry of shared databases.
//
// In each thread, one SharedDatabase per resolved location, ref-counted by its handles
// (one SharedHandle per open LsmLevel instance, what the adapter uses as its engine).
// Its backend is either
//   - the Engine itself, when this thread owns the database (it got the LOCK), serving the
//     other threads through an OwnerServer (owner.ts), or
//   - a Connection (client.ts) to the thread that owns it.
//
// Attaching (the first open in a thread, or a takeover): listen on the discovery channel
// (protocol.ts), try Engine.open; the LOCK (lib/env/lock-file.ts) decides who owns. On
// LEVEL_LOCKED ask the channel "who" and connect to the owner that answers; while someone
// answers "opening" (in Engine.open, maybe recovering a large log) keep waiting; with no
// answer for SEEK_MS the lock is held by a plain instance or another process: LEVEL_LOCKED,
// as classic-level. A plain instance of this thread holds it: LEVEL_LOCKED at once.
//
// The owner's thread exiting (or terminated): its clients notice (client.ts), and the first
// to attach again becomes the owner — the dead thread's LOCK claim is stale (lock-file.ts)
// and its acknowledged writes are in the WAL, which the new Engine.open recovers. Writes
// that were in flight are retried on the new owner; explicit snapshots and iterators of the
// old owner are gone (LEVEL_SNAPSHOT_NOT_OPEN / LEVEL_ITERATOR_NOT_OPEN); synchronous reads
// made while the takeover runs fail with LEVEL_DATABASE_NOT_OPEN.
//
// The database closes when the last handle of every thread has closed: a client says bye;
// the owner closes its Engine once it has no handle and no client left.

import * as path from 'path'
import { BroadcastChannel } from 'worker_threads'
import { levelError } from '../base/errors'
import { threadAlive } from '../base/thread-identity'
import { Engine, type EngineEvents } from '../engine/engine'
import type { EngineStats } from '../engine/activity'
import type { CheckpointResult } from '../engine/checkpoint'
import type { EngineOptions } from '../engine/options'
import { heldInThisThread } from '../env/lock-file'
import { nodeEnv } from '../env/node-env'
import { Connection, isOwnerLost, ownerLost } from './client'
import type { DatabaseEngine, EngineIterator, IteratorOptions, ReadOptions, WriteOperation } from './database-engine'
import { OwnerServer } from './owner'
import { DISCOVERY_PREFIX, type DiscoveryMessage, type OwnerInfo } from './protocol'

/** How long a thread that gets LEVEL_LOCKED looks for an owner (from the last sign of one). */
const SEEK_MS = 1000
/** How long an answer to "who" is waited for. */
const ASK_MS = 50
const WRITE_RETRIES = 3

const databases = new Map<string, SharedDatabase>()
/** Databases of this thread whose Engine is closing: a new open waits for it. */
const closing = new Map<string, Promise<void>>()

/** Opens `location` shared with this thread's other instances and the other threads'. */
export async function openShared (location: string, options: EngineOptions, events: EngineEvents): Promise<DatabaseEngine> {
  const key = path.resolve(location)
  let db = databases.get(key)
  if (db === undefined) {
    db = new SharedDatabase(key, location, options)
    databases.set(key, db)
  }
  return await db.addHandle(events)
}

type Answer = OwnerInfo | 'opening' | undefined

class SharedDatabase {
  private readonly handles = new Set<SharedHandle>()
  private readonly listeners = new Set<EngineEvents>()
  backend: DatabaseEngine | undefined
  /** Set when this thread owns the database. */
  engine: Engine | undefined
  private server: OwnerServer | undefined
  private connection: Connection | undefined
  private attaching: Promise<void> | undefined
  private discovery: BroadcastChannel | undefined
  private mode: 'opening' | 'seeking' | 'owner' | 'client' = 'opening'
  private answerWaiter: ((answer: Answer) => void) | undefined
  /** Explicit snapshots of the current backend, with their counts. */
  private pins = new Map<number, number>()
  private released = false
  private engineClosed: Promise<void> | undefined
  private readonly shareable: boolean

  constructor (readonly key: string, readonly location: string, readonly options: EngineOptions) {
    // Other threads can only share Node's file system (a test env lives in one thread).
    this.shareable = options.env === nodeEnv
  }

  async addHandle (events: EngineEvents): Promise<SharedHandle> {
    const handle = new SharedHandle(this)
    this.handles.add(handle)
    this.listeners.add(events)
    handle.events = events
    try {
      await this.ready()
    } catch (err) {
      this.handles.delete(handle)
      this.listeners.delete(events)
      if (this.handles.size === 0 && this.backend === undefined) this.forget()
      throw err
    }
    return handle
  }

  /** The backend, attaching first if there is none (the first open, or after the owner exited). */
  async ready (): Promise<DatabaseEngine> {
    while (this.backend === undefined) {
      if (this.released) throw levelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open')
      if (this.attaching === undefined) {
        this.attaching = this.attach().finally(() => { this.attaching = undefined })
      }
      await this.attaching
    }
    return this.backend
  }

  /** The backend for a synchronous call, which cannot wait for a takeover. */
  now (): DatabaseEngine {
    if (this.backend === undefined) throw ownerLost()
    return this.backend
  }

  /** Runs a write on the backend; retried on the new owner if the owner exited meanwhile. */
  async write<T> (run: (backend: DatabaseEngine) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const backend = await this.ready()
      try {
        return await run(backend)
      } catch (err) {
        if (!isOwnerLost(err) || attempt >= WRITE_RETRIES) throw err
      }
    }
  }

  // --- explicit snapshots ---

  pin (sequence: number): void {
    this.pins.set(sequence, (this.pins.get(sequence) ?? 0) + 1)
  }

  /** False for a snapshot of an owner that exited (the new one never pinned it). */
  unpin (sequence: number): boolean {
    const count = this.pins.get(sequence)
    if (count === undefined) return false
    if (count === 1) this.pins.delete(sequence)
    else this.pins.set(sequence, count - 1)
    return true
  }

  checkPinned (sequence: number | undefined): void {
    if (sequence !== undefined && !this.pins.has(sequence)) {
      throw levelError('LEVEL_SNAPSHOT_NOT_OPEN', 'Snapshot is not open: the thread that owned the database (multithreading) exited')
    }
  }

  // --- attaching ---

  private async attach (): Promise<void> {
    let deadline = Date.now() + SEEK_MS
    for (;;) {
      await closing.get(this.key)
      this.listen()
      this.mode = 'opening'
      let failure: unknown
      try {
        const engine = await Engine.open(this.location, this.options, (event, payload) => {
          for (const listener of this.listeners) listener(event, payload)
        })
        this.becomeOwner(engine)
        return
      } catch (err) {
        failure = err
      }
      if ((failure as { code?: string }).code !== 'LEVEL_LOCKED' || !this.shareable || heldInThisThread(this.location)) {
        this.unlisten()
        throw failure
      }
      this.mode = 'seeking'
      const answer = await this.ask()
      if (typeof answer === 'object') {
        try {
          const connection: Connection = await Connection.open(this.discovery as BroadcastChannel, answer, () => this.lost(connection))
          this.becomeClient(connection)
          return
        } catch {}
        if (!threadAlive(answer.thread)) continue
      }
      if (answer !== undefined) deadline = Math.max(deadline, Date.now() + SEEK_MS)
      if (Date.now() > deadline) {
        this.unlisten()
        throw failure
      }
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20))
    }
  }

  private listen (): void {
    if (!this.shareable || this.discovery !== undefined) return
    const channel = new BroadcastChannel(DISCOVERY_PREFIX + this.key)
    channel.unref()
    channel.onmessage = (event) => { this.onDiscovery((event as MessageEvent).data as DiscoveryMessage) }
    this.discovery = channel
  }

  private unlisten (): void {
    this.discovery?.close()
    this.discovery = undefined
  }

  private onDiscovery (message: DiscoveryMessage): void {
    switch (this.mode) {
      case 'owner':
        this.server?.handleDiscovery(message)
        return
      case 'opening':
        if (message.t === 'who') this.discovery?.postMessage({ t: 'opening' } satisfies DiscoveryMessage)
        return
      case 'seeking':
        if (message.t === 'owner') this.answer(message.owner)
        else if (message.t === 'opening') this.answer('opening')
    }
  }

  private answer (answer: Answer): void {
    const waiter = this.answerWaiter
    this.answerWaiter = undefined
    waiter?.(answer)
  }

  /** Asks who owns the database: an owner, 'opening' (someone may become it), or nobody. */
  private async ask (): Promise<Answer> {
    return await new Promise<Answer>((resolve) => {
      const timer = setTimeout(() => this.answer(undefined), ASK_MS)
      this.answerWaiter = (answer) => {
        clearTimeout(timer)
        resolve(answer)
      }
      this.discovery?.postMessage({ t: 'who' } satisfies DiscoveryMessage)
    })
  }

  private becomeOwner (engine: Engine): void {
    this.engine = engine
    this.backend = engine
    this.mode = 'owner'
    if (this.discovery !== undefined) this.server = new OwnerServer(engine, this.discovery, () => this.maybeClose().catch(() => {}))
  }

  private becomeClient (connection: Connection): void {
    this.connection = connection
    this.backend = connection
    this.mode = 'client'
    this.unlisten()
  }

  /** The owner's thread is gone: drop its snapshots, and attach again if a handle is open. */
  private lost (connection: Connection): void {
    if (this.connection !== connection) return
    this.connection = undefined
    this.backend = undefined
    this.pins = new Map()
    if (this.handles.size > 0 && this.attaching === undefined) {
      this.attaching = this.attach().finally(() => { this.attaching = undefined })
      this.attaching.catch(() => {})
    }
  }

  // --- closing ---

  async removeHandle (handle: SharedHandle): Promise<void> {
    if (!this.handles.delete(handle)) return
    if (handle.events !== undefined) this.listeners.delete(handle.events)
    if (this.handles.size > 0) return
    await this.attaching?.catch(() => {})
    if (this.handles.size > 0) return
    const connection = this.connection
    if (connection !== undefined) {
      this.forget()
      await connection.close()
      return
    }
    // Clients whose thread died without a bye are dropped now, not at the next watch.
    this.server?.sweep()
    await this.maybeClose()
  }

  /** Owner: closes the Engine once no handle and no client is left. */
  private async maybeClose (): Promise<void> {
    if (this.engineClosed !== undefined) return await this.engineClosed
    if (this.handles.size > 0 || (this.server?.clientCount ?? 0) > 0 || this.engine === undefined) return
    const engine = this.engine
    this.forget()
    this.server?.stop()
    const done = engine.close()
    this.engineClosed = done
    const settled = done.catch(() => {}).then(() => { if (closing.get(this.key) === settled) closing.delete(this.key) })
    closing.set(this.key, settled)
    await done
  }

  private forget (): void {
    this.released = true
    this.backend = undefined
    this.engine = undefined
    this.connection = undefined
    this.unlisten()
    if (databases.get(this.key) === this) databases.delete(this.key)
  }
}

/** One LsmLevel instance's view of a shared database: the adapter's engine. */
class SharedHandle implements DatabaseEngine {
  events: EngineEvents | undefined
  private closed = false

  constructor (private readonly db: SharedDatabase) {}

  get isClosed (): boolean {
    return this.closed
  }

  // A shared database is opened for writing (readOnly ignores multithreading).
  readonly isReadOnly = false

  get (key: Uint8Array, options: ReadOptions): Buffer | undefined {
    const backend = this.db.now()
    this.db.checkPinned(options.sequence)
    return backend.get(key, options)
  }

  iterator (options: IteratorOptions): EngineIterator {
    const backend = this.db.now()
    this.db.checkPinned(options.sequence)
    return backend.iterator(options)
  }

  snapshot (): number {
    const sequence = this.db.now().snapshot()
    this.db.pin(sequence)
    return sequence
  }

  releaseSnapshot (sequence: number): void {
    if (this.db.unpin(sequence)) this.db.backend?.releaseSnapshot(sequence)
  }

  put (key: string | Uint8Array, value: string | Uint8Array, sync: boolean): Promise<void> {
    const engine = this.db.engine
    if (engine !== undefined) return engine.put(key, value, sync)
    return this.db.write((backend) => backend.put(key, value, sync))
  }

  del (key: string | Uint8Array, sync: boolean): Promise<void> {
    const engine = this.db.engine
    if (engine !== undefined) return engine.del(key, sync)
    return this.db.write((backend) => backend.del(key, sync))
  }

  batch (operations: readonly WriteOperation[], sync: boolean): Promise<void> {
    const engine = this.db.engine
    if (engine !== undefined) return engine.batch(operations, sync)
    return this.db.write((backend) => backend.batch(operations, sync))
  }

  writeEncoded (encoded: Uint8Array, sync: boolean): Promise<void> {
    const engine = this.db.engine
    if (engine !== undefined) return engine.writeEncoded(encoded, sync)
    return this.db.write((backend) => backend.writeEncoded(encoded, sync))
  }

  compactRange (begin: Uint8Array | undefined, end: Uint8Array | undefined): Promise<void> {
    return this.db.write((backend) => backend.compactRange(begin, end))
  }

  checkpoint (target: string): Promise<CheckpointResult> {
    return this.db.write((backend) => backend.checkpoint(target))
  }

  approximateSize (start: Uint8Array, end: Uint8Array): number {
    return this.db.now().approximateSize(start, end)
  }

  property (name: string): string {
    return this.db.now().property(name)
  }

  statistics (): EngineStats {
    return this.db.now().statistics()
  }

  async refresh (): Promise<void> {}

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.db.removeHandle(this)
  }
}
