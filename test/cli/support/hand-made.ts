// Database directories built byte by byte, for damage no engine would write: keys out of
// order inside a table, tables whose keys stray outside their MANIFEST bounds, overlapping
// files in one level. Tables hold one uncompressed data block and no filter.

import * as fs from 'fs'
import * as path from 'path'
import { makeInternalKey, MAX_SEQUENCE, ValueKind } from '../../../lib/format/internal-key'
import { manifestBaseName, tableFileName } from '../../../lib/format/filename'
import { BlockBuilder } from '../../../lib/sstable/block-builder'
import { BlockType, type BlockHandle, encodeBlockHandle, encodeFooter, putBlockTrailer } from '../../../lib/sstable/format'
import { newFileMeta } from '../../../lib/version/file-meta'
import { emptyEdit, encodeVersionEdit } from '../../../lib/version/version-edit'
import { COMPARATOR_NAME } from '../../../lib/version/version-set'
import { LogWriter } from '../../../lib/wal/log-writer'
import { tempLocation } from '../../support/temp'

export interface HandMadeTable {
  level: number
  number: number
  /** [user key, sequence], stored in this order (sorted or not); values are 'v'. */
  entries: Array<[string, number]>
  /** The MANIFEST's bounds as [user key, sequence]; default: the first and last entry. */
  smallest?: [string, number]
  largest?: [string, number]
}

function tableBytes (entries: Array<[string, number]>): Buffer {
  const parts: Buffer[] = []
  let offset = 0
  const block = (contents: Buffer): BlockHandle => {
    const trailer = Buffer.alloc(5)
    putBlockTrailer(trailer, 0, contents, BlockType.Raw)
    parts.push(Buffer.from(contents), trailer)
    const handle = { offset, size: contents.length }
    offset += contents.length + 5
    return handle
  }
  const data = new BlockBuilder(16)
  for (const [key, sequence] of entries) data.add(makeInternalKey(Buffer.from(key), sequence, ValueKind.Value), Buffer.from('v'))
  const dataHandle = block(data.finish())
  const metaHandle = block(new BlockBuilder(1).finish())
  // A separator after every key of the block, so only the order inside it is wrong.
  const index = new BlockBuilder(1)
  index.add(makeInternalKey(Buffer.from('\xff\xff', 'latin1'), MAX_SEQUENCE, ValueKind.Value), encodeBlockHandle(dataHandle))
  const indexHandle = block(index.finish())
  parts.push(encodeFooter({ metaindex: metaHandle, index: indexHandle }))
  return Buffer.concat(parts)
}

export function handMadeDb (tables: HandMadeTable[]): string {
  const location = tempLocation('cli-hand-made')
  fs.mkdirSync(location)
  const edit = emptyEdit()
  edit.comparator = COMPARATOR_NAME
  edit.logNumber = 0
  edit.prevLogNumber = 0
  edit.nextFileNumber = 100
  edit.lastSequence = 1000
  for (const table of tables) {
    const bytes = tableBytes(table.entries)
    fs.writeFileSync(tableFileName(location, table.number), bytes)
    const [firstKey, firstSeq] = table.smallest ?? table.entries[0]
    const [lastKey, lastSeq] = table.largest ?? table.entries[table.entries.length - 1]
    edit.newFiles.push({
      level: table.level,
      file: newFileMeta(table.number, bytes.length,
        makeInternalKey(Buffer.from(firstKey), firstSeq, ValueKind.Value),
        makeInternalKey(Buffer.from(lastKey), lastSeq, ValueKind.Value))
    })
  }
  fs.writeFileSync(path.join(location, manifestBaseName(2)), new LogWriter(0).frame(encodeVersionEdit(edit)))
  fs.writeFileSync(path.join(location, 'CURRENT'), manifestBaseName(2) + '\n')
  return location
}
