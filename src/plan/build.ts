import { TsrunError, configError } from '../errors.js';
import { CLONE, PR } from '../linux/constants.js';
import { planDevices } from '../rootfs/devices.js';
import { planMounts, planReadonlyDev } from '../rootfs/mounts.js';
import { planMountTrees } from '../rootfs/mount-trees.js';
import { planMaskedPaths, planReadonlyPaths } from '../rootfs/paths.js';
import { planEnterRoot, planFinishRoot, planPrepareRoot } from '../rootfs/root.js';
import { planInit } from '../process/init-plan.js';
import { checkMountLabel } from '../process/lsm.js';
import type { Spec } from '../spec/types.js';
import type { PlanContext } from './context.js';
import { planNamespaces } from './namespaces.js';
import { warnedFields } from '../spec/coverage.js';
import { planInitialAffinity, planPersonality } from '../process/scheduling.js';
import { planSeccomp } from './seccomp-op.js';
import { Op } from '../native/generated/instruction-set.js';
import { opName } from '../native/plan.js';
import { planMemoryPolicy } from '../process/memory-policy.js';
import { checkNetDevices } from '../linux/net-devices.js';

export interface Plan {
  ops: Op[];
  /** Index of the CLONE op: ops before it run in the executor, after it in the container's init. */
  cloneIndex: number;
  newUserNs: boolean;
  /** The container shares the host's mount namespace: its mounts under the rootfs outlive it and must be removed. */
  hostMounts: boolean;
  /** The executor puts the init in its cgroup (CGROUP_JOIN ops): the runtime must not. */
  joinsCgroup: boolean;
  /** The init sends a seccomp notify fd to listenerPath: release it with the container process state. */
  seccompNotify: boolean;
  warnings: string[];
}

/**
 * spec + context -> the ordered ops the executor runs. Pure: everything it
 * needs from the host comes in through ctx.host.
 */
export function buildPlan(spec: Spec, ctx: PlanContext): Plan {
  const warnings: string[] = warnedFields(spec);
  const linux = spec.linux ?? {};
  // runtime.md: process is only required when start is called, which refuses then.
  const proc = spec.process;
  const ns = planNamespaces(linux.namespaces);
  // Without one, the container shares the host's mount namespace (runtime-tools
  // linux_ns_itype): its mounts are made there and removed at delete.
  const ownMountNs = (linux.namespaces ?? []).some((n) => n.type === 'mount');

  const seccomp = planSeccomp(linux.seccomp, ctx.compileSeccomp, warnings);
  // Moved by the runtime between clone and release (lifecycle/create.ts); checked here, before anything exists.
  const netErrors = checkNetDevices(linux, (iface) => ctx.host.pathKind(`/sys/class/net/${iface}`) !== undefined);
  if (netErrors[0]) throw configError(netErrors[0].pointer, netErrors[0].why);

  const ops: Op[] = [
    // First, while the executor still sees the host's /sys/fs/cgroup (before any setns).
    ...planCgroupJoin(ctx.cgroupProcs),
    ...planOomWatch(ctx),
    Op.mkfifo(`mkfifo ${ctx.fifoPath}`, { path: ctx.fifoPath, mode: 0o622 }),
    Op.openFifo(`open ${ctx.fifoPath}`, { path: ctx.fifoPath }),
    ...planConsole(proc?.terminal, ctx.consoleSocket),
    ...(seccomp?.connect ?? []),
    ...ns.joins,
  ];
  if (ctx.mode === 'run' && !ctx.noSubreaper) ops.push(Op.subreaper('become a subreaper for the container'));
  if (ns.newTimeNs) ops.push(...planTimeNamespace(linux.timeOffsets));
  ops.push(...planInitialAffinity(proc));
  // Bind sources copied (and idmapped) with the runtime's credentials, attached by the init.
  const trees = planMountTrees(spec, ctx, ns.newUserNs, ownMountNs, ops.length);
  ops.push(...trees.ops);
  const cloneIndex = ops.length;
  ops.push(Op.clone(`clone the init (${describeClone(ns.cloneFlags)})`, { flags: ns.cloneFlags, wait: ctx.mode === 'run' ? 1 : 0 }));
  ops.push(Op.waitGo('wait for the runtime (cgroup, id maps)'));
  ops.push(Op.prctl('make the init non-dumpable until exec', { option: PR.SET_DUMPABLE, arg2: 0, arg3: 0, arg4: 0, arg5: 0 }));
  // Early, before any seccomp filter can forbid close_range: only fds 0-2 and
  // the preserved ones may reach the container (the executor's own are O_CLOEXEC).
  ops.push(Op.cloexecFrom(`close every fd from ${3 + ctx.preserveFds} on exec`, { fd: 3 + ctx.preserveFds }));
  if (ns.newUserNs) {
    ops.push(Op.setresgid('become root in the user namespace (gid)', { gid: 0 }));
    ops.push(Op.setresuid('become root in the user namespace (uid)', { uid: 0 }));
  }
  // Unshared after the runtime put us in our cgroup, so that it is the namespace's root.
  if (ns.newCgroupNs) ops.push(Op.unshare('unshare the cgroup namespace', { flags: CLONE.NEWCGROUP }));

  if (trees.fds) ops.push(Op.recvSources(`receive the ${trees.fds} bind source(s) the runtime opened`, { count: trees.fds }));
  ops.push(...planPrepareRoot(spec, ctx, ownMountNs));
  checkMountLabel(linux.mountLabel, ctx.host.lsm);
  // sysfs can be mounted only by a user namespace that owns the network
  // namespace; a new one without its own netns binds the host's /sys read-only (as runc 1.2, crun).
  const sysfsBind = ns.newUserNs && !(linux.namespaces ?? []).some((n) => n.type === 'network');
  if (sysfsBind && (spec.mounts ?? []).some((m) => m.type === 'sysfs')) {
    warnings.push("mounts: sysfs cannot be mounted in a new user namespace without its own network namespace: the host's /sys is bound read-only instead");
  }
  ops.push(...planMounts(spec.mounts ?? [], ctx, ns.newCgroupNs, linux.mountLabel, sysfsBind, ns.newUserNs || ctx.host.inUserNs === true, trees.at));
  // As runc: devices are bound from the host, not made, in any user namespace but the initial one.
  ops.push(...planDevices(linux.devices, ns.newUserNs || ctx.host.inUserNs === true, ctx.host.pathKind('/proc/kcore') !== undefined));
  // As runc: a cwd missing from the image is made (while still root, inside the root).
  if (proc && proc.cwd !== '/') ops.push(Op.mkdirInRoot(`mkdir cwd ${proc.cwd}`, { path: proc.cwd, mode: 0o755 }));
  if (proc?.terminal) ops.push(Op.mkfileInRoot('create /dev/console (the pty is bound over it)', { path: '/dev/console', mode: 0o600 }));
  // createContainer hooks run in the container's namespaces, mounts done, before pivot_root.
  if (spec.hooks?.createContainer?.length) ops.push(Op.sync('wait for the createContainer hooks', { tag: 1 }));
  ops.push(...planEnterRoot(ctx, ownMountNs));
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    ops.push(Op.writeFile(`sysctl ${key}=${value}`, { path: `/proc/sys/${key.replace(/\./g, '/')}`, data: Buffer.from(value) }));
  }
  ops.push(...planReadonlyPaths(linux.readonlyPaths));
  ops.push(...planMaskedPaths(linux.maskedPaths));
  ops.push(...planReadonlyDev(spec.mounts ?? []));
  ops.push(...planFinishRoot(spec, ownMountNs));
  if (spec.hostname !== undefined) ops.push(Op.sethostname(`sethostname ${spec.hostname}`, { name: spec.hostname }));
  if (spec.domainname !== undefined) ops.push(Op.setdomainname(`setdomainname ${spec.domainname}`, { name: spec.domainname }));
  ops.push(...planPersonality(linux.personality));
  ops.push(...planMemoryPolicy(linux.memoryPolicy));
  if (proc) ops.push(...planInit(proc, { host: ctx.host, waitForStart: true, bindConsole: true, setgroupsDenied: ctx.setgroupsDenied }, seccomp?.load ?? null, warnings));
  else ops.push(Op.ready('report set-up done (no process to run)'), Op.waitStart('wait on the exec fifo'));
  return { ops, cloneIndex, newUserNs: ns.newUserNs, hostMounts: !ownMountNs, joinsCgroup: !!ctx.cgroupProcs, seccompNotify: seccomp?.notify ?? false, warnings };
}

/** The init's cgroup, joined by the executor: a Node program would pay a trip through its thread pool per hierarchy. */
export function planCgroupJoin(procsFiles: string[] | null | undefined, who = 'the init'): Op[] {
  return (procsFiles ?? []).map((path) => Op.cgroupJoin(`put ${who} in cgroup ${path.slice(0, path.lastIndexOf('/'))}`, { path }));
}

/**
 * A new time namespace: unshare(CLONE_NEWTIME) makes it the one the next
 * child enters (the executor itself stays outside), and its offsets can be
 * written only until a process is in it, so before the clone.
 */
function planTimeNamespace(offsets: NonNullable<Spec['linux']>['timeOffsets']): Op[] {
  const ops = [Op.unshare('unshare a time namespace for the init', { flags: CLONE.NEWTIME })];
  const lines = (['monotonic', 'boottime'] as const).filter((clock) => offsets?.[clock]).map((clock) => `${clock} ${offsets![clock]!.secs ?? 0} ${offsets![clock]!.nanosecs ?? 0}\n`);
  if (lines.length) ops.push(Op.writeFile(`time offsets: ${lines.join('').trim().replace(/\n/g, ', ')}`, { path: '/proc/self/timens_offsets', data: Buffer.from(lines.join('')) }));
  return ops;
}

/** Connecting happens in the runtime's namespaces, where the socket's path resolves. */
export function planConsole(terminal: boolean | undefined, socket: string | undefined): Op[] {
  if (terminal && !socket) throw configError('/process/terminal', 'a terminal needs --console-socket');
  if (!terminal && socket) throw new TsrunError('--console-socket: /process/terminal is not set, so there is no terminal to send', { code: 'ERR_INVALID_ARGUMENT' });
  return terminal ? [Op.connectConsole(`connect to console socket ${socket}`, { path: socket! })] : [];
}

function planOomWatch(ctx: PlanContext): Op[] {
  const w = ctx.mode === 'run' ? ctx.oomWatch : null;
  if (!w) return [];
  return w.kind === 'v1'
    ? [Op.watchOom(`watch OOM events of ${w.oomControl}`, { kind: 1, file: w.oomControl, eventControl: w.eventControl })]
    : [Op.watchOom(`watch OOM events in ${w.events}${w.later ? ' (a systemd scope: once it exists)' : ''}`, { kind: w.later ? 3 : 2, file: w.events, eventControl: '' })];
}

function describeClone(flags: number): string {
  const names = Object.entries(CLONE)
    .filter(([, bit]) => flags & bit)
    .map(([n]) => n.toLowerCase().replace('new', ''));
  return names.length ? 'new ' + names.join(', ') : 'no new namespaces';
}

/** The plan as text, one op a line, for `create --dry-run`. */
export function describePlan(plan: Plan): string {
  const width = String(plan.ops.length).length;
  return plan.ops
    .map((o, i) => {
      const side = i < plan.cloneIndex ? 'runtime' : i === plan.cloneIndex ? 'clone  ' : 'init   ';
      return `${String(i).padStart(width)}  ${side}  ${opName(o.code).padEnd(15)} ${o.what}`;
    })
    .join('\n');
}
