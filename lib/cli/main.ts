// The lsm-level command-line tool: `lsm-level <command> <dir> ...`. The package's `bin`
// (lib/cli/bin.js) calls run() from the compiled copy of this file, so nothing is built at
// install. One file per command under commands/; see command.ts for the exit codes.

import { parseArgs } from './args'
import { type Command, type ExitCode, EXIT_FAILURE, EXIT_OK, describeError, exitCodeOf, isUsageError } from './command'
import { checkpointCommand } from './commands/checkpoint'
import { compactCommand } from './commands/compact'
import { dumpCommand } from './commands/dump'
import { getCommand } from './commands/get'
import { manifestCommand } from './commands/manifest'
import { delCommand, putCommand } from './commands/put'
import { repairCommand } from './commands/repair'
import { scanCommand } from './commands/scan'
import { sstCommand } from './commands/sst'
import { statsCommand } from './commands/stats'
import { verifyCommand } from './commands/verify'
import { PROGRAM, commandHelp, programHelp } from './help'

export const COMMANDS: readonly Command[] = [
  statsCommand, getCommand, scanCommand, dumpCommand, putCommand, delCommand, verifyCommand,
  compactCommand, repairCommand, checkpointCommand, sstCommand, manifestCommand
]

interface Streams {
  stdout: { write (text: string): unknown }
  stderr: { write (text: string): unknown }
}

export async function main (argv: readonly string[], streams: Streams = process): Promise<ExitCode> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ;(name === undefined ? streams.stderr : streams.stdout).write(programHelp(COMMANDS))
    return name === undefined ? EXIT_FAILURE : EXIT_OK
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (command === undefined) {
    streams.stderr.write(`${PROGRAM}: unknown command '${name}'; commands: ${COMMANDS.map((c) => c.name).join(', ')}\n`)
    return EXIT_FAILURE
  }
  try {
    const args = parseArgs(command, rest)
    if (args.options.has('help')) {
      streams.stdout.write(commandHelp(command))
      return EXIT_OK
    }
    return await command.run(args)
  } catch (err) {
    streams.stderr.write(`${PROGRAM} ${command.name}: ${describeError(err)}\n`)
    if (isUsageError(err)) streams.stderr.write(`Run '${PROGRAM} ${command.name} --help' for usage.\n`)
    return exitCodeOf(err)
  }
}

/** Entry point of the bin script: the exit code is set, and the process ends once output has drained. */
export function run (): void {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  }, (err: unknown) => {
    process.stderr.write(`${PROGRAM}: ${(err as Error)?.stack ?? String(err)}\n`)
    process.exitCode = EXIT_FAILURE
  })
}
