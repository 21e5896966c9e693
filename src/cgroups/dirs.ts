// Creating and removing cgroup directories. We remember exactly which
// directories we made so destroy() removes those and never a cgroup we only
// joined (a shared parent such as /tsrun, or a pre-existing cgroupsPath).
import { mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { posix } from 'node:path';
import { ioError } from './errors.js';
import { sleepMs } from './fsutil.js';

/**
 * mkdir -p of dir below mountpoint; returns the directories it created,
 * parents first. An existing directory is joined, not an error.
 */
export function makeDirs(mountpoint: string, dir: string): string[] {
  const rel = posix.relative(mountpoint, dir);
  if (rel.startsWith('..')) throw new Error(`makeDirs: ${dir} is not below ${mountpoint}`);
  const created: string[] = [];
  let cur = mountpoint;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = posix.join(cur, part);
    try {
      mkdirSync(cur, 0o755);
      created.push(cur);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('mkdir', cur, err);
    }
  }
  return created;
}

/**
 * rmdir that waits for a cgroup to empty: rmdir fails with EBUSY while tasks
 * (e.g. just-killed ones not yet reaped) are still attached. Waits up to
 * about timeoutMs in growing steps. ENOENT counts as removed.
 */
export function rmdirRetry(dir: string, timeoutMs: number): void {
  let waited = 0;
  for (let step = 1; ; step = Math.min(step * 2, 100)) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || waited >= timeoutMs) throw ioError('rmdir', dir, err);
    }
    sleepMs(step);
    waited += step;
  }
}

/**
 * Removes a container's leaf cgroup and the cgroups the container made inside
 * it (a container with a cgroup namespace may create its own), deepest first.
 */
export function removeTree(dir: string, timeoutMs: number): void {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError('readdir', dir, err);
  }
  for (const e of entries) if (e.isDirectory()) removeTree(posix.join(dir, e.name), timeoutMs);
  rmdirRetry(dir, timeoutMs);
}

/**
 * destroy(): leaves (the container's own directories) are removed with their
 * sub-cgroups, waiting for tasks to drain; other created directories are
 * intermediate parents, removed only if empty: another container may have
 * joined them since, which is not an error.
 */
export function removeCreated(created: string[], leaves: Set<string>, timeoutMs = 2000): void {
  const errors: Error[] = [];
  for (const dir of [...created].sort((a, b) => b.length - a.length)) {
    try {
      if (leaves.has(dir)) removeTree(dir, timeoutMs);
      else rmdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (leaves.has(dir)) errors.push(err as Error);
      else if (code !== 'EBUSY' && code !== 'ENOTEMPTY' && code !== 'ENOENT') errors.push(ioError('rmdir', dir, err));
    }
  }
  if (errors.length > 0) throw errors[0];
}
