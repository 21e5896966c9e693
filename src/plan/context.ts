import type { CgroupMode } from '../cgroups/types.js';
import type { OomWatch } from '../cgroups/oom.js';
import type { Seccomp } from '../spec/types.js';
import type { LsmFacts } from '../linux/lsm.js';

/** One v1 hierarchy (or the v2 root) as the container's /sys/fs/cgroup mount needs it. */
export interface CgroupMountSource {
  /** Directory name under /sys/fs/cgroup in the container: "memory", "cpu,cpuacct", "systemd". */
  name: string;
  /** mount(2) data for a fresh cgroup v1 mount: "memory", "none,name=systemd". */
  data: string;
  /** The container's cgroup directory on the host, for bind mounts without a cgroup namespace. */
  hostDir: string;
}

/**
 * Facts about the host a plan depends on. Gathered once by hostFacts() (the
 * only impure step); tests pass their own, so plans build without root.
 */
export interface HostFacts {
  capLastCap: number;
  /** The runtime's own capability bounding set: the most a container can get. */
  boundingSet: bigint;
  nofileHard: number;
  /** The runtime's RLIMIT_STACK soft limit in bytes (Infinity when unlimited): exec's room for args and env. */
  stackSoft?: number;
  /** Kind of a host path: 'dir', 'file' (anything else), or undefined when missing. */
  pathKind(path: string): 'dir' | 'file' | undefined;
  /** The mount point that contains path (from /proc/self/mountinfo). */
  mountPointOf(path: string): string;
  /** Mount points of whole (root "/") proc and sysfs mounts, in mountinfo order: --no-pivot hides them. */
  procSysMounts?(): string[];
  cgroup: { mode: CgroupMode; sources: CgroupMountSource[] } | null;
  /** AppArmor and SELinux: a profile or label the host cannot apply is refused, never dropped. */
  lsm: LsmFacts;
}

export interface PlanContext {
  id: string;
  bundle: string;
  /** Absolute root filesystem path. */
  rootfs: string;
  /** The exec fifo that `start` writes to. */
  fifoPath: string;
  /** 'create': the executor exits once the init is cloned; 'run': it waits for the init and exits with its status. */
  mode: 'create' | 'run';
  noPivot: boolean;
  /** 'run' without a subreaper (--no-subreaper): orphans go to the caller's subreaper or init. */
  noSubreaper?: boolean;
  /** Unix socket to send the pty master to, when process.terminal is set (--console-socket). */
  consoleSocket?: string;
  /** In 'run' mode: the cgroup files whose OOM events the executor's monitor reports. */
  oomWatch?: OomWatch | null;
  /** How many fds beyond stdio are passed into the container (--preserve-fds). */
  preserveFds: number;
  host: HostFacts;
  /** Compiles linux.seccomp; injected so plans need not load the compiler when there is no seccomp section. */
  compileSeccomp?: (seccomp: Seccomp) => { filter: Uint8Array; flags: number; warnings: string[]; notify: boolean };
}
