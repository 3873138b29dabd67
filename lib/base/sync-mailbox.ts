// A synchronous reply through shared memory: one thread posts a request (by whatever
// transport) and blocks in Atomics.wait until another thread has written the reply into
// a shared mailbox. Used by lib/env/remote-env.ts (a worker's env on the main thread) and
// lib/sharing (getSync and other synchronous calls of a thread that does not own the
// database).
//
//   signal: SharedArrayBuffer(4) = Int32Array [state]
//     state = WAITING (0x7fffffff) while the requester waits
//           = n >= 0: the reply is mailbox[0, n)
//           = -n < 0: the reply has n bytes, more than the mailbox holds; the requester
//             sends a mailbox of at least n bytes (transport-specific) and waits again
//   mailbox: SharedArrayBuffer, MAILBOX_BYTES to start with
//
// Replies travel through shared memory rather than back through a port: a message posted
// back was sometimes not yet receivable (with receiveMessageOnPort) when the requester
// woke. Atomics.wait may also return before the reply is there (a notify meant for an
// earlier round): the requester loops until the state changes.

export const MAILBOX_BYTES = 64 * 1024
const WAITING = 0x7fffffff

export interface Mailbox {
  signal: SharedArrayBuffer
  mailbox: SharedArrayBuffer
}

export function createMailbox (bytes = MAILBOX_BYTES): Mailbox {
  return { signal: new SharedArrayBuffer(4), mailbox: new SharedArrayBuffer(bytes) }
}

/** The answering side: writes replies into the requester's mailbox and wakes it. */
export class ReplyWriter {
  private readonly state: Int32Array
  private mailbox: SharedArrayBuffer
  private oversized: Uint8Array | undefined

  constructor (box: Mailbox) {
    this.state = new Int32Array(box.signal)
    this.mailbox = box.mailbox
  }

  deliver (bytes: Uint8Array): void {
    if (bytes.length > this.mailbox.byteLength) {
      this.oversized = bytes
      Atomics.store(this.state, 0, -bytes.length)
    } else {
      new Uint8Array(this.mailbox).set(bytes)
      Atomics.store(this.state, 0, bytes.length)
    }
    Atomics.notify(this.state, 0)
  }

  /** The requester sent a bigger mailbox for the reply that did not fit: deliver it there. */
  replaceMailbox (mailbox: SharedArrayBuffer): void {
    this.mailbox = mailbox
    const bytes = this.oversized
    this.oversized = undefined
    if (bytes !== undefined) this.deliver(bytes)
  }
}

/** The requesting side. Call arm() before posting the request, then wait(). */
export class ReplyReader {
  private readonly state: Int32Array
  private mailbox: SharedArrayBuffer

  constructor (box: Mailbox) {
    this.state = new Int32Array(box.signal)
    this.mailbox = box.mailbox
  }

  arm (): void {
    Atomics.store(this.state, 0, WAITING)
  }

  /**
   * Blocks until the reply is there and returns a view of it (valid until the next call).
   * `sendMailbox` hands a bigger mailbox to the other side when the reply does not fit.
   * With `sliceMs`, `onSlice` runs whenever that long passed without a reply (it may throw
   * to give up, e.g. when the other thread is gone).
   */
  wait (sendMailbox: (mailbox: SharedArrayBuffer) => void, sliceMs?: number, onSlice?: () => void): Buffer {
    let length = this.await(sliceMs, onSlice)
    if (length < 0) {
      this.mailbox = new SharedArrayBuffer(-length * 2)
      this.arm()
      sendMailbox(this.mailbox)
      length = this.await(sliceMs, onSlice)
    }
    return Buffer.from(this.mailbox, 0, length)
  }

  private await (sliceMs: number | undefined, onSlice: (() => void) | undefined): number {
    for (;;) {
      const outcome = Atomics.wait(this.state, 0, WAITING, sliceMs)
      const length = Atomics.load(this.state, 0)
      if (length !== WAITING) return length
      if (outcome === 'timed-out' && onSlice !== undefined) onSlice()
    }
  }
}
