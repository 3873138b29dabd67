// The errors environments throw, and how the engine reads them.
//
// Message: "IO error: <operation> <file>: <CODE>: <description>", for example
//   IO error: write /data/db/000012.log: ENOSPC: no space left on device
// The errno error (code, syscall, path) stays available as `cause`.

import * as v8 from 'v8'
import { levelError, type LevelErrorCode } from '../base/errors'

export interface ErrnoLike {
  code?: string
  errno?: number
  syscall?: string
  path?: string
  message?: string
}

/** A Node-style errno error, as fs would throw it (used by the test environments). */
export function errnoError (code: string, syscall: string, path: string, description = describeCode(code)): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${description}, ${syscall} '${path}'`)
  err.code = code
  err.syscall = syscall
  err.path = path
  const errno = ERRNOS[code]
  if (errno !== undefined) err.errno = -errno
  return err
}

/** Wraps a failure of `operation` on `path` as LEVEL_IO_ERROR; LEVEL_* errors pass through. */
export function fileError (operation: string, path: string, cause: unknown): Error {
  const c = cause as ErrnoLike | null
  if (typeof (c as { code?: unknown } | null)?.code === 'string' && (c as { code: string }).code.startsWith('LEVEL_')) return cause as Error
  const code = typeof c?.code === 'string' ? c.code : undefined
  const description = descriptionOf(c)
  const what = code !== undefined ? `${code}: ${description}` : description
  return levelError('LEVEL_IO_ERROR', `IO error: ${operation} ${path}: ${what}`, cause)
}

/** The errno code (ENOSPC, EIO...) behind an error, following `cause` links. */
export function errnoCode (err: unknown): string | undefined {
  for (let e = err as { code?: unknown, cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 8; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && !e.code.startsWith('LEVEL_')) return e.code
  }
  return undefined
}

/** The system call behind an error (write, fdatasync...), following `cause` links. */
export function errnoSyscall (err: unknown): string | undefined {
  for (let e = err as { syscall?: unknown, cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 8; e = e.cause as typeof e, depth++) {
    if (typeof e.syscall === 'string') return e.syscall
  }
  return undefined
}

export function isNotFound (err: unknown): boolean {
  return errnoCode(err) === 'ENOENT'
}

// Node's message is "CODE: description, syscall 'path'"; keep only the description, since
// our message names the operation and the file itself.
function descriptionOf (cause: ErrnoLike | null): string {
  const message = typeof cause?.message === 'string' ? cause.message : String(cause)
  const match = /^[A-Z][A-Z0-9_]*: ([^,]*)(,|$)/.exec(message)
  return match !== null ? match[1] : message
}

const DESCRIPTIONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'i/o error',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  EBADF: 'bad file descriptor',
  EXDEV: 'cross-device link not permitted',
  EPERM: 'operation not permitted',
  ENOTSUP: 'operation not supported on socket',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  ENOTEMPTY: 'directory not empty'
}

const ERRNOS: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EIO: 5, EBADF: 9, EEXIST: 17, EXDEV: 18, ENOTDIR: 20, EISDIR: 21, ENOSPC: 28, EROFS: 30, ENOTEMPTY: 39, ENOTSUP: 95, EDQUOT: 122
}

function describeCode (code: string): string {
  return DESCRIPTIONS[code] ?? code.toLowerCase()
}

/** An error as plain data, to cross to another thread (postMessage) and back. */
export interface TransferableError {
  message: string
  code?: string
  stack?: string
  cause?: { message: string, code?: string, syscall?: string, path?: string }
}

export function transferableError (err: unknown): TransferableError {
  const e = err as { message?: unknown, code?: unknown, stack?: unknown, syscall?: unknown, cause?: ErrnoLike | null } | null
  const out: TransferableError = { message: typeof e?.message === 'string' ? e.message : String(err) }
  if (typeof e?.code === 'string') out.code = e.code
  if (typeof e?.stack === 'string') out.stack = e.stack
  // A LEVEL_* error keeps its errno cause; a raw errno error is its own cause.
  const cause = e?.cause ?? (typeof e?.syscall === 'string' ? e as ErrnoLike : undefined)
  if (cause !== undefined && cause !== null) {
    out.cause = { message: String(cause.message) }
    if (typeof cause.code === 'string') out.cause.code = cause.code
    if (typeof cause.syscall === 'string') out.cause.syscall = cause.syscall
    if (typeof cause.path === 'string') out.cause.path = cause.path
  }
  return out
}

/** The error transferableError() described, rebuilt: LEVEL_* code, errno cause and stack kept. */
export function reviveError (data: TransferableError): Error {
  let cause: Error | undefined
  if (data.cause !== undefined) {
    const c = data.cause
    cause = c.code !== undefined && c.syscall !== undefined ? errnoError(c.code, c.syscall, c.path ?? '') : new Error(c.message)
    cause.message = c.message
  }
  let err: Error
  if (data.code !== undefined && data.code.startsWith('LEVEL_')) {
    err = levelError(data.code as LevelErrorCode, data.message, cause)
  } else if (cause !== undefined && data.code === (cause as NodeJS.ErrnoException).code) {
    err = cause
  } else {
    err = new Error(data.message, cause === undefined ? undefined : { cause })
    if (data.code !== undefined) (err as NodeJS.ErrnoException).code = data.code
  }
  if (data.stack !== undefined) err.stack = data.stack
  return err
}

/**
 * `reply` serialized for another thread; a value that cannot be cloned becomes a failed
 * reply to the same request instead, carrying the clone error.
 */
export function serializeReply (reply: { id: number }): Buffer {
  try {
    return v8.serialize(reply)
  } catch (err) {
    return v8.serialize({ id: reply.id, ok: false, error: transferableError(err) })
  }
}
