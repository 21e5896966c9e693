import { readFileSync, writeFileSync } from 'node:fs';
import { containerCgroup } from './rootless-cgroup.js';
import { applyIdMaps, planIdMaps } from './id-maps.js';
import { nowRfc3339Nano } from '../state/time.js';
import { join } from 'node:path';
import { moveNetDevicesIn } from '../linux/net-devices.js';
import { TsrunError } from '../errors.js';
import { PhaseTimer } from '../log.js';
import { detectCgroups, type CgroupHost } from '../cgroups/index.js';
import { readMountinfo } from '../linux/mountinfo.js';
import { dirsToCreate } from '../cgroups/planned.js';
import { withHome } from '../process/home.js';
import { withListenFds } from '../process/listen-fds.js';
import { effectiveResources } from '../cgroups/device-policy.js';
import type { CgroupManager, CgroupRecord } from '../cgroups/types.js';
import { readProcStat } from '../linux/proc.js';
import { nextSlice } from '../loop-slice.js';
import { ExecutorSession } from '../native/executor.js';
import { buildPlan, describePlan, type Plan } from '../plan/build.js';
import { cgroupMountSources } from '../plan/cgroup-sources.js';
import { hostFacts } from '../plan/host.js';
import { encodePlan } from '../native/plan.js';
import { Msg } from '../native/generated/instruction-set.js';
import type { PlanContext } from '../plan/context.js';
import { loadBundle, loadSpec } from '../spec/load.js';
import { oomWatch } from '../cgroups/oom.js';
import { unmountUnder } from '../rootfs/host-mounts.js';
import { runHooks } from '../hooks/run.js';
import { hookState } from '../hooks/state.js';
import { inContainerNamespaces } from '../hooks/in-container.js';
import { runPoststop } from './poststop.js';
import type { Spec } from '../spec/types.js';
import { lockDir } from '../state/lock.js';
import { checkId, type ContainerRecord } from '../state/store.js';
import type { RuntimeContext } from './context.js';
import { containerProcessState, explainFailure, loadSeccompCompiler, sendPidfd, writePidFile } from './shared.js';
import { killAndWait } from './wait.js';
import { explainSetupDeath } from './setup-death.js';
import { checkCgroupJoinable } from './cgroup-join.js';
import { planData, type PlanData } from '../library/plan-data.js';
import { prepareStdio, type StdioEntry } from '../library/stdio.js';
import { ConsoleReceiver, type TerminalStream } from '../library/terminal.js';
import type { Readable, Writable } from 'node:stream';

export interface CreateOptions {
  /** Bundle directory; defaults to the current directory. */
  bundle?: string;
  /** File to write the init's host pid to. */
  pidFile?: string;
  /** Use MS_MOVE + chroot instead of pivot_root (for a rootfs on a ramdisk). */
  noPivot?: boolean;
  /** Accepted for runc compatibility: tsrun does not create session keyrings. */
  noNewKeyring?: boolean;
  /** Pass fds 3 .. 3+N-1 to the container. */
  preserveFds?: number;
  /** Unix socket that receives the pty master (process.terminal). */
  consoleSocket?: string;
  /** Print the plan instead of doing it. */
  dryRun?: boolean;
  /** run: the executor that watches the init is not a subreaper (runc's --no-subreaper). */
  noSubreaper?: boolean;
  /** Unix socket that receives a pidfd of the init (runc's --pidfd-socket). */
  pidfdSocket?: string;
  /** The config itself instead of BUNDLE/config.json (the library); checked the same way. */
  spec?: Spec;
  /** With `spec`: the root filesystem, in place of /root/path. */
  rootfs?: string;
}

/** What only the library passes to create: the executor's (and so the container's) fds 0-2. */
export interface CreateInternals {
  stdio?: ('inherit' | 'ignore' | number)[];
}

/** The config from opts.spec, or from the bundle's config.json. */
function loadConfig(opts: CreateOptions) {
  return opts.spec !== undefined ? loadSpec(opts.spec, opts.bundle ?? '.', opts.rootfs) : loadBundle(opts.bundle ?? '.');
}

export interface Created {
  record: ContainerRecord;
  /** The executor: in 'run' mode it exits with the container's status. */
  session: ExecutorSession;
}

/** `tsrun create`: sets the container up and leaves its init waiting for `start`. */
export async function create(ctx: RuntimeContext, id: string, opts: CreateOptions = {}): Promise<string | void> {
  if (opts.dryRun) return dryRun(ctx, id, opts);
  const { session } = await createContainer(ctx, id, opts, 'create');
  session.close();
}

/** Prints what create would do; creates nothing. */
async function dryRun(ctx: RuntimeContext, id: string, opts: CreateOptions): Promise<string> {
  return describePlan(await planOnly(ctx, id, opts, 'create'));
}

/** The library's plan(): what Runtime.create would run, as data. */
export async function planAsData(ctx: RuntimeContext, id: string, opts: CreateOptions): Promise<PlanData> {
  return planData(await planOnly(ctx, id, opts, 'run'));
}

/** The plan create would run; creates nothing. */
export async function planOnly(ctx: RuntimeContext, id: string, opts: CreateOptions, mode: 'create' | 'run'): Promise<Plan> {
  checkId(id);
  const { spec, bundle, rootfs } = loadConfig(opts);
  const view = hostView();
  const { cgroup, own } = containerCgroup(ctx, spec, id, view.cgroups);
  const setgroupsDenied = planIdMaps(spec, hasNewUserNs(spec)).denySetgroups;
  return makePlan(spec, ctx, id, bundle, rootfs, opts, mode, view, cgroup, await loadSeccompCompiler(spec), { own, setgroupsDenied });
}

function makePlan(
  spec: Spec,
  ctx: RuntimeContext,
  id: string,
  bundle: string,
  rootfs: string,
  opts: CreateOptions,
  mode: 'create' | 'run',
  view: HostView,
  cg: CgroupManager | null,
  compileSeccomp?: PlanContext['compileSeccomp'],
  rootless: { own: CgroupRecord | null; setgroupsDenied: boolean } = { own: null, setgroupsDenied: false },
): Plan {
  // A rootless container without a cgroup of its own shows the caller's (which it is in).
  const shown = cg?.record ?? rootless.own;
  const host = hostFacts(shown ? { mode: shown.mode, sources: cgroupMountSources(shown, view.cgroups) } : null, view.mountinfo);
  if (spec.process) spec = { ...spec, process: withHome(spec.process, rootfs) };
  try {
    return buildPlan(spec, {
      id,
      bundle,
      rootfs,
      fifoPath: ctx.store.fifoPath(id),
      mode,
      noPivot: opts.noPivot ?? false,
      noSubreaper: opts.noSubreaper ?? false,
      preserveFds: opts.preserveFds ?? 0,
      consoleSocket: opts.consoleSocket,
      cgroupProcs: cg?.procsFiles(),
      oomWatch: cg ? oomWatch(cg.record) : null,
      host,
      compileSeccomp,
      setgroupsDenied: rootless.setgroupsDenied,
    });
  } catch (e) {
    // The plan builder names a wrong field by its pointer (configError): say which document it is in.
    if (e instanceof TsrunError && e.code === 'ERR_CONFIG_INVALID') throw TsrunError.with(e, { cause: e }, `${opts.spec !== undefined ? 'spec' : 'config.json'}: ${e.message}`);
    throw e;
  }
}

/**
 * The steps of create, in an order that leaves something `delete --force`
 * can clean up if we are killed at any point: the state directory first,
 * state.json (with the cgroup to remove) before the cgroup exists, and the
 * init's pid recorded before the init is released to do anything.
 */
export async function createContainer(ctx: RuntimeContext, id: string, givenOpts: CreateOptions, mode: 'create' | 'run', internals: CreateInternals = {}): Promise<Created> {
  checkId(id);
  const timer = new PhaseTimer(ctx.log, 'create');
  const loaded = loadConfig(givenOpts);
  const { bundle, rootfs } = loaded;
  // The recorded config stays as written; only the plan sees the socket-activation env.
  const spec = loaded.spec;
  const activated = withListenFds(spec, givenOpts.preserveFds ?? 0);
  const opts = { ...givenOpts, preserveFds: activated.preserveFds };
  timer.mark('load and validate');
  await nextSlice();

  const store = ctx.store;
  if (store.exists(id)) throw new TsrunError(`container with given ID already exists: ${id}`, { code: 'ERR_EXISTS' });
  const dir = store.makeDir(id);
  const unlock = await lockDir(dir);
  const record: ContainerRecord = {
    ociVersion: spec.ociVersion,
    id,
    pid: 0,
    bundle,
    rootfs,
    created: nowRfc3339Nano(),
    owner: userName(process.getuid?.() ?? 0),
    annotations: spec.annotations,
    cgroup: null,
    config: spec,
  };
  let cg: CgroupManager | null = null;
  let plan: Plan | undefined;
  let session: ExecutorSession | undefined;
  try {
    // Rootless: no cgroup of its own where the caller cannot make one (rootless-cgroup.ts).
    const view = hostView();
    const { cgroup, own, warnings: cgroupWarnings } = containerCgroup(ctx, spec, id, view.cgroups, (w) => ctx.log.warn(w));
    // Checked before anything runs: a missing newuidmap or subuid range.
    const idMaps = planIdMaps(spec, hasNewUserNs(spec));
    cg = cgroup;
    const planned = cgroup ? dirsToCreate(cgroup.record) : [];
    if (cgroup) record.cgroup = { ...cgroup.record, created: planned };
    await store.write(record);
    const compileSeccomp = await loadSeccompCompiler(spec);
    await nextSlice();
    plan = makePlan(activated.spec, ctx, id, bundle, rootfs, opts, mode, view, cgroup, compileSeccomp, { own, setgroupsDenied: idMaps.denySetgroups });
    for (const w of [...plan.warnings, ...cgroupWarnings]) ctx.log.warn(w);
    timer.mark('plan');
    await nextSlice();
    if (cgroup) {
      // A cgroup this create makes has neither processes nor a freezer state yet.
      if (!Object.values(cgroup.record.dirs).every((d) => planned.includes(d))) checkCgroupJoinable(cgroup, ctx.log);
      await cgroup.create();
      await nextSlice();
      record.cgroup = cgroup.record;
      // Now with the directories create() made, for delete --force, unless they are the ones planned.
      if (!sameDirs(cgroup.record.created ?? [], planned)) await store.write(record);
      for (const w of cgroup.setResources(effectiveResources(spec.linux?.resources))) ctx.log.warn(w);
    }
    timer.mark('cgroup');
    await nextSlice();

    const preserved = Array.from({ length: opts.preserveFds ?? 0 }, (_, i) => 3 + i);
    // A runc-style create ends when the init is set up: a caller that waits anyway (the CLI) need not start a socket or a thread pool for it.
    session = new ExecutorSession(encodePlan(plan.ops), { extraFds: preserved, stdio: internals.stdio, blocking: ctx.blocking === true && mode === 'create' });
    const pid = Number(await session.expect(Msg.PID));
    record.pid = pid;
    record.startTime = readProcStat(pid)?.startTime;
    await store.write(record);
    timer.mark('clone');

    if (!plan.joinsCgroup) await cgroup?.addProcessAsync(pid);
    timer.mark('place in cgroup');
    if (spec.process?.oomScoreAdj !== undefined) writeOomScoreAdj(pid, spec.process.oomScoreAdj);
    if (plan.newUserNs) applyIdMaps(pid, spec, idMaps);
    if (spec.linux?.netDevices) moveNetDevicesIn(spec.linux.netDevices, pid);
    const hooks = spec.hooks ?? {};
    const state = hookState(record, 'created');
    await runHooks('prestart', hooks.prestart, state);
    await runHooks('createRuntime', hooks.createRuntime, state);
    timer.mark('id maps, oom_score_adj, prestart and createRuntime hooks');
    session.release(plan.seccompNotify ? containerProcessState(record, pid) : undefined);
    if (hooks.createContainer?.length) {
      await session.expect(Msg.HOOKS);
      try {
        await runHooks('createContainer', hooks.createContainer, state, inContainerNamespaces(spec.linux ?? {}, pid, { cwd: rootfs }));
      } catch (e) {
        session.refuse();
        throw e;
      }
      session.release();
    }
    await session.expect(Msg.READY);
    timer.mark('init set-up');
    if (opts.pidFile) writePidFile(opts.pidFile, pid);
    if (opts.pidfdSocket) sendPidfd(opts.pidfdSocket, pid);
    return { record, session };
  } catch (given) {
    const e = explainSetupDeath(given, cg, spec);
    if (record.pid) await killAndWait(record.pid, record.startTime);
    session?.close();
    try {
      await cg?.destroy();
      if (plan?.hostMounts) unmountUnder(rootfs);
    } catch (err) {
      ctx.log.warn(`cleaning up after a failed create: ${(err as Error).message}`);
    }
    await store.remove(id);
    // A failed create continues the lifecycle at "destroy": poststop hooks run.
    await runPoststop(ctx, record);
    throw explainFailure(e, plan);
  } finally {
    unlock();
  }
}

const sameDirs = (a: string[], b: string[]) => a.length === b.length && a.every((d) => b.includes(d));

/** The host's mounts as one create sees them: mountinfo read once, for the cgroup layout and the plan. */
interface HostView {
  mountinfo: string;
  cgroups: CgroupHost;
}

function hostView(): HostView {
  const mountinfo = readMountinfo();
  // The cgroup layout follows from the mounts: a long-lived program's creates mostly see the same ones.
  if (mountinfo !== lastView?.mountinfo) lastView = { mountinfo, cgroups: detectCgroups(mountinfo) };
  return lastView;
}

let lastView: HostView | undefined;

function writeOomScoreAdj(pid: number, value: number): void {
  try {
    writeFileSync(`/proc/${pid}/oom_score_adj`, String(value));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' ? ': lowering it needs CAP_SYS_RESOURCE, which this runtime lacks' : '';
    throw new TsrunError(`process.oomScoreAdj ${value}: write /proc/${pid}/oom_score_adj: ${code}${why}`);
  }
}

/** A user namespace created (not joined by path) for the container. */
function hasNewUserNs(spec: Spec): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === 'user' && !n.path);
}

/** The caller's user name from /etc/passwd, as runc reports the container's owner; looked up once per process. */
function userName(uid: number): string {
  if (owner?.uid !== uid) owner = { uid, name: lookUpUserName(uid) };
  return owner.name;
}

let owner: { uid: number; name: string } | undefined;

function lookUpUserName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (Number(f[2]) === uid && f[2] !== '') return f[0]!;
    }
  } catch {
    /* no passwd */
  }
  return `#${uid}`;
}

export interface AttachedOptions extends CreateOptions {
  /** The process's fds 0-2, as child_process.spawn takes them. Default: inherit. */
  stdio?: StdioEntry[];
}

/** A container whose init is watched by the executor, which stays as its parent. */
export interface Attached extends Created {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** The pty master, when process.terminal is set and no consoleSocket was given. */
  terminal: TerminalStream | null;
}

/**
 * The library's create: the executor stays as the init's parent and
 * subreaper (a monitor) and reports its exit status and OOM events; stdio
 * is what the caller asked for, and a terminal comes back as a stream.
 */
export async function createAttached(ctx: RuntimeContext, id: string, opts: AttachedOptions): Promise<Attached> {
  const stdio = prepareStdio(opts.stdio);
  let console: ConsoleReceiver | undefined;
  try {
    const proc = opts.spec !== undefined ? (opts.spec as Spec).process : peekProcess(opts.bundle ?? '.');
    if (proc?.terminal && !opts.consoleSocket) console = new ConsoleReceiver();
    const created = await createContainer(ctx, id, { ...opts, consoleSocket: console?.socketPath ?? opts.consoleSocket }, 'run', { stdio: stdio.fds });
    stdio.spawned();
    const terminal = console?.receive() ?? null;
    return { ...created, stdin: stdio.stdin, stdout: stdio.stdout, stderr: stdio.stderr, terminal };
  } catch (e) {
    stdio.abort();
    throw e;
  } finally {
    console?.close();
  }
}

/**
 * Only whether a terminal is wanted: create reads and validates the config
 * right after, and reports anything wrong with it.
 */
export function peekProcess(bundle: string): Spec['process'] {
  try {
    return (JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec).process;
  } catch {
    return undefined;
  }
}
