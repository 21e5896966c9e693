/**
 * The few asynchronous file operations tsrun uses, on node:fs's callback
 * API (libuv's thread pool, as node:fs/promises). node:fs/promises itself
 * would load eight more of Node's internal modules (FileHandle, streams,
 * readline, watchers) into every short-lived CLI command that reaches them.
 */
// Named imports: a namespace import of a CommonJS module makes the bundle copy
// every export of node:fs onto a new object when the module loads (esbuild's
// __toESM), which every CLI command paid.
import {
  close as fsClose,
  closeSync,
  openSync,
  renameSync,
  rmSync,
  rmdirSync,
  unlinkSync,
  writeSync,
  open as fsOpen,
  rename as fsRename,
  rm as fsRm,
  rmdir as fsRmdir,
  unlink as fsUnlink,
  write as fsWrite,
  type RmOptions,
} from 'node:fs';

type Done<T> = (err: NodeJS.ErrnoException | null, value?: T) => void;
const call = <T>(f: (done: Done<T>) => void): Promise<T> => new Promise((resolve, reject) => f((err, value) => (err ? reject(err) : resolve(value as T))));

export const rmdir = (path: string): Promise<void> => call((done) => fsRmdir(path, done));
export const rm = (path: string, opts: RmOptions): Promise<void> => call((done) => fsRm(path, opts, done));
export const unlink = (path: string): Promise<void> => call((done) => fsUnlink(path, done));
export const rename = (from: string, to: string): Promise<void> => call((done) => fsRename(from, to, done));
export const open = (path: string, flags: number): Promise<number> => call((done) => fsOpen(path, flags, done));
export const write = (fd: number, data: string): Promise<number> => call((done) => fsWrite(fd, data, done));
export const close = (fd: number): Promise<void> => call((done) => fsClose(fd, done));
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The file operations a caller may want on its own thread instead: one that
 * waits for each operation anyway (RuntimeOptions.blocking, the CLI) starts
 * no thread pool (four threads) for a handful of calls. Promises either way.
 */
export interface FileOps {
  rmdir(path: string): Promise<void>;
  rm(path: string, opts: RmOptions): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  open(path: string, flags: number): Promise<number>;
  write(fd: number, data: string): Promise<number>;
  close(fd: number): Promise<void>;
}

/** The default: libuv's thread pool, off the event loop. */
export const poolFileOps: FileOps = { rmdir, rm, unlink, rename, open, write, close };

const now = <T>(f: () => T): Promise<T> => {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e);
  }
};

/** On the calling thread. */
export const blockingFileOps: FileOps = {
  rmdir: (path) => now(() => rmdirSync(path)),
  rm: (path, opts) => now(() => rmSync(path, opts)),
  unlink: (path) => now(() => unlinkSync(path)),
  rename: (from, to) => now(() => renameSync(from, to)),
  open: (path, flags) => now(() => openSync(path, flags)),
  write: (fd, data) => now(() => writeSync(fd, data)),
  close: (fd) => now(() => closeSync(fd)),
};

export const fileOps = (how: { blocking?: boolean } = {}): FileOps => (how.blocking ? blockingFileOps : poolFileOps);
