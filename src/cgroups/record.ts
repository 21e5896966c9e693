// Where a container's cgroup is on this host, for the cgroupfs driver: the
// record (mode, path, one directory per hierarchy) and the mount point of
// each. No driver code: delete uses it too, without loading the resource
// writers (index.ts has those).
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { CgroupMode, CgroupRecord } from './types.js';
import { CgroupError } from './errors.js';
import { detectCgroups, parseProcCgroup, type CgroupHost } from './detect.js';
import { hybridUnifiedDir, resolveCgroupPath, v1Dirs, v2Dir } from './paths.js';

export interface OpenOptions {
  /** linux.cgroupsPath from config.json (absolute, relative, or empty for the default). */
  cgroupsPath?: string;
  /** The container id: the default path when cgroupsPath is empty. */
  id: string;
  /** Expected layout; an error if the host differs (v1 and hybrid are interchangeable). */
  mode?: CgroupMode;
  /** Host layout, if the caller already has it (tests); detected otherwise. */
  host?: CgroupHost;
  /** /proc/self/cgroup text, for relative paths (tests); read otherwise. */
  ownCgroup?: string;
  /** The systemd driver (--systemd-cgroup): cgroupsPath is "slice:prefix:name" and the cgroup a transient scope. */
  systemd?: boolean;
  /** Where the systemd driver reports what it skips once the scope has started (create logs them). */
  warn?: (message: string) => void;
}

/** An error if the layout asked for is not this host's (v1 and hybrid are interchangeable). */
export function checkMode(mode: CgroupMode | undefined, host: CgroupHost): void {
  const v1ish = (m: CgroupMode) => m === 'v1' || m === 'hybrid';
  if (mode && mode !== host.mode && !(v1ish(mode) && v1ish(host.mode))) {
    throw new CgroupError(`cgroup ${mode} was asked for but this host runs cgroup ${host.mode}`);
  }
}

/** The record of the container's cgroup and each directory's mount point ({ unified } on v2), resolved like runc (paths.ts). */
export function cgroupfsRecord(opts: OpenOptions): { record: CgroupRecord; mounts: Record<string, string> } {
  const host = opts.host ?? detectCgroups();
  checkMode(opts.mode, host);
  const path = resolveCgroupPath(opts.cgroupsPath, opts.id);
  // Only a relative path depends on where the runtime itself is.
  const own = path.startsWith('/') ? {} : parseProcCgroup(opts.ownCgroup ?? readFileSync('/proc/self/cgroup', 'utf8'));

  if (host.mode === 'v2') {
    const dir = v2Dir(host, path, own);
    return { record: { mode: 'v2', path: inner(host.unified!, dir), dirs: { unified: dir }, created: [] }, mounts: { unified: host.unified!.mountpoint } };
  }
  const dirs = v1Dirs(host, path, own);
  if (Object.keys(dirs).length === 0) throw new CgroupError('no cgroup v1 hierarchy to use is mounted');
  const main = dirs.devices ? 'devices' : Object.keys(dirs)[0]!;
  const mounts: Record<string, string> = {};
  for (const c of Object.keys(dirs)) mounts[c] = host.v1[c]!.mountpoint;
  // Key "" (runc's name for it): joined and removed with the rest, no resources written there.
  if (host.mode === 'hybrid' && host.unified) {
    dirs[''] = hybridUnifiedDir(host, path, own);
    mounts[''] = host.unified.mountpoint;
  }
  return { record: { mode: host.mode, path: inner(host.v1[main]!, dirs[main]!), dirs, created: [] }, mounts };
}

/** The cgroup path (as /proc/<pid>/cgroup shows it) of a directory inside a mount. */
function inner(mount: { mountpoint: string; root: string }, dir: string): string {
  return posix.join(mount.root, posix.relative(mount.mountpoint, dir)) || '/';
}
