// One thing a check found: damage, or a warning, at a place in a file. Reports print these as
// `<file> at offset <n>: <message>`, so that the bytes can be looked at with a hex dump.

export interface Finding {
  /** Path of the file, as given on the command line. */
  file: string
  /** Byte offset in the file where the damaged structure (block, record) starts. */
  offset?: number
  message: string
}

/** An engine error's message without the "Corruption: " prefix and " in <file>" suffix the finding restates. */
export function findingMessage (err: unknown, file: string): string {
  let message = err instanceof Error ? err.message : String(err)
  if (message.startsWith('Corruption: ')) message = message.slice('Corruption: '.length)
  const suffix = ` in ${file}`
  if (message.endsWith(suffix)) message = message.slice(0, -suffix.length)
  return message
}

export function describeFinding (finding: Finding): string {
  return `${finding.file}${finding.offset !== undefined ? ` at offset ${finding.offset}` : ''}: ${finding.message}`
}
