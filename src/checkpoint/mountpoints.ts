/**
 * CRIU restores each mount onto a mount point that must already exist in
 * the root it is given; it does not create them (its log says "Can't stat
 * mountpoint ..."). A checkpoint restored into a fresh copy of the rootfs
 * (podman's `restore --import`, a migration to another host) lacks the
 * points the runtime made when it first created the container, so restore
 * makes them first, as runc does: a directory, or an empty file for a bind
 * mount of a file. Mounts below another mount of the config are left out:
 * CRIU restores that one first with its content (a tmpfs's, /dev's) or it
 * is the host's (a bind source, sysfs). Symlinks in the rootfs resolve
 * inside it, never to the host.
 */
import { lstatSync, mkdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { TsrunError } from '../errors.js';
import type { Spec } from '../spec/types.js';

export function makeRestoreMountpoints(spec: Spec, bundle: string, rootfs: string): void {
  const mounts = spec.mounts ?? [];
  const dests = mounts.map((m) => posix.normalize(m.destination));
  for (const [i, m] of mounts.entries()) {
    const dest = dests[i]!;
    if (dest === '/' || dests.some((d) => d !== dest && d !== '/' && dest.startsWith(d.endsWith('/') ? d : d + '/'))) continue;
    const bind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    let file = false;
    if (bind && m.source) {
      try {
        file = !statSync(isAbsolute(m.source) ? m.source : join(bundle, m.source)).isDirectory();
      } catch {
        continue; // no source: restore fails on it in CRIU, which names it
      }
    }
    makeInRoot(rootfs, dest, file, `/mounts/${i}/destination`);
  }
}

/** Creates dest (and its parents as directories) inside root, following symlinks as the container would. */
function makeInRoot(root: string, dest: string, file: boolean, pointer: string): void {
  const todo = dest.split('/').filter(Boolean);
  let cur: string[] = [];
  let hops = 0;
  while (todo.length) {
    const comp = todo.shift()!;
    if (comp === '.') continue;
    if (comp === '..') {
      cur.pop();
      continue;
    }
    const host = join(root, ...cur, comp);
    let st;
    try {
      st = lstatSync(host);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw mkError(dest, pointer, e);
      try {
        if (!todo.length && file) writeFileSync(host, '', { flag: 'wx', mode: 0o644 });
        else mkdirSync(host, { mode: 0o755 });
      } catch (err) {
        throw mkError(dest, pointer, err);
      }
      cur.push(comp);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw new TsrunError(`${pointer}: too many symlinks resolving ${dest} in the rootfs`, { code: 'ERR_CONFIG_INVALID', pointer, errno: 'ELOOP' });
      const target = readlinkSync(host);
      if (isAbsolute(target)) cur = [];
      todo.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    if (todo.length && !st.isDirectory())
      throw new TsrunError(`${pointer}: ${join(...cur, comp)} in the rootfs is not a directory, so ${dest} cannot be made for the restore`, { code: 'ERR_CONFIG_INVALID', pointer, errno: 'ENOTDIR' });
    cur.push(comp);
  }
}

function mkError(dest: string, pointer: string, e: unknown): TsrunError {
  const errno = (e as NodeJS.ErrnoException).code;
  return new TsrunError(`${pointer}: making the mount point ${dest} in the rootfs for the restore: ${errno ?? (e as Error).message}`, {
    code: 'ERR_SYSCALL',
    pointer,
    syscall: 'mkdir',
    path: dest,
    errno,
    cause: e,
  });
}
