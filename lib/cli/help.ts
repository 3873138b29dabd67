// --help texts, built from the command specs so that they cannot drift from what the parser
// accepts.

import { HELP_OPTION } from './args'
import type { Command } from './command'

export const PROGRAM = 'lsm-level'

export function commandHelp (command: Command): string {
  const lines = [
    `Usage: ${PROGRAM} ${command.name} ${command.positionals.join(' ')}${command.options.length > 0 ? ' [options]' : ''}`.trimEnd(),
    '',
    command.summary,
    '',
    'Options:'
  ]
  const options = [...command.options, HELP_OPTION]
  const labels = options.map((o) => `--${o.name}${o.type === 'flag' ? '' : ' ' + (o.value ?? (o.type === 'integer' ? '<n>' : '<value>'))}`)
  const width = Math.max(...labels.map((l) => l.length))
  options.forEach((o, i) => lines.push(`  ${labels[i].padEnd(width)}  ${o.description}`))
  if (command.details !== undefined) lines.push('', ...command.details)
  return lines.join('\n') + '\n'
}

export function programHelp (commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    `Usage: ${PROGRAM} <command> <dir|file> [arguments] [options]`,
    '',
    'Inspect, check and maintain lsm-level and LevelDB (classic-level) databases.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run '${PROGRAM} <command> --help' for a command's arguments and options.`,
    'Read commands (stats, get, scan, dump, verify, sst, manifest) never write to the directory and',
    'work while another process has the database open.',
    '',
    'Exit codes: 0 ok; 1 damage found (or get: key not found); 2 usage, open or I/O error.'
  ].join('\n') + '\n'
}
