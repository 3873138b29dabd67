// Detects use of a file descriptor after it was closed: wraps the fs module's descriptor
// functions (the engine calls them through the module object, so the wrappers see its calls)
// and reports any call on a descriptor number that was closed while watching and not handed
// out again by an open() made while watching. Descriptor numbers are reused by the kernel, so
// such a call can read, write or close an unrelated file.
//
//   const watch = watchDescriptors()
//   ... await db.close() ...
//   watch.stop()  // -> ['writeSync(23) after close', ...]
//
// Calls made while `watch.paused` is true (the test's own opens) are not tracked.

import fs = require('fs')

const FD_FUNCTIONS = [
  'writeSync', 'write', 'readSync', 'read', 'fdatasync', 'fdatasyncSync', 'fsync', 'fsyncSync',
  'fstat', 'fstatSync', 'ftruncate', 'ftruncateSync', 'writev', 'writevSync', 'readv', 'readvSync'
] as const

export interface DescriptorWatch {
  /** Misuses seen so far. */
  readonly violations: string[]
  paused: boolean
  /** Restores fs and returns the misuses. */
  stop: () => string[]
}

export function watchDescriptors (): DescriptorWatch {
  const closed = new Set<number>()
  const saved = new Map<string, unknown>()
  const mod = fs as unknown as Record<string, (...args: any[]) => any>
  const watch: DescriptorWatch = {
    violations: [],
    paused: false,
    stop: () => {
      for (const [name, fn] of saved) mod[name] = fn as any
      saved.clear()
      return watch.violations
    }
  }
  const replace = (name: string, make: (real: (...args: any[]) => any) => (...args: any[]) => any): void => {
    const real = mod[name]
    if (typeof real !== 'function') return
    saved.set(name, real)
    mod[name] = make(real)
  }
  const check = (name: string, fd: unknown): void => {
    if (!watch.paused && typeof fd === 'number' && closed.has(fd)) watch.violations.push(`${name}(${fd}) after that descriptor was closed`)
  }
  for (const name of FD_FUNCTIONS) {
    replace(name, (real) => function (this: unknown, ...args: any[]) {
      check(name, args[0])
      return real.apply(this, args)
    })
  }
  for (const name of ['closeSync', 'close']) {
    replace(name, (real) => function (this: unknown, ...args: any[]) {
      if (!watch.paused) {
        check(name, args[0])
        if (typeof args[0] === 'number') closed.add(args[0])
      }
      return real.apply(this, args)
    })
  }
  replace('openSync', (real) => function (this: unknown, ...args: any[]) {
    const fd = real.apply(this, args)
    if (!watch.paused) closed.delete(fd)
    return fd
  })
  replace('open', (real) => function (this: unknown, ...args: any[]) {
    const cb = args[args.length - 1]
    if (typeof cb === 'function' && !watch.paused) {
      args[args.length - 1] = (err: unknown, fd: number) => {
        if (err === null || err === undefined) closed.delete(fd)
        cb(err, fd)
      }
    }
    return real.apply(this, args)
  })
  return watch
}
