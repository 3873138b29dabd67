// Remarks that do not stop a command (a damaged WAL tail a read stopped at, an unreadable
// table in stats) go to stderr, so that stdout stays data.

import { PROGRAM } from './help'

export function printNotes (notes: readonly string[], stream: { write (text: string): unknown } = process.stderr): void {
  for (const note of notes) stream.write(`${PROGRAM}: note: ${note}\n`)
}
