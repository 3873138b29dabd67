// Progress of long commands on stderr, only when stderr is a terminal: a bar with bytes done
// of the total and the time left, redrawn in place at most ten times a second and erased at
// the end. Piped or redirected stderr gets nothing, so logs and scripts stay clean.

import { formatDuration, formatSize } from './human'

export interface ProgressState {
  label: string
  done: number
  /** Undefined when the amount of work is not known: then only bytes and elapsed time show. */
  total: number | undefined
  elapsedMs: number
}

const BAR_WIDTH = 24
const REDRAW_MS = 100

/** One progress line, without control characters. */
export function formatProgress (state: ProgressState): string {
  const { label, done, total, elapsedMs } = state
  if (total === undefined || total <= 0) {
    return `${label} ${done > 0 ? formatSize(done) + ' ' : ''}${formatDuration(elapsedMs)} elapsed`
  }
  const fraction = Math.min(1, Math.max(0, done / total))
  const filled = Math.round(fraction * BAR_WIDTH)
  const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled)
  const eta = done > 0 ? formatDuration(elapsedMs * (total - Math.min(done, total)) / done) : '-:--'
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4)
  return `${label} [${bar}] ${formatSize(Math.min(done, total))} / ${formatSize(total)} ${percent} ETA ${eta}`
}

interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write (text: string): boolean
}

export class Progress {
  /** Whether anything is drawn: work done only for the bar can be skipped otherwise. */
  readonly enabled: boolean
  private readonly started: number
  private lastDraw = 0
  private done = 0
  private finished = false

  constructor (
    private readonly label: string,
    private total: number | undefined,
    private readonly stream: ProgressStream = process.stderr,
    private readonly now: () => number = Date.now
  ) {
    this.enabled = stream.isTTY === true
    this.started = now()
    this.draw()
  }

  setTotal (total: number): void {
    this.total = total
  }

  /** Sets the bytes done so far; redraws when the last redraw is old enough. */
  update (done: number): void {
    this.done = done
    if (this.enabled && this.now() - this.lastDraw >= REDRAW_MS) this.draw()
  }

  add (bytes: number): void {
    this.update(this.done + bytes)
  }

  /** Shows the final state, then erases the line so that later output starts clean. */
  finish (): void {
    if (this.finished) return
    this.finished = true
    if (!this.enabled) return
    if (this.total !== undefined) this.done = Math.max(this.done, this.total)
    this.draw()
    this.stream.write('\r\x1b[K')
  }

  private draw (): void {
    if (!this.enabled) return
    this.lastDraw = this.now()
    let line = formatProgress({ label: this.label, done: this.done, total: this.total, elapsedMs: this.lastDraw - this.started })
    const columns = this.stream.columns
    if (columns !== undefined && columns > 10 && line.length >= columns) line = line.slice(0, columns - 1)
    this.stream.write('\r' + line + '\x1b[K')
  }
}
