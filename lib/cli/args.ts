// Command-line parsing for one subcommand: `--name value`, `--name=value`, flags, and `--`
// ending the options (so that a key may start with a dash). Unknown options and missing or
// extra positionals are usage errors (exit 2), never ignored: a mistyped --lt must not turn a
// bounded scan into a full one.

import { type Command, type OptionSpec, type ParsedArgs, usageError } from './command'

export const HELP_OPTION: OptionSpec = { name: 'help', type: 'flag', description: 'show this help' }

function required (positionals: string[]): number {
  return positionals.filter((p) => !p.startsWith('[')).length
}

export function parseArgs (command: Command, argv: readonly string[]): ParsedArgs {
  const specs = new Map<string, OptionSpec>()
  for (const spec of [...command.options, HELP_OPTION]) specs.set(spec.name, spec)
  const positionals: string[] = []
  const options = new Map<string, string | number | true>()
  let onlyPositionals = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (onlyPositionals || !arg.startsWith('--')) {
      positionals.push(arg)
      continue
    }
    if (arg === '--') {
      onlyPositionals = true
      continue
    }
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq < 0 ? undefined : eq)
    const spec = specs.get(name)
    if (spec === undefined) throw usageError(`${command.name}: unknown option --${name}`)
    if (spec.type === 'flag') {
      if (eq >= 0) throw usageError(`${command.name}: --${name} takes no value`)
      options.set(name, true)
      continue
    }
    let value: string
    if (eq >= 0) {
      value = arg.slice(eq + 1)
    } else {
      if (i + 1 >= argv.length) throw usageError(`${command.name}: --${name} needs a value`)
      value = argv[++i]
    }
    if (spec.type === 'integer') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw usageError(`${command.name}: --${name} must be a non-negative integer, not '${value}'`)
      }
      options.set(name, Number(value))
    } else {
      options.set(name, value)
    }
  }
  if (options.has('help')) return { positionals, options }
  const min = required(command.positionals)
  if (positionals.length < min) {
    throw usageError(`${command.name}: missing ${command.positionals.slice(positionals.length, min).join(' ')}`)
  }
  if (positionals.length > command.positionals.length) {
    throw usageError(`${command.name}: unexpected argument '${positionals[command.positionals.length]}'`)
  }
  return { positionals, options }
}

/** The value of a string option, or undefined. */
export function stringOption (args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name)
  return typeof value === 'string' ? value : undefined
}

export function integerOption (args: ParsedArgs, name: string): number | undefined {
  const value = args.options.get(name)
  return typeof value === 'number' ? value : undefined
}

export function flag (args: ParsedArgs, name: string): boolean {
  return args.options.get(name) === true
}
