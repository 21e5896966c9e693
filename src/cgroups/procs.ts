// cgroup.procs access shared by both drivers.
import { closeSync, readdirSync } from 'node:fs';
import { write } from '../linux/async-fs.js';
import { posix } from 'node:path';
import { CgroupError, ioError } from './errors.js';
import { openForWrite, readCgOpt, sleepMs, writeCg } from './fsutil.js';

/**
 * Writes pid to dir/cgroup.procs. EINVAL can mean the task is still being
 * created (TASK_NEW); runc retries 5 times 30 ms apart, so do we.
 */
export function writeProc(dir: string, pid: number): void {
  for (let i = 0; ; i++) {
    try {
      writeCg(dir, 'cgroup.procs', String(pid));
      return;
    } catch (err) {
      if ((err as CgroupError).errno !== 'EINVAL' || i >= 4) throw err;
      sleepMs(30);
    }
  }
}

/**
 * writeProc off the event loop: the write runs in libuv's thread pool. On
 * cgroup v1 a write to cgroup.procs can take the kernel 10-20 ms (the
 * cgroup_threadgroup_rwsem grace period); a program running many containers
 * at once must not stall for it. Opening and closing a cgroup file waits
 * for nothing: they stay on the event loop, one trip through the pool per
 * hierarchy instead of three (fs.writeFile opens, writes and closes there).
 */
export async function writeProcAsync(dir: string, pid: number): Promise<void> {
  const path = posix.join(dir, 'cgroup.procs');
  const fd = openForWrite(path);
  try {
    for (let i = 0; ; i++) {
      try {
        await write(fd, String(pid));
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL' || i >= 4) throw ioError('write', path, err);
        await new Promise((r) => setTimeout(r, 30));
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Pids in dir and, recursively, its sub-cgroups (a container may make its own). */
export function allPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    const text = readCgOpt(d, 'cgroup.procs');
    if (text === undefined) return;
    for (const l of text.split('\n')) if (l) out.push(Number(l));
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw ioError('readdir', d, err);
    }
    for (const e of entries) if (e.isDirectory()) walk(posix.join(d, e.name));
  };
  walk(dir);
  return out;
}

/** kill(2) ignoring processes that are already gone. */
export function signalPids(pids: number[], signal: number): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw new CgroupError(`kill ${pid}: ${(err as Error).message}`);
    }
  }
}

/** Runs f; false if it threw. */
export function tryOrFalse(f: () => void): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}
