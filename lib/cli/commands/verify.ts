// verify <dir>: checks every checksum, the key order and the MANIFEST (verify.ts); read-only.

import * as path from 'path'
import { nodeEnv } from '../../env/node-env'
import { flag } from '../args'
import { type Command, EXIT_DAMAGE, EXIT_OK } from '../command'
import { requireDatabase } from '../db-directory'
import { describeFinding } from '../findings'
import { Output } from '../output'
import { positional } from '../positional'
import { Progress } from '../progress'
import { type VerifyReport, verifyDatabase } from '../verify'

function describe (report: VerifyReport): string[] {
  const lines = [`verify ${report.location}`]
  if (report.manifest !== undefined) lines.push(`  ${path.basename(report.manifest.file)}: ${report.manifest.edits} edits`)
  for (const t of report.tables) {
    lines.push(`  ${path.basename(t.file)} (level ${t.level}): ${t.blocks} blocks, ${t.entries} entries${t.ok ? '' : ', DAMAGED'}`)
  }
  for (const l of report.logs) {
    lines.push(`  ${path.basename(l.file)}: ${l.records} records, ${l.ops} ops${l.ok ? '' : ', DAMAGED'}`)
  }
  if (report.damage.length > 0) lines.push('damage:', ...report.damage.map((f) => '  ' + describeFinding(f)))
  if (report.warnings.length > 0) lines.push('warnings:', ...report.warnings.map((f) => '  ' + describeFinding(f)))
  lines.push(report.damage.length === 0
    ? `ok: no damage${report.warnings.length > 0 ? `, ${report.warnings.length} warnings` : ''}`
    : `DAMAGED: ${report.damage.length} problems, ${report.warnings.length} warnings`)
  return lines
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check every checksum, the key order and the MANIFEST (exit 1 on damage)',
  positionals: ['<dir>'],
  options: [{ name: 'json', type: 'flag', description: 'print the report as one JSON object' }],
  details: [
    'Reads every block of every table the MANIFEST names and every record of the live WALs, and',
    'checks checksums, the order of keys within each table and across the tables of each level',
    '(>= 1), that each table holds only keys within the MANIFEST\'s bounds for it, and that every',
    'file the MANIFEST names exists. Damage is reported with the file and offset, and the exit',
    'code is 1. Not damage: a WAL record torn at the end of the file (a crash mid-write), and',
    'tables the MANIFEST does not name (warnings). Read-only; works while another process has the',
    'database open. Progress shows on stderr when it is a terminal.'
  ],
  async run (args) {
    const location = positional(args, 0)
    requireDatabase(nodeEnv, location)
    const progress = new Progress('verify', undefined)
    let report: VerifyReport
    try {
      report = await verifyDatabase(nodeEnv, location, {
        total: (bytes) => progress.setTotal(bytes),
        done: (bytes) => progress.update(bytes)
      })
    } finally {
      progress.finish()
    }
    const out = new Output()
    if (flag(args, 'json')) await out.line(JSON.stringify({ ok: report.damage.length === 0, ...report }, null, 2))
    else for (const line of describe(report)) await out.line(line)
    await out.flush()
    return report.damage.length === 0 ? EXIT_OK : EXIT_DAMAGE
  }
}
