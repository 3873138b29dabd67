// The messages between the threads that share a database (multithreading: true).
//
// Discovery: one BroadcastChannel per database, named DISCOVERY_PREFIX + the resolved
// location. Every thread attaching to the database listens on it while it opens or owns:
//
//   seeker → all     { t: 'who' }
//   owner  → all     { t: 'owner', owner: OwnerInfo }        (the thread running the Engine)
//   opener → all     { t: 'opening' }                        (in Engine.open, may become owner)
//   seeker → owner   { t: 'connect', conn: ConnectInfo }     (on the discovery channel)
//   owner  → client  { t: 'welcome' } | { t: 'refused' }     (on the connection's channel)
//
// A connection is a BroadcastChannel of its own (BroadcastChannel cannot transfer a
// MessagePort), named after the client's random id, which only the client and the owner
// open. On it the client sends Requests, in order:
//
//   { id, op, ...arguments, sync? }
//
// A request with `sync: true` is answered in the client's shared mailbox
// (lib/base/sync-mailbox.ts) as v8.serialize(Reply), while the client waits in
// Atomics.wait; others are answered on the channel with a Reply ({ id, ok, value | error }),
// except the fire-and-forget ones (release, iter-seek, iter-close), which have no reply.
// bye is answered once the owner let go of the client (and closed, if it was the last). Synchronous: get, snapshot, iter-open (the iterator's snapshot is taken before
// db.iterator() returns), iter-next, size, property, stats. A mailbox that was too small is replaced by { op: 'mailbox', mailbox }.
//
// An iterator batch (iter-next) comes back as { data, offsets, done }: entry i's key is
// data[offsets[3i], offsets[3i+1]) and its value data[offsets[3i+1], offsets[3i+2]).

import type { ThreadIdentity } from '../base/thread-identity'
import type { TransferableError } from '../env/io-error'

export const DISCOVERY_PREFIX = 'lsm-level:multithreading:'

export interface OwnerInfo {
  thread: ThreadIdentity
}

export interface ConnectInfo {
  /** The connection's channel name. */
  channel: string
  thread: ThreadIdentity
  signal: SharedArrayBuffer
  mailbox: SharedArrayBuffer
}

export type DiscoveryMessage =
  | { t: 'who' }
  | { t: 'owner', owner: OwnerInfo }
  | { t: 'opening' }
  | { t: 'connect', conn: ConnectInfo }

export type ConnectionNotice = { t: 'welcome' } | { t: 'refused' }

export interface IteratorSpec {
  gt?: Uint8Array, gte?: Uint8Array, lt?: Uint8Array, lte?: Uint8Array
  reverse: boolean
  sequence?: number
  fillCache?: boolean
}

export type Request = { id: number, sync?: boolean } & (
  | { op: 'get', key: Uint8Array, sequence?: number, fillCache?: boolean }
  | { op: 'snapshot' }
  | { op: 'release', sequence: number }
  | { op: 'iter-open', iter: number, spec: IteratorSpec }
  | { op: 'iter-next', iter: number, max: number, bytes: number }
  | { op: 'iter-seek', iter: number, target: Uint8Array }
  | { op: 'iter-close', iter: number }
  | { op: 'put', key: string | Uint8Array, value: string | Uint8Array, durable: boolean }
  | { op: 'del', key: string | Uint8Array, durable: boolean }
  | { op: 'batch', ops: Array<{ type: 'put' | 'del', key: string | Uint8Array, value?: string | Uint8Array }>, durable: boolean }
  | { op: 'write', encoded: Uint8Array, durable: boolean }
  | { op: 'compact', begin?: Uint8Array, end?: Uint8Array }
  | { op: 'checkpoint', target: string }
  | { op: 'size', start: Uint8Array, end: Uint8Array }
  | { op: 'property', name: string }
  | { op: 'stats' }
  | { op: 'mailbox', mailbox: SharedArrayBuffer }
  | { op: 'bye' }
)

export type Op = Request['op']

export interface Reply {
  id: number
  ok: boolean
  value?: unknown
  error?: TransferableError
}

export interface IteratorBatch {
  data: Uint8Array
  offsets: number[]
  done: boolean
}
