// The storage environment: every file operation of the engine goes through an Env, so that
// tests can run the same engine on an in-memory file system that loses what was not synced
// (mem-env.ts), or on one that fails chosen calls (fault-env.ts), as LevelDB's Env and
// Pebble's vfs allow. NodeEnv (node-env.ts) is the default.
//
// Contract for every implementation:
//   - Failures throw LEVEL_IO_ERROR errors made by fileError() (io-error.ts): the message
//     names the operation, the file and the errno code; `cause` is a Node-style errno error
//     (code, syscall, path), which is what the engine inspects to classify a failure.
//   - Synchronous methods are what worker threads and getSync need; the Async variants run
//     off the main thread where the implementation can (Node's thread pool).
//   - append() writes every byte or throws; a short write that cannot complete leaves the
//     bytes written so far in the file (as write(2) does), and `size` says how many there are.
//   - sync() and syncAsync() make the file's data (and its size) durable, as fdatasync.
//     A new file's directory entry is durable only after syncDirectory() of its directory.

export interface WritableFile {
  readonly path: string
  /** Bytes in the file: what was there at open plus every byte appended since. */
  readonly size: number
  append (data: Uint8Array): void
  appendAsync (data: Uint8Array): Promise<void>
  sync (): void
  syncAsync (): Promise<void>
  /** Cuts the file to `length` bytes (e.g. a torn record after a failed append). */
  truncate (length: number): void
  close (): void
  closeAsync (): Promise<void>
}

export interface RandomAccessFile {
  readonly path: string
  /** The size when opened. */
  readonly size: number
  /** Exactly `length` bytes at `offset`, in a fresh buffer; a short read is LEVEL_CORRUPTION. */
  read (offset: number, length: number): Buffer
  /** As read, into into[0, length) (a buffer the caller reuses), allocating nothing. */
  readInto (offset: number, length: number, into: Buffer): void
  close (): void
}

/** An exclusive hold on a database directory (LOCK). */
export interface FileLock {
  release (): void
}

export interface Env {
  /** Creates (or truncates) a file for appending. */
  createWritable (path: string): WritableFile
  createWritableAsync (path: string): Promise<WritableFile>
  /** Opens an existing file for appending at its end. */
  openAppendable (path: string): WritableFile
  openRandomAccess (path: string): RandomAccessFile
  /** The whole file, in a Buffer the caller owns and may modify (WAL replay does). */
  readFile (path: string): Buffer
  readFileAsync (path: string): Promise<Buffer>
  exists (path: string): boolean
  fileSize (path: string): number
  /** Bare names of the entries of a directory. */
  list (directory: string): string[]
  listAsync (directory: string): Promise<string[]>
  makeDirectory (directory: string): void
  removeDirectory (directory: string): void
  rename (from: string, to: string): void
  remove (path: string): void
  removeAsync (path: string): Promise<void>
  /** A hard link `to` naming the file `from`; throws (EXDEV, EPERM...) where links are impossible. */
  link (from: string, to: string): void
  /** Makes the directory's entries (files created, renamed or removed in it) durable. */
  syncDirectory (directory: string): void
  syncDirectoryAsync (directory: string): Promise<void>
  /** Takes the database lock: LEVEL_LOCKED while another holder has it. */
  lock (location: string): FileLock
  /**
   * How a worker thread reaches this environment: 'node' opens its own NodeEnv there;
   * 'remote' forwards every call to this thread (remote-env.ts), for test environments
   * whose state lives here.
   */
  readonly threading: 'node' | 'remote'
}
