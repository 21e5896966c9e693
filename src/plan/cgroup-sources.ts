import { basename } from 'node:path';
import type { CgroupHost } from '../cgroups/detect.js';
import type { CgroupRecord } from '../cgroups/types.js';
import type { CgroupMountSource } from './context.js';

/**
 * The container's cgroup directories as /sys/fs/cgroup mount sources, one per
 * hierarchy, named after the host's mount point ("memory", "cpu,cpuacct").
 */
export function cgroupMountSources(rec: CgroupRecord, host: CgroupHost): CgroupMountSource[] {
  if (rec.mode === 'v2') return [{ name: '', data: '', hostDir: rec.dirs.unified! }];
  const seen = new Set<string>();
  const out: CgroupMountSource[] = [];
  for (const [controller, dir] of Object.entries(rec.dirs)) {
    const h = host.v1[controller];
    if (!h || seen.has(h.mountpoint)) continue;
    seen.add(h.mountpoint);
    const named = h.controllers.find((c) => c.startsWith('name='));
    out.push({ name: basename(h.mountpoint), data: named ? `none,${named}` : [...h.controllers].sort().join(','), hostDir: dir });
  }
  return out;
}
