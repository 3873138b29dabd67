// The database's exclusivity lock, in pure JS.
//
// LevelDB locks <location>/LOCK with fcntl(F_SETLK), which Node cannot call. What we do:
//
// 1. In this process: a Map keyed by the directory's realpath. A second acquire throws
//    LEVEL_LOCKED "IO error: lock <location>/LOCK: already held by process", as LevelDB does.
//
// 2. Across processes: each acquirer creates its own claim file, exclusively (O_EXCL), named
//
//      LOCK.owner.<pid>.<start>.<host>.<nonce>
//
//    where <start> is the process start time from /proc/<pid>/stat field 22 ('-' where there
//    is no /proc), <host> the sanitised hostname and <nonce> random. The name carries all the
//    data, so a claim is never seen half-written. After creating its claim the acquirer lists
//    the directory: if any other claim belongs to a live owner it deletes its own claim and
//    throws; otherwise it holds the lock. Safety: if A and B both held, each listed after
//    creating its own claim and saw no claim of the other, yet whichever created its claim
//    first had it in place for the whole of the other's listing. Contenders that start at the
//    same instant may both withdraw; a claim younger than CONTENDED_MS is therefore retried
//    a few times after a random pause before we give up. Nobody ever deletes a live owner's
//    claim, so a failed acquire never weakens the holder.
//
// 3. Stale claims: a claim whose pid no longer exists, or exists with a different start time
//    (pid reused, or our own pid from an earlier life of a container), is deleted by whoever
//    finds it. That covers a holder killed with SIGKILL. Without /proc (macOS, Windows) only
//    the pid is compared, so a reused pid keeps a stale claim "live" until that process exits.
//    A claim from another host (shared volume, network file system, recreated container) cannot
//    be judged and is treated as live; the error names the file to delete.
//    Worker threads share the pid: a claim with our own pid and start time that is not in
//    this thread's Map is another thread's. The claim file holds "<tid> <tid start>", the OS
//    thread that made it (lib/base/thread-identity.ts, Linux): if that thread is gone (a
//    worker terminated while it held the lock) the claim is stale, so another thread of the
//    process can take the database over. An empty claim (being written, or no /proc) is live.
//
// 4. classic-level: on Linux a live fcntl lock on LOCK shows up in /proc/locks under the
//    file's device and inode, so we refuse to open a directory a LevelDB process holds. The
//    reverse is impossible: classic-level cannot see our claim. (Under overlay file systems
//    the device numbers may not match and this check finds nothing.)
//    /proc/locks is read only when LOG does not start with the line lsm-level writes first
//    (info-log.ts). LevelDB, given no info_log of its own (classic-level gives none), renames
//    LOG away and starts its own when it opens a directory, before it even tries the lock
//    (SanitizeOptions in db_impl.cc). So while our line still heads LOG, no LevelDB process
//    has opened the directory since an lsm-level process did, which found no fcntl holder
//    then; none can hold one now. That matters because the first read of /proc/locks after a
//    pause costs 5-15 ms (the kernel waits out an RCU grace period): most of a reopen.
//
// <location>/LOCK itself is created if missing and otherwise never opened (see
// createIfMissing), since LevelDB expects it. "LOCK.owner.*" is not a name LevelDB parses, so its obsolete-file sweep leaves
// claims alone. Claims are removed on release and, as a courtesy, at process exit.

import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { randomBytes } from 'crypto'
import { ioError, levelError } from '../base/errors'
import { ownThread, threadAlive } from '../base/thread-identity'
import { startsWithLsmLevelHeader } from './info-log'

const LOCK_NAME = 'LOCK'
const CLAIM_PREFIX = 'LOCK.owner.'
const CLAIM_PATTERN = /^LOCK\.owner\.(\d+)\.(\d+|-)\.([A-Za-z0-9_-]*)\.([0-9a-f]+)$/

/** A conflicting claim younger than this may be a contender that is about to withdraw. */
const CONTENDED_MS = 2000
const RETRIES = 4

interface Identity {
  pid: number
  start: string
  host: string
}

interface Holder {
  description: string
  /** The conflict may be a simultaneous acquire; worth another try. */
  contended: boolean
}

const held = new Map<string, LockFile>()
let identity: Identity | undefined
let exitHookInstalled = false

export class LockFile {
  private released = false

  private constructor (
    /** Realpath of the database directory. */
    readonly directory: string,
    /** Our claim file. */
    readonly claimPath: string
  ) {}

  /** Takes the lock on `location` or throws LEVEL_LOCKED (held) / LEVEL_IO_ERROR. */
  static acquire (location: string): LockFile {
    const lockPath = path.join(location, LOCK_NAME)
    let directory: string
    try {
      directory = fs.realpathSync(location)
      createIfMissing(lockPath)
    } catch (err) {
      throw ioError(`lock ${lockPath}: ${(err as Error).message}`, err)
    }
    if (held.has(directory)) {
      throw levelError('LEVEL_LOCKED', `IO error: lock ${lockPath}: already held by process`)
    }

    const fcntlPid = lastOpenedByLsmLevel(directory) ? undefined : fcntlHolder(lockPath)
    if (fcntlPid !== undefined) {
      throw levelError('LEVEL_LOCKED', `IO error: lock ${lockPath}: already held by process ${fcntlPid} (a LevelDB fcntl lock)`)
    }

    const self = ownIdentity()
    for (let attempt = 0; ; attempt++) {
      const claimName = `${CLAIM_PREFIX}${self.pid}.${self.start}.${self.host}.${randomBytes(6).toString('hex')}`
      const claimPath = path.join(directory, claimName)
      try {
        const thread = ownThread()
        fs.writeFileSync(claimPath, thread.tid === 0 ? '' : `${thread.tid} ${thread.start}`, { flag: 'wx' })
      } catch (err) {
        throw ioError(`lock ${lockPath}: ${(err as Error).message}`, err)
      }

      let holder: Holder | undefined
      try {
        holder = otherHolder(directory, claimName, self)
      } catch (err) {
        unlinkQuietly(claimPath)
        throw ioError(`lock ${lockPath}: ${(err as Error).message}`, err)
      }
      if (holder === undefined) {
        const lock = new LockFile(directory, claimPath)
        held.set(directory, lock)
        installExitHook()
        return lock
      }

      unlinkQuietly(claimPath)
      if (!holder.contended || attempt >= RETRIES) {
        throw levelError('LEVEL_LOCKED', `IO error: lock ${lockPath}: already held by ${holder.description}`)
      }
      sleep(1 + Math.floor(Math.random() * 10 * (attempt + 1)))
    }
  }

  /** Gives the lock up. Idempotent. */
  release (): void {
    if (this.released) return
    this.released = true
    if (held.get(this.directory) === this) held.delete(this.directory)
    unlinkQuietly(this.claimPath)
  }
}

/** Looks for a live claim other than ours, deleting stale ones on the way. */
function otherHolder (directory: string, ours: string, self: Identity): Holder | undefined {
  let found: Holder | undefined
  for (const name of fs.readdirSync(directory)) {
    if (name === ours || !name.startsWith(CLAIM_PREFIX)) continue
    const match = CLAIM_PATTERN.exec(name)
    if (match === null) continue
    const pid = Number(match[1])
    const start = match[2]
    const host = match[3]
    const claimPath = path.join(directory, name)

    if (host !== self.host) {
      found = {
        description: `process ${pid} on host ${host} (if it is gone, delete ${claimPath})`,
        contended: isYoung(claimPath)
      }
      continue
    }
    if (isStale(pid, start, self) || (pid === self.pid && threadGone(claimPath))) {
      unlinkQuietly(claimPath)
      continue
    }
    found = {
      description: pid === self.pid ? 'process' : `process ${pid}`,
      contended: isYoung(claimPath)
    }
  }
  return found
}

function isStale (pid: number, start: string, self: Identity): boolean {
  if (pid === self.pid) {
    // Another thread of this process, or an earlier process that had our pid.
    return start !== self.start
  }
  if (pid < 1 || !processExists(pid)) return true
  if (start === '-') return false
  const actual = startTime(pid)
  return actual !== undefined && actual !== start
}

/** A claim of this process whose file names a thread that no longer runs. */
function threadGone (claimPath: string): boolean {
  let content: string
  try {
    content = fs.readFileSync(claimPath, 'latin1')
  } catch {
    return false
  }
  const match = /^(\d+) (\d+)$/.exec(content)
  return match !== null && !threadAlive({ tid: Number(match[1]), start: match[2] })
}

/** Whether this thread holds the lock on `location` (a LEVEL_LOCKED from it is not another thread's). */
export function heldInThisThread (location: string): boolean {
  try {
    return held.has(fs.realpathSync(location))
  } catch {
    return false
  }
}

function processExists (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // Only ESRCH says it is gone. EPERM: it exists but belongs to another user; anything else
    // (Deno without --allow-run) cannot tell, and a live owner's claim must never be deleted.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), if readable. */
function startTime (pid: number | 'self'): string | undefined {
  let stat: string
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return undefined
  }
  // Field 2 (the command) is in parentheses and may hold spaces or ')': split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const value = fields[22 - 3]
  return value !== undefined && /^\d+$/.test(value) ? value : undefined
}

function ownIdentity (): Identity {
  if (identity === undefined) {
    const host = os.hostname().replace(/[^A-Za-z0-9-]/g, '_').slice(0, 64)
    identity = { pid: process.pid, start: startTime('self') ?? '-', host }
  }
  return identity
}

function isYoung (file: string): boolean {
  try {
    return Math.abs(Date.now() - fs.statSync(file).mtimeMs) < CONTENDED_MS
  } catch {
    // Gone already: its owner withdrew, so trying again is worthwhile.
    return true
  }
}

/** Whether LOG starts with lsm-level's first line: no LevelDB process has opened the directory since (see 4. above). */
function lastOpenedByLsmLevel (directory: string): boolean {
  let fd: number
  try {
    fd = fs.openSync(path.join(directory, 'LOG'), 'r')
  } catch {
    return false
  }
  try {
    const head = Buffer.alloc(256)
    const n = fs.readSync(fd, head, 0, head.length, 0)
    return startsWithLsmLevelHeader(head.toString('latin1', 0, n))
  } catch {
    return false
  } finally {
    fs.closeSync(fd)
  }
}

/** The pid holding an fcntl/flock lock on `lockPath` according to /proc/locks (Linux only). */
function fcntlHolder (lockPath: string): string | undefined {
  if (process.platform !== 'linux') return undefined
  let text: string
  let id: string
  try {
    const stat = fs.statSync(lockPath, { bigint: true })
    // Split the user-space dev_t into major and minor as glibc does; /proc/locks prints them in hex.
    const major = ((stat.dev >> 8n) & 0xfffn) | ((stat.dev >> 32n) & ~0xfffn)
    const minor = (stat.dev & 0xffn) | ((stat.dev >> 12n) & ~0xffn)
    id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${stat.ino}`
    text = fs.readFileSync('/proc/locks', 'latin1')
  } catch {
    return undefined
  }
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/)
    const at = fields.indexOf(id)
    if (at > 0) return fields[at - 1]
  }
  return undefined
}

/**
 * Creates LOCK for LevelDB's sake. An existing LOCK is never opened: closing any descriptor of
 * a file drops every fcntl lock this process holds on it, which would silently unlock a
 * classic-level instance open on the same directory in this process.
 */
function createIfMissing (lockPath: string): void {
  // Checked first because the usual case, EEXIST, costs an exception.
  if (fs.existsSync(lockPath)) return
  try {
    fs.closeSync(fs.openSync(lockPath, 'wx'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
}

function unlinkQuietly (file: string): void {
  try {
    fs.unlinkSync(file)
  } catch {}
}

function sleep (ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // A claim left behind is harmless (its pid is dead), but tidy up after a clean exit.
  process.once('exit', () => {
    for (const lock of held.values()) unlinkQuietly(lock.claimPath)
  })
}
