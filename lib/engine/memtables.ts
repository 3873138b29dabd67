// The engine's memtables: the mutable one that takes writes, at most one immutable one
// being flushed, and a spare whose storage is recycled for the next switch.
//
// A memtable's arena is reserved at full size up front: shared memory is zeroed lazily by
// the OS, so the reservation costs nothing until used, and a memtable never pauses the
// event loop to copy itself into a bigger arena. A flushed memtable is kept as the spare
// once no iterator reads it any more.

import { MemTable } from '../memtable/memtable'

const ARENA_SLACK = 64 * 1024

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

export class MemTables {
  mem: MemTable
  imm: MemTable | undefined
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

  /** Makes the mutable memtable immutable (there must be no immutable one) and starts a new one. */
  seal (): MemTable {
    if (this.imm !== undefined) throw new Error('MemTables.seal: a memtable is still being flushed')
    const sealed = this.mem
    this.imm = sealed
    this.mem = this.fresh()
    return sealed
  }

  /** The immutable memtable is in a table now. */
  flushed (): void {
    const imm = this.imm
    this.imm = undefined
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
    const list = held !== undefined ? held.slice() : this.imm === undefined ? [this.mem] : [this.mem, this.imm]
    for (const mem of list) mem.refs++
    return list
  }

  /** Read-only instances: a refresh brings a memtable of its own; the old ones retire. */
  replaceAll (mem: MemTable): void {
    const old = [this.mem, this.imm]
    this.mem = mem
    this.imm = undefined
    for (const table of old) if (table !== undefined) this.retire(table)
  }

  unpin (list: MemTable[]): void {
    for (const mem of list) {
      mem.refs--
      this.recycleIfUnused(mem)
    }
  }

  approximateMemoryUsage (): number {
    return this.mem.approximateMemoryUsage() + (this.imm?.approximateMemoryUsage() ?? 0)
  }

  /**
   * The database is closed: memtables no reader holds any more go to the pool for the next
   * open. One still read by an abandoned iterator is left to the garbage collector.
   */
  release (): void {
    for (const mem of [this.spare, this.mem, this.imm]) {
      if (mem !== undefined && mem.refs === 0 && pool.length < POOL_LIMIT) pool.push(mem)
    }
    this.spare = undefined
    this.imm = undefined
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
