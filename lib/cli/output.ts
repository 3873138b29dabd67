// Standard output with backpressure: lines are gathered into chunks of about 64 KiB, and a
// chunk the stream cannot take yet (write() returned false) makes the writer wait for
// 'drain'. A dump of any size therefore holds at most a chunk or two in memory however slowly
// the reader of the pipe consumes it. When the reader goes away (EPIPE, as with `| head`),
// `closed` turns true and commands stop producing; that is not an error.

const CHUNK_BYTES = 64 * 1024

export class Output {
  private parts: string[] = []
  private pending = 0
  private broken = false
  private failure: Error | undefined = undefined
  private waiting: (() => void) | undefined = undefined

  constructor (private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') this.failure = err
      this.broken = true
      this.wake()
    })
  }

  /** The reader has gone: nothing more will be written. */
  get closed (): boolean {
    return this.broken
  }

  /** Queues one line (a newline is added). Await the result when it is a promise. */
  line (text: string): Promise<void> | undefined {
    if (this.broken) return undefined
    this.parts.push(text, '\n')
    this.pending += text.length + 1
    return this.pending >= CHUNK_BYTES ? this.flush() : undefined
  }

  /** Writes what is queued; resolves once the stream can take more. */
  async flush (): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    if (this.parts.length === 0 || this.broken) return
    const chunk = this.parts.join('')
    this.parts = []
    this.pending = 0
    if (this.stream.write(chunk)) return
    await new Promise<void>((resolve) => {
      this.waiting = resolve
      this.stream.once('drain', () => this.wake())
    })
    if (this.failure !== undefined) throw this.failure
  }

  private wake (): void {
    const resolve = this.waiting
    this.waiting = undefined
    resolve?.()
  }
}
