// What a table needs of a block cache: blocks keyed by (table cache id, block number). The
// cache itself (cache/block-cache.ts) sits above sstable/; tables see only this contract.

export interface BlockCacheLike<B> {
  /** An id for one opened table; give it back with releaseId() once its blocks are dropped. */
  newId: () => number
  releaseId: (id: number) => void
  /** Data block number `block` (its place in the table's index) of table `id`, if cached. */
  get: (id: number, block: number) => B | undefined
  set: (id: number, block: number, value: B) => void
  /** As set, but only into spare room: evicts nothing. */
  setIfRoom: (id: number, block: number, value: B) => void
  /**
   * Whether a point read's block that was just missed, of `charge` bytes, is to be cached:
   * there is room, or (if the read may fill the cache) it was missed recently too.
   */
  admits: (id: number, block: number, charge: number, fillCache: boolean) => boolean
  /**
   * Data block `block` of table `id` as stored (contents and type byte, `length` bytes,
   * verified when read), if kept by keepStored(): a view valid until the next keepStored().
   */
  storedBlock: (id: number, block: number, length: number) => Buffer | undefined
  /** Keeps bytes[0, length) as stored block `block` of table `id`, for a point read it turned away. */
  keepStored: (id: number, block: number, bytes: Buffer, length: number) => void
  delete: (id: number, block: number) => void
  /** Drops every block of table `id`. */
  dropTable: (id: number) => void
}
