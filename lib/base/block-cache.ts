// What a table needs of a block cache: blocks keyed by (table cache id, block offset). The
// cache itself (cache/lru-cache.ts) sits above sstable/; tables see only this contract.

export interface BlockCacheLike<B> {
  /** An id for one opened table; give it back with releaseId() once its blocks are dropped. */
  newId: () => number
  releaseId: (id: number) => void
  get: (id: number, offset: number) => B | undefined
  set: (id: number, offset: number, block: B) => void
  delete: (id: number, offset: number) => void
}
