// Conversions between abstract-level's native formats (utf8 strings, Buffers, Uint8Array
// views) and the engine's bytes.

export type Bytes = string | Buffer | Uint8Array
export type Format = 'utf8' | 'buffer' | 'view'

// Reads are synchronous, so one scratch buffer serves every string key lookup.
let scratch = Buffer.allocUnsafe(1024)

/** Bytes of a key for a synchronous lookup; a string is encoded into a shared scratch buffer. */
export function keyBytes (key: Bytes): Uint8Array {
  if (typeof key !== 'string') return key
  if (key.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(Math.max(key.length * 3, scratch.length * 2))
  const length = scratch.write(key, 0, 'utf8')
  return scratch.subarray(0, length)
}

/** Stable bytes of a key (for iterator bounds and seek targets that outlive the call). */
export function ownBytes (key: Bytes): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key)
}

/** Converts a view of engine bytes (only valid until the next engine call) into a format. */
export function toFormat (bytes: Buffer, format: Format | undefined): string | Buffer {
  // 'view' results are Buffers too, as with classic-level: a Buffer is a Uint8Array.
  return format === 'utf8' ? bytes.toString('utf8') : Buffer.from(bytes)
}

/** Decodes source[start, end) into a format without creating an intermediate view. */
export function rangeToFormat (source: Buffer, start: number, end: number, format: Format | undefined): string | Buffer {
  if (format === 'utf8') return source.toString('utf8', start, end)
  const copy = Buffer.allocUnsafe(end - start)
  source.copy(copy, 0, start, end)
  return copy
}
