// Positional arguments by index, after parseArgs checked that the required ones are there.

import type { ParsedArgs } from './command'

export function positional (args: ParsedArgs, index: number): string {
  const value = args.positionals[index]
  if (value === undefined) throw new RangeError(`no positional argument ${index}`)
  return value
}
