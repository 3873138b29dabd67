// Reads a MANIFEST for the read-only commands: every VersionEdit with the offset of its
// record, and the state they add up to, collecting damage instead of stopping at the first
// (the engine's VersionSet.recover fails the open instead). A record torn at the very end of
// the file is what a crash mid-append leaves, and is not damage (LevelDB ignores it too).

import * as path from 'path'
import { corruption } from '../base/errors'
import type { Env } from '../env/env'
import { currentFileName } from '../format/filename'
import { Version, applyEdit } from '../version/version'
import { type VersionEdit, decodeVersionEdit } from '../version/version-edit'
import { COMPARATOR_NAME } from '../version/version-set'
import { type Finding, findingMessage } from './findings'
import { logRecords } from './log-records'

export interface ManifestEdit {
  offset: number
  edit: VersionEdit
}

export interface ManifestContents {
  path: string
  size: number
  edits: ManifestEdit[]
  damage: Finding[]
  /** The files per level after every edit that applied (up to the first that did not). */
  version: Version
  comparator?: string
  logNumber?: number
  prevLogNumber?: number
  nextFileNumber?: number
  lastSequence?: number
}

/** The MANIFEST that CURRENT names. Throws LEVEL_CORRUPTION when CURRENT is not valid. */
export function currentManifestPath (env: Env, location: string): string {
  const currentPath = currentFileName(location)
  const current = env.readFile(currentPath).toString('latin1')
  if (!current.endsWith('\n')) throw corruption(currentPath, 'CURRENT file does not end with newline')
  const name = current.slice(0, -1)
  if (!/^MANIFEST-\d+$/.test(name)) throw corruption(currentPath, `CURRENT names '${name}', which is not a MANIFEST`)
  return path.join(location, name)
}

export function readManifest (env: Env, manifestPath: string): ManifestContents {
  const data = env.readFile(manifestPath)
  const contents: ManifestContents = { path: manifestPath, size: data.length, edits: [], damage: [], version: new Version() }
  const damage = (offset: number | undefined, message: string): void => {
    contents.damage.push({ file: manifestPath, offset, message })
  }
  let applying = true
  for (const record of logRecords(data, (c) => damage(c.offset, `${c.reason} (${c.bytes} bytes dropped)`))) {
    let edit: VersionEdit
    try {
      edit = decodeVersionEdit(record.data, manifestPath)
    } catch (err) {
      damage(record.offset, findingMessage(err, manifestPath))
      applying = false
      continue
    }
    contents.edits.push({ offset: record.offset, edit })
    if (edit.comparator !== undefined) {
      contents.comparator = edit.comparator
      if (edit.comparator !== COMPARATOR_NAME) damage(record.offset, `comparator ${edit.comparator} is not ${COMPARATOR_NAME}`)
    }
    if (edit.logNumber !== undefined) contents.logNumber = edit.logNumber
    if (edit.prevLogNumber !== undefined) contents.prevLogNumber = edit.prevLogNumber
    if (edit.nextFileNumber !== undefined) contents.nextFileNumber = edit.nextFileNumber
    if (edit.lastSequence !== undefined) contents.lastSequence = edit.lastSequence
    if (!applying) continue
    try {
      contents.version = applyEdit(contents.version, edit, manifestPath)
    } catch (err) {
      // Later edits build on a state we no longer know: stop applying, keep decoding.
      damage(record.offset, `edit does not apply: ${findingMessage(err, manifestPath)}`)
      applying = false
    }
  }
  // LevelDB refuses to open a MANIFEST that never says these.
  if (contents.nextFileNumber === undefined) damage(undefined, 'no next-file-number entry in any edit')
  if (contents.logNumber === undefined) damage(undefined, 'no log-number entry in any edit')
  if (contents.lastSequence === undefined) damage(undefined, 'no last-sequence-number entry in any edit')
  return contents
}
