// Entry point of the cgroup code. Lifecycle use:
//
//   create:  const cg = openCgroup({ cgroupsPath: spec.linux?.cgroupsPath, id });
//            cg.create();                               // mkdir, v2 subtree_control
//            warnings = cg.setResources(resources);     // limits, devices
//            cg.addProcess(pid);                        // before the container runs user code
//            save cg.record in the container state      // (after create, so record.created is known)
//   later:   const cg = reopenCgroup(state.cgroup);        // or reopenCgroupHandle (handle.ts) without resources
//            kill -> cg.killAll(sig); pause -> cg.freeze(); resume -> cg.thaw();
//            state/ps -> cg.isFrozen(), cg.pids(); update -> cg.setResources(r, { update: true });
//            events --stats -> stats(cg); delete -> cg.killAll(9) if needed, then cg.destroy().
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { CgroupManager, CgroupMode, CgroupRecord } from './types.js';
import { CgroupError } from './errors.js';
import { detectCgroups, parseProcCgroup, type CgroupHost } from './detect.js';
import { hybridUnifiedDir, resolveCgroupPath, v1Dirs, v2Dir } from './paths.js';
import { V1Manager, V2Manager } from './managers.js';
import { openSystemdCgroup, reopenSystemd } from './systemd/manager.js';

export type { CgroupHandle, CgroupManager, CgroupMode, CgroupRecord } from './types.js';
export { reopenCgroupHandle } from './handle.js';
export { CgroupError } from './errors.js';
export { detectCgroups, parseMountinfo, parseProcCgroup, type CgroupHost, type V1Hierarchy } from './detect.js';
export { cleanPath, resolveCgroupPath } from './paths.js';
export { runcDefaultDeviceRules } from './devices.js';
export { stats, statsToJSON, type RuncStats } from './stats.js';

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

/**
 * A manager for the container's cgroup on this host: resolves the path like
 * runc (see paths.ts), picks the driver. Creates nothing until create().
 */
export function openCgroup(opts: OpenOptions): CgroupManager {
  const host = opts.host ?? detectCgroups();
  const v1ish = (m: CgroupMode) => m === 'v1' || m === 'hybrid';
  if (opts.mode && opts.mode !== host.mode && !(v1ish(opts.mode) && v1ish(host.mode))) {
    throw new CgroupError(`cgroup ${opts.mode} was asked for but this host runs cgroup ${host.mode}`);
  }
  if (opts.systemd) return openSystemdCgroup({ cgroupsPath: opts.cgroupsPath, id: opts.id, host, warn: opts.warn });
  const path = resolveCgroupPath(opts.cgroupsPath, opts.id);
  // Only a relative path depends on where the runtime itself is.
  const own = path.startsWith('/') ? {} : parseProcCgroup(opts.ownCgroup ?? readFileSync('/proc/self/cgroup', 'utf8'));

  if (host.mode === 'v2') {
    const dir = v2Dir(host, path, own);
    const record: CgroupRecord = { mode: 'v2', path: inner(host.unified!, dir), dirs: { unified: dir }, created: [] };
    return new V2Manager(record, host.unified!.mountpoint);
  }
  const dirs = v1Dirs(host, path, own);
  if (Object.keys(dirs).length === 0) throw new CgroupError('no cgroup v1 hierarchy to use is mounted');
  const main = dirs.devices ? 'devices' : Object.keys(dirs)[0];
  const mounts: Record<string, string> = {};
  for (const c of Object.keys(dirs)) mounts[c] = host.v1[c].mountpoint;
  // Key "" (runc's name for it): joined and removed with the rest, no resources written there.
  if (host.mode === 'hybrid' && host.unified) {
    dirs[''] = hybridUnifiedDir(host, path, own);
    mounts[''] = host.unified.mountpoint;
  }
  const record: CgroupRecord = { mode: host.mode, path: inner(host.v1[main], dirs[main]), dirs, created: [] };
  return new V1Manager(record, mounts);
}

/** The cgroup path (as /proc/<pid>/cgroup shows it) of a directory inside a mount. */
function inner(mount: { mountpoint: string; root: string }, dir: string): string {
  return posix.join(mount.root, posix.relative(mount.mountpoint, dir)) || '/';
}

/** The manager for a container whose record was saved at create. No detection, no I/O. */
export function reopenCgroup(record: CgroupRecord): CgroupManager {
  const fs = record.mode === 'v2' ? new V2Manager(record) : new V1Manager(record);
  return record.systemd ? reopenSystemd(fs) : fs;
}
