// An independent reader for the table files we hand to LevelDB. classic-level never verifies
// block checksums (it sets neither verify_checksums nor paranoid_checks), so a wrong CRC in a
// table we write would go unnoticed there until some other reader trips over it. This checks,
// without using lib/: the footer magic, every block's trailer (compression type 0 or 1 and the
// masked CRC32C), that data blocks hold internal keys in order, that each index key separates
// its block from the next, and the file's smallest/largest internal keys.
//
// Also here: parsing classic-level's 'leveldb.sstables' property and LevelDB's EscapeString.

import fs = require('fs')
const snappy: { uncompress: (data: Buffer) => Buffer } = require('snappyjs')

// --- CRC32C (Castagnoli), table-driven, and LevelDB's mask ---

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    table[i] = c >>> 0
  }
  return table
})()

export function crc32c (data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  let c = ~crc >>> 0
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

function unmask (masked: number): number {
  const rot = (masked - 0xa282ead8) >>> 0
  return ((rot >>> 17) | (rot << 15)) >>> 0
}

// --- varints and blocks ---

function varint (buf: Buffer, pos: { at: number }): number {
  let result = 0
  let shift = 1
  for (let i = 0; i < 10; i++) {
    const byte = buf[pos.at++]
    if (byte === undefined) throw new Error('truncated varint')
    result += (byte & 0x7f) * shift
    if ((byte & 0x80) === 0) return result
    shift *= 128
  }
  throw new Error('varint too long')
}

interface Handle { offset: number, size: number }

function handle (buf: Buffer, pos: { at: number }): Handle {
  return { offset: varint(buf, pos), size: varint(buf, pos) }
}

/** Internal key order: user key bytes ascending, then the 8-byte trailer (seq << 8 | type) descending. */
export function compareInternal (a: Buffer, b: Buffer): number {
  const c = Buffer.compare(a.subarray(0, a.length - 8), b.subarray(0, b.length - 8))
  if (c !== 0) return c
  const ah = a.readUInt32LE(a.length - 4)
  const bh = b.readUInt32LE(b.length - 4)
  if (ah !== bh) return ah > bh ? -1 : 1
  const al = a.readUInt32LE(a.length - 8)
  const bl = b.readUInt32LE(b.length - 8)
  return al === bl ? 0 : al > bl ? -1 : 1
}

function blockEntries (block: Buffer): Array<[Buffer, Buffer]> {
  if (block.length < 4) throw new Error('block too small')
  const restarts = block.readUInt32LE(block.length - 4)
  const limit = block.length - 4 * (restarts + 1)
  if (limit < 0 || restarts === 0) throw new Error(`bad restart count ${restarts}`)
  const entries: Array<[Buffer, Buffer]> = []
  let previous = Buffer.alloc(0)
  const pos = { at: 0 }
  while (pos.at < limit) {
    const shared = varint(block, pos)
    const nonShared = varint(block, pos)
    const valueLength = varint(block, pos)
    if (shared > previous.length || pos.at + nonShared + valueLength > limit) throw new Error('bad entry')
    const key = Buffer.concat([previous.subarray(0, shared), block.subarray(pos.at, pos.at + nonShared)])
    pos.at += nonShared
    entries.push([key, block.subarray(pos.at, pos.at + valueLength)])
    pos.at += valueLength
    previous = key
  }
  for (let i = 0; i < restarts; i++) {
    const offset = block.readUInt32LE(limit + 4 * i)
    if (offset >= limit && !(offset === 0 && limit === 0)) throw new Error(`restart ${i} at ${offset} beyond ${limit}`)
  }
  return entries
}

export interface TableReport {
  file: string
  size: number
  dataBlocks: number
  /** Count of blocks per stored compression type (0 none, 1 snappy). */
  types: Record<number, number>
  entries: number
  smallest: Buffer | undefined
  largest: Buffer | undefined
  hasFilter: boolean
  problems: string[]
}

export function checkTable (file: string): TableReport {
  const data = fs.readFileSync(file)
  const report: TableReport = { file, size: data.length, dataBlocks: 0, types: {}, entries: 0, smallest: undefined, largest: undefined, hasFilter: false, problems: [] }
  const readBlock = (h: Handle, what: string): Buffer => {
    if (h.offset + h.size + 5 > data.length) throw new Error(`${what} block ${h.offset}+${h.size} beyond the file`)
    const type = data[h.offset + h.size]
    report.types[type] = (report.types[type] ?? 0) + 1
    const stored = unmask(data.readUInt32LE(h.offset + h.size + 1))
    const actual = crc32c(data, h.offset, h.offset + h.size + 1)
    if (stored !== actual) report.problems.push(`${what} block at ${h.offset}: crc ${actual.toString(16)} != stored ${stored.toString(16)}`)
    const raw = data.subarray(h.offset, h.offset + h.size)
    if (type === 0) return raw
    if (type === 1) return snappy.uncompress(raw)
    throw new Error(`${what} block at ${h.offset}: compression type ${type}`)
  }
  try {
    if (data.length < 48) throw new Error('shorter than a footer')
    const footer = data.subarray(data.length - 48)
    if (footer.subarray(40).toString('hex') !== '57fb808b247547db') throw new Error('bad magic')
    const pos = { at: 0 }
    const metaHandle = handle(footer, pos)
    const indexHandle = handle(footer, pos)
    const index = blockEntries(readBlock(indexHandle, 'index'))
    let previousLast: Buffer | undefined
    for (let i = 0; i < index.length; i++) {
      const [separator, value] = index[i]
      const h = handle(value, { at: 0 })
      const entries = blockEntries(readBlock(h, 'data'))
      report.dataBlocks++
      if (entries.length === 0) report.problems.push(`empty data block at ${h.offset}`)
      for (let j = 0; j < entries.length; j++) {
        const key = entries[j][0]
        const before = j > 0 ? entries[j - 1][0] : previousLast
        if (before !== undefined && compareInternal(before, key) >= 0) report.problems.push(`data block at ${h.offset}: entry ${j} out of order`)
      }
      report.entries += entries.length
      const last = entries[entries.length - 1]?.[0]
      if (last !== undefined && compareInternal(separator, last) < 0) report.problems.push(`index key ${i} sorts before the last key of its block`)
      if (i + 1 < index.length) {
        // The next block's first key must sort after this separator (checked when we get there).
        previousLast = last
      }
      if (report.smallest === undefined) report.smallest = entries[0]?.[0]
      if (last !== undefined) report.largest = last
      if (i > 0 && entries.length > 0 && compareInternal(index[i - 1][0], entries[0][0]) >= 0) {
        report.problems.push(`index key ${i - 1} does not sort before the first key of block ${i}`)
      }
    }
    for (const [name, value] of blockEntries(readBlock(metaHandle, 'metaindex'))) {
      const h = handle(value, { at: 0 })
      if (name.toString() === 'filter.leveldb.BuiltinBloomFilter2') {
        report.hasFilter = true
        const typeBefore = report.types[0] ?? 0
        readBlock(h, 'filter')
        if ((report.types[0] ?? 0) !== typeBefore + 1) report.problems.push('filter block is not stored uncompressed')
      }
    }
  } catch (err) {
    report.problems.push((err as Error).message)
  }
  return report
}

// --- the 'leveldb.sstables' property ---

/** LevelDB's EscapeString: printable ASCII as is, every other byte as \xNN. */
export function escapeLevelDb (bytes: Buffer): string {
  let out = ''
  for (const byte of bytes) out += byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : '\\x' + byte.toString(16).padStart(2, '0')
  return out
}

/** InternalKey::DebugString of LevelDB 1.20: 'user' @ seq : type */
export function describeInternal (key: Buffer): string {
  const user = key.subarray(0, key.length - 8)
  const type = key[key.length - 8]
  const sequence = key.readUInt32LE(key.length - 4) * 2 ** 24 + Math.floor(key.readUInt32LE(key.length - 8) / 256)
  return `'${escapeLevelDb(user)}' @ ${sequence} : ${type}`
}

export interface ListedFile { level: number, number: number, size: number, smallest: string, largest: string }

/** Parses the property; throws if a line does not have the shape LevelDB prints. */
export function parseSstables (text: string): ListedFile[] {
  const files: ListedFile[] = []
  let level = -1
  for (const line of text.split('\n')) {
    if (line === '') continue
    const header = /^--- level (\d+) ---$/.exec(line)
    if (header !== null) {
      const next = Number(header[1])
      if (next !== level + 1) throw new Error(`level header ${next} after ${level}`)
      level = next
      continue
    }
    const match = /^ (\d+):(\d+)\[(.*) \.\. (.*)\]$/.exec(line)
    if (match === null || level < 0) throw new Error(`unexpected line: ${JSON.stringify(line)}`)
    files.push({ level, number: Number(match[1]), size: Number(match[2]), smallest: match[3], largest: match[4] })
  }
  if (level !== 6) throw new Error(`levels 0..${level} listed, expected 0..6`)
  return files
}
