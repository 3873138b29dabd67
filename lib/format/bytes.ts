// Bytewise comparison (memcmp order, shorter key first on a tie): LevelDB's
// leveldb.BytewiseComparator. A plain loop beats Buffer.compare's native call for the
// short keys that dominate real workloads; long keys go to the native compare.

const NATIVE_COMPARE_THRESHOLD = 48

export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const aLength = a.length
  const bLength = b.length
  const n = aLength < bLength ? aLength : bLength
  if (n > NATIVE_COMPARE_THRESHOLD) {
    return Buffer.compare(a, b)
  }
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i]
    if (d !== 0) return d
  }
  return aLength - bLength
}

/** Compares a[aStart, aEnd) with b[bStart, bEnd) bytewise. Returns <0, 0 or >0. */
export function compareRanges (
  a: Uint8Array, aStart: number, aEnd: number,
  b: Uint8Array, bStart: number, bEnd: number
): number {
  const aLength = aEnd - aStart
  const bLength = bEnd - bStart
  const n = aLength < bLength ? aLength : bLength
  if (n > NATIVE_COMPARE_THRESHOLD) {
    return Buffer.compare(a.subarray(aStart, aEnd), b.subarray(bStart, bEnd))
  }
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i] - b[bStart + i]
    if (d !== 0) return d
  }
  return aLength - bLength
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0
}

/**
 * Copies source[start, end) to target at `at`: short runs in a loop, which beats a native
 * copy's call and the view it needs; longer ones natively.
 */
export function copyRange (source: Uint8Array, start: number, end: number, target: Uint8Array, at: number): void {
  const n = end - start
  if (n <= NATIVE_COMPARE_THRESHOLD) {
    for (let i = 0; i < n; i++) target[at + i] = source[start + i]
  } else {
    target.set(source.subarray(start, end), at)
  }
}

/** A Buffer view of any Uint8Array without copying. */
export function asBuffer (bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
