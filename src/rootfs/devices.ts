import { Op } from '../native/generated/instruction-set.js';
import { MS, S_IF } from '../linux/constants.js';
import type { Device } from '../spec/types.js';

/** The devices every container gets (runtime-spec "Default Devices"). */
export const DEFAULT_DEVICES: readonly Device[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

const DEFAULT_LINKS: readonly [string, string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  ['/proc/kcore', '/dev/core'],
  ['pts/ptmx', '/dev/ptmx'],
];

const TYPE_BITS: Record<string, number> = { c: S_IF.CHR, u: S_IF.CHR, b: S_IF.BLK, p: S_IF.FIFO };

/**
 * The default devices and linux.devices (later entries win), then the /dev
 * symlinks. In a user namespace mknod is not allowed: the host's device
 * nodes at the same paths are bind-mounted instead, as runc does.
 */
export function planDevices(configured: readonly Device[] = [], inUserNs = false, hostHasKcore = true): Op[] {
  const byPath = new Map<string, Device>();
  for (const d of [...DEFAULT_DEVICES, ...configured]) byPath.set(d.path, d);
  const ops: Op[] = [];
  for (const d of byPath.values()) {
    if (inUserNs) {
      ops.push(Op.mkfileInRoot(`create file ${d.path}`, { path: d.path, mode: 0o644 }));
      ops.push(Op.mount(`bind host ${d.path} on ${d.path} (user namespace)`, { source: d.path, target: d.path, fstype: '', flags: MS.BIND, data: '' }, { targetInRoot: true }));
      continue;
    }
    const mode = TYPE_BITS[d.type]! | (d.fileMode ?? 0o666);
    ops.push(
      Op.mknodInRoot(
        `mknod ${d.path} ${d.type} ${d.major ?? 0}:${d.minor ?? 0} mode ${(d.fileMode ?? 0o666).toString(8)} owner ${d.uid ?? 0}:${d.gid ?? 0}`,
        { path: d.path, mode, major: d.major ?? 0, minor: d.minor ?? 0, uid: d.uid ?? 0, gid: d.gid ?? 0 },
        { ignoreExist: true },
      ),
    );
  }
  for (const [target, link] of DEFAULT_LINKS) {
    if (byPath.has(link)) continue;
    if (link === '/dev/core' && !hostHasKcore) continue; // as runc: no dangling link
    ops.push(Op.symlinkInRoot(`symlink ${link} -> ${target}`, { target, path: link }, { ignoreExist: true }));
  }
  return ops;
}
