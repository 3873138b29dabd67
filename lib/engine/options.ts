// classic-level's tuning options with its defaults. classic-level reads each as a uint32
// and LevelDB then clamps it silently into a sane range; we reject values that are not
// numbers with a TypeError (a typo should not pass unnoticed) and clamp in-range numbers
// exactly as LevelDB does, so that the same options give the same database shape.

import type { Env } from '../env/env'
import { nodeEnv } from '../env/node-env'

export interface EngineOptions {
  /** Where files live: Node's fs unless a test environment is given. */
  env: Env
  createIfMissing: boolean
  errorIfExists: boolean
  /** Open without the lock and write nothing (engine/read-only.ts). */
  readOnly: boolean
  compression: boolean
  cacheSize: number
  writeBufferSize: number
  blockSize: number
  maxOpenFiles: number
  blockRestartInterval: number
  maxFileSize: number
}

export const DEFAULT_OPTIONS: EngineOptions = Object.freeze({
  env: nodeEnv,
  createIfMissing: true,
  errorIfExists: false,
  readOnly: false,
  compression: true,
  cacheSize: 8 * 1024 * 1024,
  writeBufferSize: 4 * 1024 * 1024,
  blockSize: 4096,
  maxOpenFiles: 1000,
  blockRestartInterval: 16,
  maxFileSize: 2 * 1024 * 1024
})

interface NumericRule { min: number, max: number }

// LevelDB's SanitizeOptions ranges; cacheSize and blockRestartInterval are not clamped there.
const NUMERIC_RULES: Record<string, NumericRule> = {
  cacheSize: { min: 0, max: 2 ** 32 - 1 },
  writeBufferSize: { min: 64 * 1024, max: 1024 * 1024 * 1024 },
  blockSize: { min: 1024, max: 4 * 1024 * 1024 },
  maxOpenFiles: { min: 64 + 10, max: 50000 },
  blockRestartInterval: { min: 1, max: 2 ** 32 - 1 },
  maxFileSize: { min: 1024 * 1024, max: 1024 * 1024 * 1024 }
}

function readNumber (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`The '${name}' option must be a non-negative number`)
  }
  const rule = NUMERIC_RULES[name]
  const whole = Math.floor(Math.min(value, 2 ** 32 - 1))
  return Math.min(rule.max, Math.max(rule.min, whole))
}

function readBoolean (name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new TypeError(`The '${name}' option must be a boolean`)
  return value
}

/** Validates and normalises open options; unknown options are ignored (abstract-level passes many). */
export function resolveOptions (options: Record<string, unknown>): EngineOptions {
  return {
    env: readEnv(options.env),
    createIfMissing: readBoolean('createIfMissing', options.createIfMissing, DEFAULT_OPTIONS.createIfMissing),
    errorIfExists: readBoolean('errorIfExists', options.errorIfExists, DEFAULT_OPTIONS.errorIfExists),
    readOnly: readBoolean('readOnly', options.readOnly, DEFAULT_OPTIONS.readOnly),
    compression: readBoolean('compression', options.compression, DEFAULT_OPTIONS.compression),
    cacheSize: readNumber('cacheSize', options.cacheSize, DEFAULT_OPTIONS.cacheSize),
    writeBufferSize: readNumber('writeBufferSize', options.writeBufferSize, DEFAULT_OPTIONS.writeBufferSize),
    blockSize: readNumber('blockSize', options.blockSize, DEFAULT_OPTIONS.blockSize),
    maxOpenFiles: readNumber('maxOpenFiles', options.maxOpenFiles, DEFAULT_OPTIONS.maxOpenFiles),
    blockRestartInterval: readNumber('blockRestartInterval', options.blockRestartInterval, DEFAULT_OPTIONS.blockRestartInterval),
    maxFileSize: readNumber('maxFileSize', options.maxFileSize, DEFAULT_OPTIONS.maxFileSize)
  }
}

function readEnv (value: unknown): Env {
  if (value === undefined) return DEFAULT_OPTIONS.env
  const env = value as Partial<Env> | null
  if (typeof env !== 'object' || env === null || typeof env.createWritable !== 'function' || typeof env.openRandomAccess !== 'function') {
    throw new TypeError("The 'env' option must be a storage environment (see lib/env/env.ts)")
  }
  return value as Env
}
