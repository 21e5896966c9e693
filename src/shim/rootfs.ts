/**
 * The rootfs containerd hands a shim as mounts (a snapshot: overlay or a
 * bind of a directory) goes on <bundle>/rootfs before create, and comes
 * off at delete, as the runc shim does.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mount, umountDetach } from '../linux/libc.js';

export interface Mount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

const FLAGS: Record<string, number> = {
  ro: 1,
  nosuid: 2,
  nodev: 4,
  noexec: 8,
  sync: 16,
  dirsync: 128,
  noatime: 1024,
  nodiratime: 2048,
  bind: 4096,
  rbind: 4096 | 16384,
  relatime: 1 << 21,
  strictatime: 1 << 24,
};
const CLEARS = new Set(['rw', 'suid', 'dev', 'exec', 'async', 'atime', 'diratime', 'norelatime']);
const MS_RDONLY = 1;
const MS_REMOUNT = 32;
const MS_BIND = 4096;

export function rootfsPath(bundle: string): string {
  return join(bundle, 'rootfs');
}

export function mountRootfs(bundle: string, mounts: Mount[]): void {
  const target = rootfsPath(bundle);
  if (mounts.length === 0) return;
  mkdirSync(target, { recursive: true });
  const done: string[] = [];
  try {
    for (const m of mounts) {
      let flags = 0;
      const data: string[] = [];
      for (const o of m.options) {
        if (o in FLAGS) flags |= FLAGS[o]!;
        else if (!CLEARS.has(o)) data.push(o);
      }
      const where = m.target ? join(target, m.target) : target;
      mount(m.source, where, m.type === 'bind' ? '' : m.type, (flags & ~MS_RDONLY) | (flags & MS_BIND ? 0 : flags & MS_RDONLY), data.join(','));
      done.push(where);
      // A bind mount takes MS_RDONLY only on a remount.
      if (flags & MS_BIND && flags & MS_RDONLY) mount('', where, '', flags | MS_REMOUNT, '');
    }
  } catch (e) {
    for (const d of done.reverse()) umountDetach(d);
    throw e;
  }
}

/** Unmounts what mountRootfs put on <bundle>/rootfs (and anything stacked under it). */
export function unmountRootfs(bundle: string): void {
  const target = rootfsPath(bundle);
  if (!existsSync(target)) return;
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p && (p === target || p.startsWith(target + '/')));
  for (const p of mounted.reverse()) {
    try {
      umountDetach(p);
    } catch {
      /* already gone with its parent */
    }
  }
}
