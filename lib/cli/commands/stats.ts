// stats <dir>: levels, files, sizes, estimates, WALs; read-only (db-stats.ts).

import { nodeEnv } from '../../env/node-env'
import { flag } from '../args'
import { type Command, EXIT_OK } from '../command'
import { type DbStats, collectStats } from '../db-stats'
import { requireDatabase } from '../db-directory'
import { formatSize } from '../human'
import { printNotes } from '../notes'
import { Output } from '../output'
import { positional } from '../positional'
import * as path from 'path'

function describe (stats: DbStats): string[] {
  const m = stats.manifest
  const lines = [
    `database:     ${stats.location}`,
    `manifest:     ${path.basename(m.file)} (${formatSize(m.bytes)}, ${m.edits} edits), next file ${m.nextFileNumber ?? '?'}, log number ${m.logNumber ?? '?'}`,
    `last sequence: ${stats.lastSequence}${stats.lastSequence !== m.lastSequence ? ` (MANIFEST: ${m.lastSequence ?? '?'}; the rest is in the WALs)` : ''}`,
    '',
    'level  files  bytes       estimated keys'
  ]
  for (const l of stats.levels) {
    if (l.files > 0) lines.push(`${String(l.level).padStart(5)}  ${String(l.files).padStart(5)}  ${formatSize(l.bytes).padEnd(10)}  ${l.estimatedKeys}`)
  }
  lines.push(`total  ${String(stats.tables.files).padStart(5)}  ${formatSize(stats.tables.bytes)}`)
  lines.push('')
  if (stats.wals.length === 0) lines.push('WALs:         none')
  for (const w of stats.wals) {
    lines.push(`WAL:          ${w.file} ${formatSize(w.bytes)}${w.live ? `, ${w.records} records, ${w.ops} ops` : ' (obsolete, not replayed)'}`)
  }
  const types = Object.entries(stats.compression.types).map(([type, n]) => `${type} ${n}`).join(', ')
  lines.push(
    `estimated keys: ${stats.estimatedKeys} (every version and deletion counts)`,
    `compression:  ${types === '' ? 'no data blocks' : `${types} (of ${stats.compression.sampledBlocks} sampled data blocks)`}`,
    `space amplification: ${stats.spaceAmplification === null ? 'n/a (no tables)' : `${stats.spaceAmplification.toFixed(2)} (table bytes / bytes of the deepest level)`}`,
    `disk:         ${formatSize(stats.diskBytes)}`
  )
  return lines
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'show levels, files, sizes, key estimate, last sequence, WALs, compression',
  positionals: ['<dir>'],
  options: [{ name: 'json', type: 'flag', description: 'print the figures as one JSON object' }],
  details: [
    'Estimates: keys from bloom filter sizes plus WAL ops (overwritten versions and deletions',
    'count too); compression from a sample of data blocks per table; space amplification is the',
    'table bytes over the bytes of the deepest non-empty level (about one copy of the live data).',
    'Read-only: reads the files directly, works while another process has the database open.'
  ],
  async run (args) {
    const location = positional(args, 0)
    requireDatabase(nodeEnv, location)
    const stats = collectStats(nodeEnv, location)
    const out = new Output()
    if (flag(args, 'json')) await out.line(JSON.stringify(stats, null, 2))
    else for (const line of describe(stats)) await out.line(line)
    await out.flush()
    if (!flag(args, 'json')) printNotes(stats.notes)
    return EXIT_OK
  }
}
