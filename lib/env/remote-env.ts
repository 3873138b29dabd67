// An environment for worker threads whose database runs on a test environment (mem-env,
// fault-env) living on the main thread: every call is forwarded to the main thread and
// waited for synchronously, so background jobs see the very same files, faults and crash
// points as the engine itself.
//
//   worker                                  main thread (serveEnv)
//   post {id, target, method, args} ──────▶ runs env[method] or handle[method]
//   Atomics.wait(state)                     writes the reply, serialized, into the mailbox
//   reads the mailbox ◀──────────────────── state = reply length; notify
//
// Replies travel through shared memory rather than back through the port (see
// lib/base/sync-mailbox.ts, which also covers replies larger than the mailbox): a message
// posted back was sometimes not yet receivable (with receiveMessageOnPort) when the worker
// woke, and with two workers served at once some never were.
//
// Files come back as handles (numbers) and are used through the same channel. Only the
// synchronous methods cross; the Async ones run the synchronous call. Slow, and meant for
// tests: NodeEnv's workers open their own files instead.

import * as v8 from 'v8'
import { MessageChannel, type MessagePort } from 'worker_threads'
import { levelError } from '../base/errors'
import { createMailbox, ReplyReader, ReplyWriter } from '../base/sync-mailbox'
import type { Env, FileLock, RandomAccessFile, WritableFile } from './env'
import { type TransferableError, reviveError, serializeReply, transferableError } from './io-error'

export interface EnvChannel {
  port: MessagePort
  /** Int32Array(1): the reply state. */
  signal: SharedArrayBuffer
  mailbox: SharedArrayBuffer
}

interface Request {
  /** A bigger mailbox for the reply that did not fit, instead of a call. */
  mailbox?: SharedArrayBuffer
  id: number
  /** 0 for the environment itself, else a file handle. */
  target: number
  method: string
  args: unknown[]
}

interface FileValue { handle: number, path: string, size: number }

interface Reply {
  id: number
  ok: boolean
  value?: unknown
  file?: FileValue
  error?: TransferableError
}


/**
 * Serves `env` to one worker over a fresh channel; transfer `channel.port` to the worker
 * and call close() when its job is done.
 */
export function serveEnv (env: Env): { channel: EnvChannel, close: () => void } {
  const { port1, port2 } = new MessageChannel()
  const box = createMailbox()
  const writer = new ReplyWriter(box)
  const files = new Map<number, WritableFile | RandomAccessFile>()
  let nextHandle = 1
  port1.on('message', (request: Request) => {
    if (request.mailbox !== undefined) {
      writer.replaceMailbox(request.mailbox)
      return
    }
    let reply: Reply
    try {
      const target: Record<string, unknown> | undefined = request.target === 0
        ? env as unknown as Record<string, unknown>
        : files.get(request.target) as unknown as Record<string, unknown> | undefined
      if (target === undefined) throw new Error(`remote env: no open file ${request.target}`)
      const method = target[request.method]
      if (typeof method !== 'function') throw new Error(`remote env: no method ${request.method}`)
      const value: unknown = method.apply(target, request.args)
      if (isFile(value)) {
        const handle = nextHandle++
        files.set(handle, value)
        reply = { id: request.id, ok: true, file: { handle, path: value.path, size: value.size } }
      } else {
        if (request.method === 'close') files.delete(request.target)
        const size = request.target !== 0 ? (files.get(request.target) as { size?: number } | undefined)?.size : undefined
        reply = { id: request.id, ok: true, value: size !== undefined && value === undefined ? { size } : value }
      }
    } catch (err) {
      reply = { id: request.id, ok: false, error: transferableError(err) }
    }
    writer.deliver(serializeReply(reply))
  })
  return {
    channel: { port: port2, signal: box.signal, mailbox: box.mailbox },
    close: () => {
      for (const file of files.values()) {
        try { file.close() } catch {}
      }
      files.clear()
      port1.close()
    }
  }
}

function isFile (value: unknown): value is WritableFile | RandomAccessFile {
  return typeof value === 'object' && value !== null && typeof (value as { path?: unknown }).path === 'string' &&
    typeof (value as { close?: unknown }).close === 'function'
}

/** The worker's side: an Env whose every call runs on the thread that served the channel. */
export class RemoteEnv implements Env {
  readonly threading = 'remote' as const
  private readonly reader: ReplyReader
  private nextId = 1

  constructor (private readonly channel: EnvChannel) {
    this.reader = new ReplyReader(channel)
  }

  call (target: number, method: string, args: unknown[]): Reply {
    const id = this.nextId++
    this.reader.arm()
    this.channel.port.postMessage({ id, target, method, args } satisfies Request)
    // Too big for the mailbox: send one that fits, the reply comes in it.
    const bytes = this.reader.wait((mailbox) => {
      this.channel.port.postMessage({ id, target: 0, method: '', args: [], mailbox } satisfies Request)
    })
    const reply = v8.deserialize(bytes) as Reply
    if (reply.id !== id) throw new Error(`remote env: the reply to ${method} is another call's`)
    if (!reply.ok) throw reviveError(reply.error as TransferableError)
    return reply
  }

  close (): void {
    this.channel.port.close()
  }

  private fileCall (method: string, args: unknown[]): FileValue {
    return this.call(0, method, args).file as FileValue
  }

  createWritable (path: string): WritableFile {
    return new RemoteWritableFile(this, this.fileCall('createWritable', [path]))
  }

  createWritableAsync (path: string): Promise<WritableFile> {
    return attempt(() => this.createWritable(path))
  }

  openAppendable (path: string): WritableFile {
    return new RemoteWritableFile(this, this.fileCall('openAppendable', [path]))
  }

  openRandomAccess (path: string): RandomAccessFile {
    return new RemoteRandomAccessFile(this, this.fileCall('openRandomAccess', [path]))
  }

  readFile (path: string): Buffer {
    return toBuffer(this.call(0, 'readFile', [path]).value as Uint8Array)
  }

  readFileAsync (path: string): Promise<Buffer> {
    return attempt(() => this.readFile(path))
  }

  exists (path: string): boolean {
    return this.call(0, 'exists', [path]).value as boolean
  }

  fileSize (path: string): number {
    return this.call(0, 'fileSize', [path]).value as number
  }

  list (directory: string): string[] {
    return this.call(0, 'list', [directory]).value as string[]
  }

  listAsync (directory: string): Promise<string[]> {
    return attempt(() => this.list(directory))
  }

  makeDirectory (directory: string): void {
    this.call(0, 'makeDirectory', [directory])
  }

  removeDirectory (directory: string): void {
    this.call(0, 'removeDirectory', [directory])
  }

  rename (from: string, to: string): void {
    this.call(0, 'rename', [from, to])
  }

  remove (path: string): void {
    this.call(0, 'remove', [path])
  }

  removeAsync (path: string): Promise<void> {
    return attempt(() => this.remove(path))
  }

  link (from: string, to: string): void {
    this.call(0, 'link', [from, to])
  }

  syncDirectory (directory: string): void {
    this.call(0, 'syncDirectory', [directory])
  }

  syncDirectoryAsync (directory: string): Promise<void> {
    return attempt(() => this.syncDirectory(directory))
  }

  lock (location: string): FileLock {
    throw levelError('LEVEL_NOT_SUPPORTED', `Cannot lock ${location} from a worker thread`)
  }
}

class RemoteWritableFile implements WritableFile {
  readonly path: string
  size: number
  private readonly handle: number

  constructor (private readonly env: RemoteEnv, file: FileValue) {
    this.path = file.path
    this.size = file.size
    this.handle = file.handle
  }

  private run (method: string, args: unknown[]): void {
    const reply = this.env.call(this.handle, method, args)
    const size = (reply.value as { size?: number } | undefined)?.size
    if (typeof size === 'number') this.size = size
  }

  append (data: Uint8Array): void {
    this.run('append', [data])
  }

  appendAsync (data: Uint8Array): Promise<void> {
    return attempt(() => this.append(data))
  }

  sync (): void {
    this.run('sync', [])
  }

  syncAsync (): Promise<void> {
    return attempt(() => this.sync())
  }

  truncate (length: number): void {
    this.run('truncate', [length])
  }

  close (): void {
    this.env.call(this.handle, 'close', [])
  }

  closeAsync (): Promise<void> {
    return attempt(() => this.close())
  }
}

class RemoteRandomAccessFile implements RandomAccessFile {
  readonly path: string
  readonly size: number
  private readonly handle: number

  constructor (private readonly env: RemoteEnv, file: FileValue) {
    this.path = file.path
    this.size = file.size
    this.handle = file.handle
  }

  read (offset: number, length: number): Buffer {
    return toBuffer(this.env.call(this.handle, 'read', [offset, length]).value as Uint8Array)
  }

  readInto (offset: number, length: number, into: Buffer): void {
    into.set(this.env.call(this.handle, 'read', [offset, length]).value as Uint8Array)
  }

  close (): void {
    this.env.call(this.handle, 'close', [])
  }
}

/**
 * A fresh copy, as Env promises: v8.deserialize may return a view into the mailbox the
 * reply came in, which the next reply overwrites.
 */
function toBuffer (bytes: Uint8Array): Buffer {
  return Buffer.from(bytes)
}

function attempt<T> (run: () => T): Promise<T> {
  try {
    return Promise.resolve(run())
  } catch (err) {
    return Promise.reject(err)
  }
}
