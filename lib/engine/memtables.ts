// The engine's memtables: the mutable one that takes writes, up to MAX_IMMUTABLE sealed ones
// waiting for their flush (oldest first; flushes go in that order), and a spare whose storage
// is recycled for the next switch.
//
// Why more than one sealed memtable (LevelDB has one; RocksDB's max_write_buffer_number
// allows more): under a steady fill a flush takes about as long as filling a memtable, and
// with one sealed memtable every flush that runs a little long stalls the writers. A second
// one absorbs that: a million keys in batches of 1000 stalled on a full memtable 29 times,
// 0.24 s of 1.7 s, with one.
//
// A memtable's arena is reserved at full size up front: shared memory is zeroed lazily by
// the OS, so the reservation costs nothing until used, and a memtable never pauses the
// event loop to copy itself into a bigger arena. A flushed memtable is kept as the spare
// once no iterator reads it any more.

import { ValueKind } from '../format/internal-key'
import { MemTable } from '../memtable/memtable'

const ARENA_SLACK = 64 * 1024

/** Sealed memtables at most: writes wait for a flush when this many are sealed and the mutable one is full. */
export const MAX_IMMUTABLE = 2

// Arenas of closed databases, kept for the next open in this thread: shared memory is
// released only when the garbage collector gets to it, which it does not hurry to do (it
// does not see the memory), so a process that opens and closes databases one after another
// would otherwise hold an arena per open. Bounded, and only arenas of a size that fits.
const POOL_LIMIT = 2
const pool: MemTable[] = []

function fromPool (capacity: number): MemTable | undefined {
  for (let i = 0; i < pool.length; i++) {
    const mem = pool[i]
    if (mem.arenaCapacity >= capacity && mem.arenaCapacity <= 2 * capacity) {
      pool.splice(i, 1)
      mem.reset()
      return mem
    }
  }
  return undefined
}

/** What findInMemTables returns when no memtable has an entry for the key. */
export const NOT_IN_MEMTABLES = null

/**
 * The newest entry for key at `sequence` in `list` (newest memtable first): its value (a
 * view), undefined if it is a deletion, NOT_IN_MEMTABLES if none of them has one.
 */
export function findInMemTables (list: readonly MemTable[], key: Uint8Array, sequence: number): Buffer | undefined | typeof NOT_IN_MEMTABLES {
  for (const mem of list) {
    const found = entryIn(mem, key, sequence)
    if (found !== NOT_IN_MEMTABLES) return found
  }
  return NOT_IN_MEMTABLES
}

function entryIn (mem: MemTable, key: Uint8Array, sequence: number): Buffer | undefined | typeof NOT_IN_MEMTABLES {
  const node = mem.find(key, 0, key.length, sequence)
  if (node === 0) return NOT_IN_MEMTABLES
  return mem.kindOf(node) === ValueKind.Value ? mem.valueOf(node) : undefined
}

export class MemTables {
  mem: MemTable
  /** Sealed memtables, oldest first: the first is the next to flush (or being flushed). */
  readonly immutables: MemTable[] = []
  // For each sealed memtable, the WAL that took the writes after it: once it is in a table,
  // the MANIFEST's log number moves to that WAL (and no further: later sealed memtables'
  // records are in the WALs between).
  private readonly logsAfter: number[] = []
  private spare: MemTable | undefined
  private readonly retired = new Set<MemTable>()

  constructor (private readonly writeBufferSize: number) {
    this.mem = this.fresh()
  }

  /** Whether the mutable memtable has reached its size. */
  get full (): boolean {
    return this.mem.approximateMemoryUsage() >= this.writeBufferSize
  }

  /** Whether the mutable memtable is past half its size (time to prepare the next WAL). */
  get halfFull (): boolean {
    return this.mem.approximateMemoryUsage() >= this.writeBufferSize / 2
  }

  /** The oldest sealed memtable: the next to flush. */
  get imm (): MemTable | undefined {
    return this.immutables[0]
  }

  /** Whether the mutable memtable may be sealed now (fewer than MAX_IMMUTABLE are). */
  get canSeal (): boolean {
    return this.immutables.length < MAX_IMMUTABLE
  }

  /** The WAL the MANIFEST's log number moves to once the oldest sealed memtable is in a table. */
  get logAfterOldest (): number {
    if (this.logsAfter.length === 0) throw new Error('MemTables.logAfterOldest: no sealed memtable')
    return this.logsAfter[0]
  }

  /**
   * Seals the mutable memtable (canSeal must hold) and starts a new one, whose writes go to
   * WAL `nextLog`.
   */
  seal (nextLog: number): MemTable {
    if (!this.canSeal) throw new Error(`MemTables.seal: ${MAX_IMMUTABLE} memtables are waiting for their flush`)
    const sealed = this.mem
    this.immutables.push(sealed)
    this.logsAfter.push(nextLog)
    this.mem = this.fresh()
    return sealed
  }

  /** The oldest sealed memtable is in a table now. */
  flushed (): void {
    const imm = this.immutables.shift()
    this.logsAfter.shift()
    if (imm !== undefined) this.retire(imm)
  }

  /** Replaces the mutable memtable after recovery wrote its contents to a table. */
  replaceMutable (): void {
    const old = this.mem
    this.mem = this.fresh()
    this.retire(old)
  }

  /** The memtables a new iterator reads (or those of `held`), newest first, each pinned until unpin(). */
  pin (held?: MemTable[]): MemTable[] {
    const list = held !== undefined ? held.slice() : this.newestFirst()
    for (const mem of list) mem.refs++
    return list
  }

  /** findInMemTables over the mutable memtable and the sealed ones, without making a list. */
  find (key: Uint8Array, sequence: number): Buffer | undefined | typeof NOT_IN_MEMTABLES {
    const found = entryIn(this.mem, key, sequence)
    if (found !== NOT_IN_MEMTABLES) return found
    for (let i = this.immutables.length - 1; i >= 0; i--) {
      const sealed = entryIn(this.immutables[i], key, sequence)
      if (sealed !== NOT_IN_MEMTABLES) return sealed
    }
    return NOT_IN_MEMTABLES
  }

  /** The mutable memtable, then the sealed ones from the newest. */
  newestFirst (): MemTable[] {
    const list = [this.mem]
    for (let i = this.immutables.length - 1; i >= 0; i--) list.push(this.immutables[i])
    return list
  }

  /** Read-only instances: a refresh brings a memtable of its own; the old ones retire. */
  replaceAll (mem: MemTable): void {
    const old = this.newestFirst()
    this.mem = mem
    this.immutables.length = 0
    this.logsAfter.length = 0
    for (const table of old) this.retire(table)
  }

  unpin (list: MemTable[]): void {
    for (const mem of list) {
      mem.refs--
      this.recycleIfUnused(mem)
    }
  }

  approximateMemoryUsage (): number {
    let bytes = this.mem.approximateMemoryUsage()
    for (const imm of this.immutables) bytes += imm.approximateMemoryUsage()
    return bytes
  }

  /**
   * The database is closed: memtables no reader holds any more go to the pool for the next
   * open. One still read by an abandoned iterator is left to the garbage collector.
   */
  release (): void {
    for (const mem of [this.spare, ...this.newestFirst()]) {
      if (mem !== undefined && mem.refs === 0 && pool.length < POOL_LIMIT) pool.push(mem)
    }
    this.spare = undefined
    this.immutables.length = 0
    this.logsAfter.length = 0
    this.retired.clear()
  }

  private fresh (): MemTable {
    const spare = this.spare
    if (spare !== undefined) {
      this.spare = undefined
      spare.reset()
      return spare
    }
    return fromPool(this.writeBufferSize + ARENA_SLACK) ?? new MemTable(this.writeBufferSize + ARENA_SLACK)
  }

  private retire (mem: MemTable): void {
    this.retired.add(mem)
    this.recycleIfUnused(mem)
  }

  private recycleIfUnused (mem: MemTable): void {
    if (mem.refs > 0 || !this.retired.has(mem)) return
    this.retired.delete(mem)
    // An arena that grew for a huge value is not worth keeping.
    if (this.spare === undefined && mem.arenaCapacity <= 2 * (this.writeBufferSize + ARENA_SLACK)) {
      this.spare = mem
    }
  }
}
