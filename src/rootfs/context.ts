import type { CgroupMode } from '../cgroups/types.js';

/** One v1 hierarchy (or the v2 root) as the container's /sys/fs/cgroup mount needs it. */
export interface CgroupMountSource {
  /** Directory name under /sys/fs/cgroup in the container: "memory", "cpu,cpuacct", "systemd". */
  name: string;
  /** mount(2) data for a fresh cgroup v1 mount: "memory", "none,name=systemd". */
  data: string;
  /** The container's cgroup directory on the host, for bind mounts without a cgroup namespace. */
  hostDir: string;
}

/** What the root filesystem ops need to know about the host (part of the plan's HostFacts). */
export interface RootfsHostFacts {
  /** Kind of a host path: 'dir', 'file' (anything else), or undefined when missing. */
  pathKind(path: string): 'dir' | 'file' | undefined;
  /** The mount point that contains path (from /proc/self/mountinfo). */
  mountPointOf(path: string): string;
  /** Mount points of whole (root "/") proc and sysfs mounts, in mountinfo order: --no-pivot hides them. */
  procSysMounts?(): string[];
  cgroup: { mode: CgroupMode; sources: CgroupMountSource[] } | null;
  /**
   * The runtime is root in the initial user namespace, so its executor may
   * setns into the container's mount namespace (that needs CAP_SYS_ADMIN and
   * CAP_SYS_CHROOT in its own namespace): false for a rootless caller.
   */
  canEnterMountNs?: boolean;
}

/** What the root filesystem ops need beyond the config (the plan's PlanContext has all of it). */
export interface RootfsPlanContext {
  bundle: string;
  /** Absolute root filesystem path. */
  rootfs: string;
  noPivot: boolean;
  host: RootfsHostFacts;
}
