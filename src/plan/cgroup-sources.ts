import { dirname } from 'node:path';
import type { CgroupRecord } from '../cgroups/types.js';
import type { CgroupMountSource } from './context.js';

/** The container's cgroup directories as /sys/fs/cgroup mount sources, one per hierarchy. */
export function cgroupMountSources(rec: CgroupRecord): CgroupMountSource[] {
  if (rec.mode === 'v2') return [{ name: '', data: '', hostDir: rec.dirs.unified! }];
  const byDir = new Map<string, string[]>();
  for (const [controller, dir] of Object.entries(rec.dirs)) {
    if (controller === 'unified') continue;
    byDir.set(dir, [...(byDir.get(dir) ?? []), controller]);
  }
  const depth = rec.path.split('/').filter(Boolean).length;
  return [...byDir].map(([dir, controllers]) => {
    let mountPoint = dir;
    for (let i = 0; i < depth; i++) mountPoint = dirname(mountPoint);
    const name = mountPoint.slice(mountPoint.lastIndexOf('/') + 1);
    const named = controllers.find((c) => c.startsWith('name='));
    return { name, data: named ? `none,${named}` : controllers.sort().join(','), hostDir: dir };
  });
}
