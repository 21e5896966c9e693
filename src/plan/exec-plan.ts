import { PR } from '../linux/constants.js';
import { warnedFields } from '../spec/coverage.js';
import { planInitialAffinity } from '../process/scheduling.js';
import { planInit } from '../process/init-plan.js';
import type { Linux, Process } from '../spec/types.js';
import { planCgroupJoin, planConsole, type Plan } from './build.js';
import type { HostFacts, PlanContext } from './context.js';
import { planNamespaces } from './namespaces.js';
import { Op } from '../native/generated/instruction-set.js';
import { planSeccomp } from './seccomp-op.js';

/** The name of each namespace type under /proc/PID/ns. */
const NS_FILE: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };

/** setns ops into every namespace the container has, through its init's /proc/PID/ns links. */
export function joinContainerNamespaces(linux: Linux, initPid: number): Op[] {
  const joined = (linux.namespaces ?? []).map((n) => ({ type: n.type, path: `/proc/${initPid}/ns/${NS_FILE[n.type]}` }));
  return planNamespaces(joined).joins;
}

export interface ExecPlanContext {
  /** Host pid of the container's init, whose namespaces the new process joins. */
  initPid: number;
  /** 'run': the executor waits and exits with the process's status; 'create': it returns at once (--detach). */
  mode: 'create' | 'run';
  preserveFds: number;
  consoleSocket?: string;
  host: HostFacts;
  /** The container's user namespace denies setgroups (/proc/INIT/setgroups). */
  setgroupsDenied?: boolean;
  compileSeccomp?: PlanContext['compileSeccomp'];
  /** As PlanContext's: the container's cgroup.procs files, which the executor puts the process in. */
  cgroupProcs?: string[] | null;
}

/**
 * `tsrun exec`: join every namespace the container has (through its init's
 * /proc/PID/ns links: the pid namespace then applies to the clone) and its
 * root, wait for the runtime to put the child in the container's cgroup,
 * then the same process ops as the init, without the exec fifo.
 */
export function buildExecPlan(proc: Process, linux: Linux, ctx: ExecPlanContext): Plan {
  const warnings: string[] = warnedFields({ process: proc }, '/process');
  const seccomp = planSeccomp(linux.seccomp, ctx.compileSeccomp, warnings);
  // The cgroup files first, while the host's /sys/fs/cgroup is what they name (before any setns).
  const ops = [...planCgroupJoin(ctx.cgroupProcs, 'the process'), ...planConsole(proc.terminal, ctx.consoleSocket), ...(seccomp?.connect ?? []), ...joinContainerNamespaces(linux, ctx.initPid)];
  // Joining a mount namespace sets the root to the namespace's, where the
  // init pivoted (or moved) the rootfs. Without one, the init chrooted in the
  // host's namespace, and joining the others leaves the host's root: chroot
  // to the init's. /proc here is still the host's (no mount namespace joined).
  if (!(linux.namespaces ?? []).some((n) => n.type === 'mount')) {
    ops.push(Op.chroot(`chroot to the init's root (no mount namespace)`, { path: `/proc/${ctx.initPid}/root` }));
  }
  if (ctx.mode === 'run') ops.push(Op.subreaper('become a subreaper for the process'));
  ops.push(...planInitialAffinity(proc));
  const cloneIndex = ops.length;
  ops.push(Op.clone('clone the process (in the joined namespaces)', { flags: 0, wait: ctx.mode === 'run' ? 1 : 0 }));
  ops.push(Op.waitGo('wait for the runtime (cgroup)'));
  ops.push(Op.prctl('make the process non-dumpable until exec', { option: PR.SET_DUMPABLE, arg2: 0, arg3: 0, arg4: 0, arg5: 0 }));
  ops.push(Op.cloexecFrom(`close every fd from ${3 + ctx.preserveFds} on exec`, { fd: 3 + ctx.preserveFds }));
  ops.push(...planInit(proc, { host: ctx.host, waitForStart: false, bindConsole: false, setgroupsDenied: ctx.setgroupsDenied }, seccomp?.load ?? null, warnings));
  return { ops, cloneIndex, newUserNs: false, hostMounts: false, joinsCgroup: !!ctx.cgroupProcs, seccompNotify: seccomp?.notify ?? false, warnings };
}
