// Error construction in one place, so every engine error carries a stable LEVEL_* code
// as abstract-level and classic-level do.
import ModuleError = require('module-error')

export type LevelErrorCode =
  | 'LEVEL_CORRUPTION'
  | 'LEVEL_IO_ERROR'
  | 'LEVEL_LOCKED'
  | 'LEVEL_DATABASE_NOT_OPEN'
  | 'LEVEL_INVALID_VALUE'
  | 'LEVEL_NOT_SUPPORTED'
  | 'LEVEL_READ_ONLY'
  | 'LEVEL_TARGET_EXISTS'
  | 'LEVEL_SNAPSHOT_NOT_OPEN'
  | 'LEVEL_ITERATOR_NOT_OPEN'

export function levelError (code: LevelErrorCode, message: string, cause?: unknown): Error {
  return new ModuleError(message, cause === undefined ? { code } : { code, cause: cause as Error })
}

/** Damaged bytes on disk. `file` is the path (or name) of the file that holds them. */
export function corruption (file: string, what: string): Error {
  return levelError('LEVEL_CORRUPTION', `Corruption: ${what} in ${file}`)
}

export function ioError (message: string, cause?: unknown): Error {
  return levelError('LEVEL_IO_ERROR', `IO error: ${message}`, cause)
}

export function isCorruption (err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'LEVEL_CORRUPTION'
}
