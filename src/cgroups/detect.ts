// Which cgroup layout this host has, from one read of /proc/self/mountinfo
// (plus cgroup.controllers of the cgroup2 mount when there is one). It runs
// on every create, so it does nothing else.
//
//   v2:     a cgroup2 mount and no v1 hierarchy (normally /sys/fs/cgroup).
//   hybrid: v1 hierarchies plus a cgroup2 mount (systemd's
//           /sys/fs/cgroup/unified). Like runc, we drive only the v1
//           hierarchies then; the cgroup2 mount is reported for messages.
//   v1:     v1 hierarchies only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupMode } from './types.js';
import { CgroupError } from './errors.js';
import { readMountinfo, unescapeMountPath } from '../linux/mountinfo.js';

/** Controllers a v1 hierarchy can carry (a named hierarchy such as name=systemd has none). */
export const V1_CONTROLLERS = ['cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event', 'net_prio', 'hugetlb', 'pids', 'rdma', 'misc'] as const;

export interface CgroupMount {
  /** Where it is mounted, e.g. /sys/fs/cgroup/cpu,cpuacct. */
  mountpoint: string;
  /** The cgroup mounted there (mountinfo "root"), "/" unless a sub-tree is bind-mounted. */
  root: string;
}

export interface V1Hierarchy extends CgroupMount {
  /** e.g. ["cpu", "cpuacct"] when comounted, or ["name=systemd"]. */
  controllers: string[];
}

export interface CgroupHost {
  mode: CgroupMode;
  /** v1 / hybrid: controller (or "name=systemd") -> its hierarchy. Comounted controllers share one. */
  v1: Record<string, V1Hierarchy>;
  /** The cgroup2 mount, with the controllers its root offers (cgroup.controllers). */
  unified?: CgroupMount & { controllers: string[] };
}

const KNOWN_V1 = new Set<string>(V1_CONTROLLERS);

/**
 * The cgroup mounts listed in a mountinfo text. When a hierarchy is mounted
 * twice, the mount under /sys/fs/cgroup wins, else the first one.
 */
export function parseMountinfo(text: string): { v1: Record<string, V1Hierarchy>; unified?: CgroupMount } {
  const v1: Record<string, V1Hierarchy> = {};
  let unified: CgroupMount | undefined;
  const preferred = (m: string) => m === '/sys/fs/cgroup' || m.startsWith('/sys/fs/cgroup/');
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const f = line.slice(0, sep).split(' ');
    const mount: CgroupMount = { root: unescapeMountPath(f[3]), mountpoint: unescapeMountPath(f[4]) };
    if (fstype === 'cgroup2') {
      if (!unified || (!preferred(unified.mountpoint) && preferred(mount.mountpoint))) unified = mount;
      continue;
    }
    const controllers = superOpts.split(',').filter((o) => KNOWN_V1.has(o) || o.startsWith('name='));
    if (controllers.length === 0) continue;
    const h: V1Hierarchy = { ...mount, controllers };
    for (const c of controllers) {
      const old = v1[c];
      if (!old || (!preferred(old.mountpoint) && preferred(mount.mountpoint))) v1[c] = h;
    }
  }
  return { v1, unified };
}

/** Reads /proc/self/mountinfo (or the given text) and classifies the host. */
export function detectCgroups(mountinfo: string = readMountinfo()): CgroupHost {
  const { v1, unified } = parseMountinfo(mountinfo);
  const hasV1 = Object.keys(v1).length > 0;
  if (!hasV1 && !unified) throw new CgroupError('no cgroup filesystem is mounted (none in /proc/self/mountinfo)');
  const mode: CgroupMode = !hasV1 ? 'v2' : unified ? 'hybrid' : 'v1';
  let u: CgroupHost['unified'];
  if (unified) {
    let controllers: string[] = [];
    try {
      controllers = readFileSync(join(unified.mountpoint, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      // A cgroup2 mount we cannot read is still a cgroup2 mount; it offers nothing we can use.
    }
    u = { ...unified, controllers };
  }
  return { mode, v1, unified: u };
}

/** The distinct v1 hierarchies (comounted controllers once). */
export function v1Hierarchies(host: CgroupHost): V1Hierarchy[] {
  return [...new Set(Object.values(host.v1))];
}

/**
 * /proc/<pid>/cgroup as controller -> path: v1 lines give each controller
 * (and "name=systemd"); the cgroup2 line ("0::/x") is under the key "".
 */
export function parseProcCgroup(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[2] === '') out[''] = m[3];
    else for (const c of m[2].split(',')) out[c] = m[3];
  }
  return out;
}
