// classic-level's getProperty() and directory listings, for the interop tests.

import fs = require('fs')
import { nodeEnv } from '../../lib/env/node-env'
import path = require('path')
import { VersionSet } from '../../lib/version/version-set'
import type { Db } from './dataset'

export function getProperty (db: Db, name: string): string {
  return (db as unknown as { getProperty: (name: string) => string }).getProperty(name)
}

/** Files per level 0..6 from 'leveldb.num-files-at-levelN' (throws on a non-number). */
export function filesAtLevels (db: Db): number[] {
  const counts: number[] = []
  for (let level = 0; level < 7; level++) {
    const text = getProperty(db, `leveldb.num-files-at-level${level}`)
    if (!/^\d+$/.test(text)) throw new Error(`num-files-at-level${level} is ${JSON.stringify(text)}`)
    counts.push(Number(text))
  }
  return counts
}

export function listFiles (location: string, suffix: string): Array<{ name: string, size: number }> {
  return fs.readdirSync(location)
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => ({ name, size: fs.statSync(path.join(location, name)).size }))
}

export interface OurFile { level: number, number: number, size: number, smallest: Buffer, largest: Buffer }

/** The live tables per the directory's MANIFEST, read with lib's VersionSet (read-only; the db must be closed). */
export function manifestFiles (location: string): OurFile[] {
  const versions = new VersionSet(nodeEnv, location)
  versions.recover()
  return versions.current.files.flatMap((files, level) => files.map((file) => ({
    level, number: file.number, size: file.size, smallest: file.smallest, largest: file.largest
  })))
}

export function filesPerLevel (files: OurFile[]): number[] {
  return [0, 1, 2, 3, 4, 5, 6].map((level) => files.filter((f) => f.level === level).length)
}
