// manifest <dir|MANIFEST file>: the VersionEdits of a MANIFEST in order, decoded, like
// LevelDB's `ldb manifest_dump`; read-only.

import * as fs from 'fs'
import * as path from 'path'
import { levelError } from '../../base/errors'
import { nodeEnv } from '../../env/node-env'
import type { VersionEdit } from '../../version/version-edit'
import { flag } from '../args'
import { type Command, EXIT_DAMAGE, EXIT_OK } from '../command'
import { describeFinding } from '../findings'
import { type BytesDisplay, DISPLAY_OPTIONS, internalKeyJson, internalKeyText, keyDisplay } from '../key-display'
import { currentManifestPath, readManifest } from '../manifest-reader'
import { Output } from '../output'
import { positional } from '../positional'

function editJson (offset: number, edit: VersionEdit, showKey: BytesDisplay): object {
  return {
    offset,
    comparator: edit.comparator,
    logNumber: edit.logNumber,
    prevLogNumber: edit.prevLogNumber,
    nextFileNumber: edit.nextFileNumber,
    lastSequence: edit.lastSequence,
    compactPointers: edit.compactPointers.map((p) => ({ level: p.level, key: internalKeyJson(p.key, showKey) })),
    deletedFiles: edit.deletedFiles.map((d) => ({ level: d.level, number: d.number })),
    newFiles: edit.newFiles.map(({ level, file }) => ({
      level, number: file.number, size: file.size, smallest: internalKeyJson(file.smallest, showKey), largest: internalKeyJson(file.largest, showKey)
    }))
  }
}

function editText (index: number, offset: number, edit: VersionEdit, showKey: BytesDisplay): string[] {
  const lines = [`edit ${index} at offset ${offset}:`]
  if (edit.comparator !== undefined) lines.push(`  comparator:      ${edit.comparator}`)
  if (edit.logNumber !== undefined) lines.push(`  log number:      ${edit.logNumber}`)
  if (edit.prevLogNumber !== undefined) lines.push(`  prev log number: ${edit.prevLogNumber}`)
  if (edit.nextFileNumber !== undefined) lines.push(`  next file:       ${edit.nextFileNumber}`)
  if (edit.lastSequence !== undefined) lines.push(`  last sequence:   ${edit.lastSequence}`)
  for (const p of edit.compactPointers) lines.push(`  compact pointer: level ${p.level} ${internalKeyText(p.key, showKey)}`)
  for (const d of edit.deletedFiles) lines.push(`  deleted file:    level ${d.level} #${d.number}`)
  for (const { level, file } of edit.newFiles) {
    lines.push(`  new file:        level ${level} #${file.number} ${file.size} bytes ${internalKeyText(file.smallest, showKey)} .. ${internalKeyText(file.largest, showKey)}`)
  }
  return lines
}

export const manifestCommand: Command = {
  name: 'manifest',
  summary: 'list the VersionEdits of the MANIFEST (of <dir>, or a MANIFEST file) in order',
  positionals: ['<dir|MANIFEST-file>'],
  options: [{ name: 'json', type: 'flag', description: 'print one JSON object' }, DISPLAY_OPTIONS[0]],
  details: [
    'Each edit: comparator, log number, next file number, last sequence, compact pointers, deleted',
    'files and new files (level, number, size, smallest .. largest key); then the files per level',
    'they add up to. Damage (a bad checksum, an edit that does not decode or apply) is listed with',
    'its offset and the exit code is 1. Given a directory, reads the MANIFEST that CURRENT names.'
  ],
  async run (args) {
    const target = positional(args, 0)
    const showKey = keyDisplay(args)
    if (!nodeEnv.exists(target)) throw levelError('LEVEL_DATABASE_NOT_OPEN', `${target}: no such file or directory`)
    const manifestPath = fs.statSync(target).isDirectory() ? currentManifestPath(nodeEnv, target) : target
    const m = readManifest(nodeEnv, manifestPath)
    const levels = m.version.files.map((files) => files.map((f) => f.number))
    const out = new Output()
    if (flag(args, 'json')) {
      await out.line(JSON.stringify({
        file: manifestPath,
        size: m.size,
        edits: m.edits.map((e) => editJson(e.offset, e.edit, showKey)),
        result: { levels, logNumber: m.logNumber, prevLogNumber: m.prevLogNumber, nextFileNumber: m.nextFileNumber, lastSequence: m.lastSequence },
        damage: m.damage
      }, null, 2))
    } else {
      await out.line(`${path.basename(manifestPath)}: ${m.size} bytes, ${m.edits.length} edits`)
      for (let i = 0; i < m.edits.length; i++) {
        for (const line of editText(i + 1, m.edits[i].offset, m.edits[i].edit, showKey)) await out.line(line)
      }
      await out.line(`result: files[ ${levels.map((l) => l.length).join(' ')} ], log number ${m.logNumber ?? '?'}, next file ${m.nextFileNumber ?? '?'}, last sequence ${m.lastSequence ?? '?'}`)
      for (let level = 0; level < levels.length; level++) {
        if (levels[level].length > 0) await out.line(`  level ${level}: ${levels[level].map((n) => '#' + n).join(' ')}`)
      }
      if (m.damage.length > 0) {
        await out.line('damage:')
        for (const f of m.damage) await out.line('  ' + describeFinding(f))
      }
    }
    await out.flush()
    return m.damage.length === 0 ? EXIT_OK : EXIT_DAMAGE
  }
}
