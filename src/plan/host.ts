import { readFileSync, statSync } from 'node:fs';
import type { HostFacts, CgroupMountSource } from './context.js';
import type { CgroupMode } from '../cgroups/types.js';
import { hostLsm } from '../linux/lsm.js';
import { runningInUserNs } from '../linux/userns.js';
import { readMountinfo, unescapeMountPath } from '../linux/mountinfo.js';

/** The kernel's highest capability: fixed until reboot, read once per process. */
let capLastCap: number | undefined;

/**
 * Reads the host facts a plan needs from /proc. What the program can change
 * (its bounding set, its limits, the mounts) is read at every create.
 */
export function hostFacts(cgroup: { mode: CgroupMode; sources: CgroupMountSource[] } | null, mountinfo?: string): HostFacts {
  const mounts = () => (mountinfo ??= readMountinfo());
  const status = readFileSync('/proc/self/status', 'utf8');
  const capBnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const nofile = /^Max open files\s+\S+\s+(\S+)/m.exec(limits)?.[1] ?? '1048576';
  const stack = /^Max stack size\s+(\S+)/m.exec(limits)?.[1];
  let mountPoints: string[] | undefined;
  return {
    capLastCap: (capLastCap ??= Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'))),
    boundingSet: BigInt('0x' + capBnd),
    nofileHard: nofile === 'unlimited' ? 2 ** 32 - 1 : Number(nofile),
    stackSoft: stack === undefined ? undefined : stack === 'unlimited' ? Infinity : Number(stack),
    pathKind(path) {
      try {
        return statSync(path).isDirectory() ? 'dir' : 'file';
      } catch {
        return undefined;
      }
    },
    mountPointOf(path) {
      mountPoints ??= mounts()
        .split('\n')
        .filter(Boolean)
        .map((l) => unescapeMountPath(l.split(' ')[4]!));
      let best = '/';
      for (const m of mountPoints) {
        if ((path === m || path.startsWith(m.endsWith('/') ? m : m + '/')) && m.length > best.length) best = m;
      }
      return best;
    },
    procSysMounts() {
      // mountinfo: id parent major:minor root mountpoint options... - fstype source super-options
      return mounts()
        .split('\n')
        .filter(Boolean)
        .map((l) => ({ f: l.split(' '), fstype: l.slice(l.indexOf(' - ') + 3).split(' ')[0] }))
        .filter(({ f, fstype }) => f[3] === '/' && (fstype === 'proc' || fstype === 'sysfs'))
        .map(({ f }) => unescapeMountPath(f[4]!));
    },
    cgroup,
    inUserNs: runningInUserNs(),
    canEnterMountNs: (process.geteuid?.() ?? -1) === 0 && !runningInUserNs(),
    lsm: hostLsm(),
  };
}
