// Creating and removing cgroup directories. We remember exactly which
// directories we made so destroy() removes those and never a cgroup we only
// joined (a shared parent such as /tsrun, or a pre-existing cgroupsPath).
//
// On the calling thread, not libuv's pool. cgroupfs is the kernel's own
// file system: a mkdir or rmdir there does no I/O and takes about 20 µs
// (median; 0.2 ms at the 99th percentile, 18 of them per container, during
// bursts of 50 library lifecycles on this 2-CPU VM). Handing one to the pool
// cost more than that: the main thread spent as much queueing it as doing
// it, and waking a pool thread and being woken back cost about 60 µs more
// of CPU per call. Only the waits between rmdir retries leave the thread.
import { mkdirSync, readdirSync, rmdirSync, type Dirent } from 'node:fs';
import { posix } from 'node:path';
import { sleep } from '../linux/async-fs.js';
import { ioError } from './errors.js';

/**
 * mkdir -p of dir below mountpoint, appending each directory it makes to
 * created (parents first) as it makes it: a failure part-way leaves the
 * ones made listed for removal. An existing directory is joined, not an error.
 */
export function makeDirs(mountpoint: string, dir: string, created: string[]): void {
  const rel = posix.relative(mountpoint, dir);
  if (rel.startsWith('..')) throw new Error(`makeDirs: ${dir} is not below ${mountpoint}`);
  let cur = mountpoint;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = posix.join(cur, part);
    try {
      mkdirSync(cur, { mode: 0o755 });
      created.push(cur);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('mkdir', cur, err);
    }
  }
}

/**
 * rmdir of a cgroup: null once it is gone (ENOENT counts), or the EBUSY
 * error while tasks (just-killed ones not yet reaped) or sub-cgroups remain.
 */
function rmdirUnlessBusy(dir: string): NodeJS.ErrnoException | null {
  try {
    rmdirSync(dir);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EBUSY') return err as NodeJS.ErrnoException;
    throw ioError('rmdir', dir, err);
  }
}

/** rmdir that waits for a cgroup to empty: up to about timeoutMs, in growing steps. */
export async function rmdirRetry(dir: string, timeoutMs: number): Promise<void> {
  let waited = 0;
  for (let step = 1; ; step = Math.min(step * 2, 100)) {
    const busy = rmdirUnlessBusy(dir);
    if (!busy) return;
    if (waited >= timeoutMs) throw ioError('rmdir', dir, busy);
    await sleep(step);
    waited += step;
  }
}

/**
 * Removes a container's leaf cgroup and the cgroups the container made inside
 * it (a container with a cgroup namespace may create its own), deepest first.
 */
export async function removeTree(dir: string, timeoutMs: number): Promise<void> {
  // Most often nothing is left inside: one rmdir. Else look for sub-cgroups, then wait for the tasks.
  if (!rmdirUnlessBusy(dir)) return;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError('readdir', dir, err);
  }
  for (const e of entries) if (e.isDirectory()) await removeTree(posix.join(dir, e.name), timeoutMs);
  await rmdirRetry(dir, timeoutMs);
}

/**
 * destroy(): leaves (the container's own directories) are removed with their
 * sub-cgroups, waiting for tasks to drain; other created directories are
 * intermediate parents, removed only if empty: another container may have
 * joined them since, which is not an error.
 */
export async function removeCreated(created: string[], leaves: Set<string>, timeoutMs = 2000): Promise<void> {
  const errors: Error[] = [];
  const remove = async (dir: string) => {
    try {
      if (leaves.has(dir)) await removeTree(dir, timeoutMs);
      else rmdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (leaves.has(dir)) errors.push(err as Error);
      else if (code !== 'EBUSY' && code !== 'ENOTEMPTY' && code !== 'ENOENT') errors.push(ioError('rmdir', dir, err));
    }
  };
  // Deepest first; directories of one depth (the same path in each v1 hierarchy) at once.
  const byDepth = new Map<number, string[]>();
  for (const dir of created) {
    const depth = dir.split('/').length;
    byDepth.set(depth, [...(byDepth.get(depth) ?? []), dir]);
  }
  for (const depth of [...byDepth.keys()].sort((a, b) => b - a)) await Promise.all(byDepth.get(depth)!.map(remove));
  if (errors.length > 0) throw errors[0];
}
