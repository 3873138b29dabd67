// What every subcommand of the lsm-level tool is: a name, its arguments and options (which
// also make up its --help), and a run function that returns the process exit code.
//
// Exit codes, one meaning each, so that scripts can tell them apart:
//   0  ok
//   1  a negative finding: damage found (verify, manifest, sst, or corruption met while
//      reading), or a key that get did not find
//   2  the command could not do its work: bad usage, a directory that does not open (missing,
//      damaged beyond opening, locked by another process), a method the engine lacks, I/O
//
// Failures are LEVEL_* errors as everywhere else in the package; exitCodeOf() maps them.

import { levelError } from '../base/errors'

export const EXIT_OK = 0
export const EXIT_DAMAGE = 1
export const EXIT_FAILURE = 2

export type ExitCode = typeof EXIT_OK | typeof EXIT_DAMAGE | typeof EXIT_FAILURE

export interface OptionSpec {
  name: string
  /** A flag takes no value; the others read the next argument (or `--name=value`). */
  type: 'flag' | 'string' | 'integer'
  description: string
  /** What the value is called in --help, e.g. `<key>`. */
  value?: string
}

export interface ParsedArgs {
  positionals: string[]
  /** Flags are true when given; string and integer options hold their value. */
  options: Map<string, string | number | true>
}

export interface Command {
  name: string
  summary: string
  /** The positional arguments as shown in usage, e.g. ['<dir>', '<key>']; `[x]` is optional. */
  positionals: string[]
  options: OptionSpec[]
  /** Lines shown after the options in --help. */
  details?: string[]
  run (args: ParsedArgs): Promise<ExitCode>
}

/** Marks errors whose message should be followed by a pointer to --help. */
const USAGE = Symbol('usage')

/** A mistake in the command line (LEVEL_INVALID_VALUE). */
export function usageError (message: string): Error {
  return Object.assign(levelError('LEVEL_INVALID_VALUE', message), { [USAGE]: true })
}

export function isUsageError (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[USAGE] === true
}

/** Corruption met while working is damage (1); anything else stopped the command (2). */
export function exitCodeOf (err: unknown): ExitCode {
  return (err as { code?: unknown } | null)?.code === 'LEVEL_CORRUPTION' ? EXIT_DAMAGE : EXIT_FAILURE
}

/** The message of `err` and of each cause that adds to it. */
export function describeError (err: unknown): string {
  const parts: string[] = []
  for (let e = err as { message?: unknown, cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 5; e = e.cause as typeof e, depth++) {
    const message = typeof e.message === 'string' ? e.message : String(e)
    if (!parts.some((part) => part.includes(message))) parts.push(message)
  }
  return parts.join(': ')
}
