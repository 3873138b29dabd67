// Inserts the ops of an encoded WriteBatch (leveldb-format.md §4) into a memtable without
// slicing the batch: keys and values are copied straight from the batch bytes into the
// memtable's arena. Used by the write path and by WAL replay.
//
//   sequence fixed64 | count fixed32 | count × ( tag u8 | key slice | value slice if tag = 1 )

import { corruption } from '../base/errors'
import { decoded, getFixed32, getVarint32 } from '../format/coding'
import { ValueKind } from '../format/internal-key'
import type { MemTable } from './memtable'

const HEADER = 12

/**
 * Applies `batch` to `mem` (or, with no memtable, only checks it, so recovery can reject a
 * damaged record as a whole before applying any of it). The i-th op gets `firstSequence + i`.
 * Returns the op count; throws LEVEL_CORRUPTION naming `file` if the batch is malformed.
 */
export function applyBatch (mem: MemTable | undefined, batch: Uint8Array, firstSequence: number, file: string): number {
  if (batch.length < HEADER) throw corruption(file, 'write batch shorter than its 12-byte header')
  const count = getFixed32(batch, 8)
  const end = batch.length
  let offset = HEADER
  for (let i = 0; i < count; i++) {
    if (offset >= end) throw corruption(file, `write batch holds fewer ops than its count ${count}`)
    const tag = batch[offset++]
    if (tag !== ValueKind.Value && tag !== ValueKind.Deletion) throw corruption(file, `unknown write batch tag ${tag}`)
    if (!getVarint32(batch, offset, end)) throw corruption(file, 'bad key length in write batch')
    const keyStart = decoded.offset
    const keyEnd = keyStart + decoded.value
    if (keyEnd > end) throw corruption(file, 'truncated key in write batch')
    offset = keyEnd
    if (tag === ValueKind.Value) {
      if (!getVarint32(batch, offset, end)) throw corruption(file, 'bad value length in write batch')
      const valueStart = decoded.offset
      const valueEnd = valueStart + decoded.value
      if (valueEnd > end) throw corruption(file, 'truncated value in write batch')
      mem?.add(firstSequence + i, ValueKind.Value, batch, keyStart, keyEnd, batch, valueStart, valueEnd)
      offset = valueEnd
    } else {
      mem?.add(firstSequence + i, ValueKind.Deletion, batch, keyStart, keyEnd, batch, 0, 0)
    }
  }
  if (offset !== end) throw corruption(file, 'write batch has trailing bytes after its last op')
  return count
}
