import type { OomWatch } from '../cgroups/oom.js';
import type { ProcessHostFacts } from '../process/init-plan.js';
import type { RootfsHostFacts } from '../rootfs/context.js';
import type { Seccomp } from '../spec/types.js';

export type { CgroupMountSource } from '../rootfs/context.js';

/**
 * Facts about the host a plan depends on. Gathered once by hostFacts() (the
 * only impure step); tests pass their own, so plans build without root.
 * Each part that plans ops (rootfs, process) says what it needs.
 */
export interface HostFacts extends RootfsHostFacts, ProcessHostFacts {
  /** The runtime itself runs in a user namespace (rootless podman, rootlesskit): no mknod, even without a new one. */
  inUserNs?: boolean;
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
  /**
   * The cgroup.procs files the executor writes the init's pid to before it
   * reports it (CGROUP_JOIN ops); absent or null: the runtime puts it there.
   */
  cgroupProcs?: string[] | null;
  /** In 'run' mode: the cgroup files whose OOM events the executor's monitor reports. */
  oomWatch?: OomWatch | null;
  /** How many fds beyond stdio are passed into the container (--preserve-fds). */
  preserveFds: number;
  host: HostFacts;
  /** Compiles linux.seccomp; injected so plans need not load the compiler when there is no seccomp section. */
  /** The runtime denies setgroups in the container's user namespace (an unprivileged caller mapping its own gid). */
  setgroupsDenied?: boolean;
  compileSeccomp?: (seccomp: Seccomp) => { filter: Uint8Array; flags: number; warnings: string[]; notify: boolean };
}
