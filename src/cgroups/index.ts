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
import type { CgroupManager, CgroupRecord } from './types.js';
import { detectCgroups } from './detect.js';
import { cgroupfsRecord, checkMode, type OpenOptions } from './record.js';
import { V1Manager, V2Manager } from './managers.js';
import { openSystemdCgroup, reopenSystemd } from './systemd/manager.js';

export type { CgroupHandle, CgroupManager, CgroupMode, CgroupRecord } from './types.js';
export { reopenCgroupHandle } from './handle.js';
export { cgroupfsRecord, type OpenOptions } from './record.js';
export { CgroupError } from './errors.js';
export { detectCgroups, parseMountinfo, parseProcCgroup, type CgroupHost, type V1Hierarchy } from './detect.js';
export { cleanPath, resolveCgroupPath } from './paths.js';
export { runcDefaultDeviceRules } from './devices.js';
export { stats, statsToJSON, type RuncStats } from './stats.js';

/**
 * A manager for the container's cgroup on this host: resolves the path like
 * runc (see paths.ts), picks the driver. Creates nothing until create().
 */
export function openCgroup(opts: OpenOptions): CgroupManager {
  const host = opts.host ?? detectCgroups();
  checkMode(opts.mode, host);
  if (opts.systemd) return openSystemdCgroup({ cgroupsPath: opts.cgroupsPath, id: opts.id, host, warn: opts.warn });
  const { record, mounts } = cgroupfsRecord({ ...opts, host });
  return record.mode === 'v2' ? new V2Manager(record, mounts.unified) : new V1Manager(record, mounts);
}

/** The manager for a container whose record was saved at create. No detection, no I/O. */
export function reopenCgroup(record: CgroupRecord): CgroupManager {
  const fs = record.mode === 'v2' ? new V2Manager(record) : new V1Manager(record);
  return record.systemd ? reopenSystemd(fs) : fs;
}
