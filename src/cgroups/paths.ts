// Where a container's cgroup lives, following runc's cgroupfs driver
// (libcontainer/specconv CreateCgroupConfig + cgroups/fs/paths.go +
// cgroups/fs2/defaultpath.go):
//
// - cgroupsPath is first cleaned like runc's utils.CleanPath: an absolute
//   path is normalised ("/a/../b" -> "/b"); a relative one is resolved as if
//   rooted at "/" and made relative again, so "../../x" cannot climb out
//   ("x").
// - No cgroupsPath: the container id, as a RELATIVE path (runc sets
//   Name=id, Parent="" and joins them). So the default is not "/<id>".
// - Absolute path: taken relative to each hierarchy's mount point:
//   v1 /sys/fs/cgroup/<controller>/<path>, v2 /sys/fs/cgroup/<path>.
// - Relative path: taken relative to the cgroup of the runtime process
//   itself (/proc/self/cgroup):
//     v1: per controller, <mount>/<own cgroup in that hierarchy>/<path>,
//         so controllers may end up at different depths;
//     v2: the PARENT of the own cgroup, <mount>/<dirname(own)>/<path>,
//         because the own cgroup (e.g. a session scope) has processes and
//         so cannot enable controllers for a child.
//   Run from a shell in the root cgroup, both give /sys/fs/cgroup/.../<id>.
import { posix } from 'node:path';
import type { CgroupMount, CgroupHost } from './detect.js';
import { v1Hierarchies } from './detect.js';

/** runc's utils.CleanPath: normalised, and a relative path cannot escape upwards. */
export function cleanPath(p: string): string {
  if (p === '') return '';
  if (p.startsWith('/')) return posix.normalize(p).replace(/(.)\/+$/, '$1');
  const abs = posix.normalize('/' + p);
  const rel = posix.relative('/', abs);
  return rel === '' ? '.' : rel;
}

/**
 * The cgroup path a container gets: cgroupsPath cleaned, or the id (relative)
 * when cgroupsPath is empty. Absolute results are relative to each mount
 * point; relative ones to the runtime's own cgroup (see the file comment).
 */
export function resolveCgroupPath(cgroupsPath: string | undefined, id: string): string {
  const p = cleanPath(cgroupsPath ?? '');
  return p !== '' ? p : cleanPath(id);
}

/** The cgroup directory for path inside one mount; own is the runtime's cgroup in that hierarchy. */
function dirIn(mount: CgroupMount, path: string, own: string | undefined, v2: boolean): string {
  if (path.startsWith('/')) return posix.join(mount.mountpoint, path);
  let base = own ?? '/';
  if (v2) base = posix.dirname(base);
  // Own cgroup paths are relative to the hierarchy root; the mount may show a sub-tree.
  let rel = posix.relative(mount.root, base);
  if (rel.startsWith('..')) rel = ''; // own cgroup outside the mounted sub-tree: use the mount's top
  return posix.join(mount.mountpoint, rel, path);
}

/**
 * v1: controller -> directory for every mounted hierarchy we join (the known
 * controllers and name=systemd; other named hierarchies are left alone, as
 * runc does). ownCgroups is parseProcCgroup(/proc/self/cgroup).
 */
export function v1Dirs(host: CgroupHost, path: string, ownCgroups: Record<string, string>): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const h of v1Hierarchies(host)) {
    const names = h.controllers.filter((c) => !c.startsWith('name=') || c === 'name=systemd');
    if (names.length === 0) continue;
    const dir = dirIn(h, path, ownCgroups[names[0]], false);
    for (const c of names) dirs[c] = dir;
  }
  return dirs;
}

/** v2: the one directory. */
export function v2Dir(host: CgroupHost, path: string, ownCgroups: Record<string, string>): string {
  if (!host.unified) throw new Error('v2Dir: no cgroup2 mount');
  return dirIn(host.unified, path, ownCgroups[''], true);
}

/**
 * Hybrid: the container's directory in the cgroup2 mount too (which holds
 * no controller runc drives there), placed like a v1 hierarchy's, as runc's
 * fs driver does (its "" subsystem): the init then shows "0::/<path>".
 */
export function hybridUnifiedDir(host: CgroupHost, path: string, ownCgroups: Record<string, string>): string {
  if (!host.unified) throw new Error('hybridUnifiedDir: no cgroup2 mount');
  return dirIn(host.unified, path, ownCgroups[''], false);
}
