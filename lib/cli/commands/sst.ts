// sst <file.ldb>: decodes one table file, like LevelDB's sst_dump; read-only.

import * as path from 'path'
import { nodeEnv } from '../../env/node-env'
import { TRAILER_SIZE, ValueKind, trailerSequence } from '../../format/internal-key'
import { BLOCK_TRAILER_SIZE, type BlockHandle } from '../../sstable/format'
import { flag, integerOption } from '../args'
import { type Command, EXIT_DAMAGE, EXIT_OK } from '../command'
import { type Finding, describeFinding, findingMessage } from '../findings'
import { formatSize } from '../human'
import { type BytesDisplay, DISPLAY_OPTIONS, internalKeyJson, internalKeyText, keyDisplay, valueDisplay } from '../key-display'
import { Output } from '../output'
import { positional } from '../positional'
import { TableFile, compressionName, keysInFilterBlock } from '../table-file'

interface BlockInfo {
  offset: number
  size: number
  compression: string
  entries: number
  separator: ReturnType<typeof internalKeyJson>
}

interface EntryInfo {
  key: ReturnType<typeof internalKeyJson>
  value: string
}

function handleJson (table: TableFile, handle: BlockHandle): { offset: number, size: number, compression: string } {
  return { offset: handle.offset, size: handle.size, compression: compressionName(table.blockType(handle)) }
}

export const sstCommand: Command = {
  name: 'sst',
  summary: 'decode one table file: properties, index, and entries with --entries',
  positionals: ['<file.ldb>'],
  options: [
    { name: 'entries', type: 'flag', description: 'also list the entries (every version and deletion)' },
    { name: 'limit', type: 'integer', description: 'with --entries: at most <n> entries' },
    { name: 'json', type: 'flag', description: 'print one JSON object' },
    ...DISPLAY_OPTIONS
  ],
  details: [
    'Properties: size, data blocks and their compression, entries, sequence range, smallest and',
    'largest keys, filter; then the index: each data block\'s separator key and handle. Keys show',
    'as \'user key\' @ sequence : put|del. Every block\'s checksum is verified; damage is listed',
    'with its offset and the exit code is 1. Reads the file only (also a table of a database in use).'
  ],
  async run (args) {
    const filePath = positional(args, 0)
    const showKey = keyDisplay(args)
    const showValue = valueDisplay(args)
    const withEntries = flag(args, 'entries')
    const limit = integerOption(args, 'limit') ?? Infinity
    const file = nodeEnv.openRandomAccess(filePath)
    const damage: Finding[] = []
    const out = new Output()
    try {
      let table: TableFile
      try {
        table = TableFile.open(file)
      } catch (err) {
        damage.push({ file: filePath, offset: (err as { offset?: number }).offset, message: findingMessage(err, filePath) })
        await report(out, flag(args, 'json'), { file: filePath, size: file.size, damage }, [describeFinding(damage[0])])
        return EXIT_DAMAGE
      }
      const blocks: BlockInfo[] = []
      const entries: EntryInfo[] = []
      const compression: Record<string, number> = {}
      let puts = 0
      let deletions = 0
      let minSequence = Infinity
      let maxSequence = -1
      let smallest: Buffer | undefined
      let largest: Buffer | undefined
      for (let i = 0; i < table.blockCount; i++) {
        const handle = table.handle(i)
        const type = compressionName(table.blockType(handle))
        compression[type] = (compression[type] ?? 0) + 1
        const info: BlockInfo = { offset: handle.offset, size: handle.size, compression: type, entries: 0, separator: internalKeyJson(table.separator(i), showKey) }
        blocks.push(info)
        try {
          const it = table.readDataBlock(i).iterator()
          for (it.seekToFirst(); it.valid(); it.next()) {
            info.entries++
            if (it.kind() === ValueKind.Value) puts++
            else deletions++
            const key = it.internalKeyCopy()
            const sequence = trailerSequence(key, key.length - TRAILER_SIZE)
            minSequence = Math.min(minSequence, sequence)
            maxSequence = Math.max(maxSequence, sequence)
            smallest ??= key
            largest = key
            if (withEntries && entries.length < limit) {
              entries.push({ key: internalKeyJson(key, showKey), value: it.kind() === ValueKind.Value ? showValue(it.value()) : '' })
            }
          }
        } catch (err) {
          damage.push({ file: filePath, offset: handle.offset, message: `data block ${i}: ${findingMessage(err, filePath)}` })
        }
      }
      const filterEntry = table.filterEntry()
      let filter: { name: string, bytes: number, estimatedKeys: number } | null = null
      if (filterEntry !== undefined) {
        try {
          filter = { name: filterEntry.name, bytes: filterEntry.handle.size, estimatedKeys: keysInFilterBlock(table.readMetaBlock(filterEntry)) }
        } catch (err) {
          damage.push({ file: filePath, offset: filterEntry.handle.offset, message: `${filterEntry.name} block: ${findingMessage(err, filePath)}` })
        }
      }
      const summary = {
        file: filePath,
        size: file.size,
        dataBlocks: table.blockCount,
        compression,
        entries: puts + deletions,
        puts,
        deletions,
        sequence: maxSequence < 0 ? null : { min: minSequence, max: maxSequence },
        smallest: smallest === undefined ? null : internalKeyJson(smallest, showKey),
        largest: largest === undefined ? null : internalKeyJson(largest, showKey),
        filter,
        indexBlock: handleJson(table, table.footer.index),
        metaindexBlock: handleJson(table, table.footer.metaindex),
        index: blocks,
        ...(withEntries ? { entryList: entries } : {}),
        damage
      }
      const text = describe(summary, smallest, largest, showKey, withEntries ? entries : undefined)
      await report(out, flag(args, 'json'), summary, text)
      return damage.length === 0 ? EXIT_OK : EXIT_DAMAGE
    } finally {
      file.close()
    }
  }
}

async function report (out: Output, json: boolean, summary: object, text: string[]): Promise<void> {
  if (json) await out.line(JSON.stringify(summary, null, 2))
  else for (const line of text) await out.line(line)
  await out.flush()
}

type Summary = {
  file: string, size: number, dataBlocks: number, compression: Record<string, number>, entries: number, puts: number,
  deletions: number, sequence: { min: number, max: number } | null, filter: { name: string, bytes: number, estimatedKeys: number } | null,
  indexBlock: { offset: number, size: number, compression: string }, metaindexBlock: { offset: number, size: number, compression: string },
  index: BlockInfo[], damage: Finding[]
}

function describe (s: Summary, smallest: Buffer | undefined, largest: Buffer | undefined, showKey: BytesDisplay, entries: EntryInfo[] | undefined): string[] {
  const types = Object.entries(s.compression).map(([type, n]) => `${type} ${n}`).join(', ')
  const lines = [
    `file:            ${path.basename(s.file)}`,
    `size:            ${s.size} bytes (${formatSize(s.size)})`,
    `data blocks:     ${s.dataBlocks}${types !== '' ? ` (${types})` : ''}`,
    `entries:         ${s.entries} (${s.puts} puts, ${s.deletions} deletions)`,
    `sequence range:  ${s.sequence === null ? 'none' : `${s.sequence.min} .. ${s.sequence.max}`}`,
    `smallest key:    ${smallest === undefined ? 'none' : internalKeyText(smallest, showKey)}`,
    `largest key:     ${largest === undefined ? 'none' : internalKeyText(largest, showKey)}`,
    `filter:          ${s.filter === null ? 'none' : `${s.filter.name}, ${s.filter.bytes} bytes (about ${s.filter.estimatedKeys} keys)`}`,
    `index block:     offset ${s.indexBlock.offset}, ${s.indexBlock.size} bytes, ${s.indexBlock.compression}`,
    `metaindex block: offset ${s.metaindexBlock.offset}, ${s.metaindexBlock.size} bytes, ${s.metaindexBlock.compression}`,
    '',
    'index (separator => data block):'
  ]
  for (const b of s.index) {
    lines.push(`  '${b.separator.key}' @ ${b.separator.sequence} : ${b.separator.kind} => offset ${b.offset}, size ${b.size} (+${BLOCK_TRAILER_SIZE}), ${b.compression}, ${b.entries} entries`)
  }
  if (entries !== undefined) {
    lines.push('', 'entries:')
    for (const e of entries) lines.push(`  '${e.key.key}' @ ${e.key.sequence} : ${e.key.kind}${e.key.kind === 'put' ? ` => '${e.value}'` : ''}`)
  }
  if (s.damage.length > 0) lines.push('', 'damage:', ...s.damage.map((f) => '  ' + describeFinding(f)))
  return lines
}
