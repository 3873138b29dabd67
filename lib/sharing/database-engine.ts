// What the adapter (lib/adapter) uses of an engine: the local Engine (lib/engine/engine.ts)
// has it, and so do the handles of a database shared between instances and threads
// (registry.ts), whose reads and writes may run on another thread's Engine (client.ts).

import type { EntryLocation } from '../base/internal-iterator'
import type { EngineStats } from '../engine/activity'
import type { CheckpointResult } from '../engine/checkpoint'
import type { IteratorOptions, ReadOptions } from '../engine/engine'

export type { IteratorOptions, ReadOptions }

export interface WriteOperation { type: 'put' | 'del', key: string | Uint8Array, value?: string | Uint8Array }

/** An iterator at a snapshot, used synchronously (lib/iterator/db-iterator.ts has it). */
export interface EngineIterator {
  valid (): boolean
  /** The current entry; valid until the iterator moves. */
  current (): EntryLocation
  key (): Buffer
  advance (): void
  seek (target: Uint8Array): void
  close (): void
}

export interface DatabaseEngine {
  /** The value of `key` (a view: copy it before the next call), or undefined. Synchronous. */
  get (key: Uint8Array, options: ReadOptions): Buffer | undefined
  iterator (options: IteratorOptions): EngineIterator
  /** Pins the latest sequence for an explicit snapshot. Synchronous. */
  snapshot (): number
  releaseSnapshot (sequence: number): void
  put (key: string | Uint8Array, value: string | Uint8Array, sync: boolean): Promise<void>
  del (key: string | Uint8Array, sync: boolean): Promise<void>
  batch (operations: readonly WriteOperation[], sync: boolean): Promise<void>
  writeEncoded (encoded: Uint8Array, sync: boolean): Promise<void>
  compactRange (begin: Uint8Array | undefined, end: Uint8Array | undefined): Promise<void>
  checkpoint (target: string): Promise<CheckpointResult>
  approximateSize (start: Uint8Array, end: Uint8Array): number
  property (name: string): string
  statistics (): EngineStats
  refresh (): Promise<void>
  /** Opened with readOnly: writes reject with LEVEL_READ_ONLY. */
  readonly isReadOnly: boolean
  readonly isClosed: boolean
  close (): Promise<void>
}
