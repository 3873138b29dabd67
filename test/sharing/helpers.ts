// Spawning test workers (worker.ts) and talking to them.

import * as path from 'path'
import { Worker } from 'worker_threads'

export const WORKER_FILE = path.join(__dirname, 'worker.js')

export interface Remote {
  worker: Worker
  call: (cmd: string, ...args: unknown[]) => Promise<any>
  /** Keys the worker reported acknowledged by writeForever. */
  acked: string[]
  exited: Promise<number>
}

export async function spawnDb (location: string, options?: Record<string, unknown>): Promise<Remote> {
  const worker = new Worker(WORKER_FILE, { workerData: { location, options } })
  let nextId = 1
  const waiting = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  const acked: string[] = []
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve))
  const ready = new Promise<void>((resolve) => {
    worker.on('message', (message: any) => {
      if (message.ready === true) { resolve(); return }
      if (message.acked !== undefined) { acked.push(message.acked); return }
      const w = waiting.get(message.id)
      if (w === undefined) return
      waiting.delete(message.id)
      if (message.error !== undefined) w.reject(Object.assign(new Error(message.error.message), message.error))
      else w.resolve(message.value)
    })
  })
  worker.on('error', (err) => { for (const w of waiting.values()) w.reject(err) })
  void exited.then(() => { for (const w of waiting.values()) w.reject(new Error('worker exited')) })
  await ready
  const call = async (cmd: string, ...args: unknown[]): Promise<any> => await new Promise((resolve, reject) => {
    const id = nextId++
    waiting.set(id, { resolve, reject })
    worker.postMessage({ id, cmd, args })
  })
  return { worker, call, acked, exited }
}

export async function until (what: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await what()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return false
}
