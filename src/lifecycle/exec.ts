import { TsrunError } from '../errors.js';
import { PhaseTimer, type Logger } from '../log.js';
import { reopenCgroupHandle } from '../cgroups/handle.js';
import { ExecutorSession } from '../native/executor.js';
import { buildExecPlan } from '../plan/exec-plan.js';
import { encodePlan } from '../native/plan.js';
import { Msg } from '../native/generated/instruction-set.js';
import { hostFacts } from '../plan/host.js';
import { setgroupsDenied } from '../linux/userns.js';
import type { Process } from '../spec/types.js';
import { containerStatus } from '../state/status.js';
import { validateProcess } from '../spec/validate.js';
import type { RuntimeContext } from './context.js';
import { containerProcessState, explainFailure, loadSeccompCompiler, sendPidfd, writePidFile } from './shared.js';
import { joinCgroupDirs, subCgroupDirs } from '../cgroups/sub.js';
import { attachableTerminal, inForeground } from './foreground.js';
import { withHome } from '../process/home.js';
import type { TerminalAttachment } from '../process/attach-terminal.js';
import type { Plan } from '../plan/build.js';
import type { ContainerRecord } from '../state/store.js';
import { prepareStdio, type StdioEntry } from '../library/stdio.js';
import { ConsoleReceiver, type TerminalStream } from '../library/terminal.js';
import type { Readable, Writable } from 'node:stream';

export interface ExecOptions {
  /** The process to run: the whole runtime-spec process object. */
  process: Process;
  /** Return once the process has started. */
  detach?: boolean;
  pidFile?: string;
  preserveFds?: number;
  /** Unix socket that receives the pty master (process.terminal). */
  consoleSocket?: string;
  /** Allow exec into a paused container (the process starts frozen). */
  ignorePaused?: boolean;
  /** runc's exec --cgroup: existing sub-cgroups ("<sub>" or "<controller>:<sub>") to run in. */
  cgroup?: string[];
  /** Unix socket that receives a pidfd of the process (runc's --pidfd-socket). */
  pidfdSocket?: string;
}

/**
 * Puts the exec'd process in the sub-cgroups --cgroup names, or in the
 * container's cgroup unless the executor did (plan.joinsCgroup).
 */
async function joinCgroup(rec: ContainerRecord, opts: ExecOptions, plan: Plan, pid: number): Promise<void> {
  if (!rec.cgroup || plan.joinsCgroup) return;
  if (opts.cgroup?.length) joinCgroupDirs(subCgroupDirs(rec.cgroup, opts.cgroup), pid);
  else await reopenCgroupHandle(rec.cgroup).addProcessAsync(pid);
}

/**
 * `tsrun exec`: runs another process in a running container, in all its
 * namespaces and its cgroup, with the process's own user, capabilities,
 * rlimits, no_new_privs and the container's seccomp filter.
 */
export async function exec(ctx: RuntimeContext, id: string, opts: ExecOptions): Promise<number> {
  const mode = opts.detach ? 'create' : 'run';
  const terminal = opts.detach ? undefined : await attachableTerminal(opts.process, opts.consoleSocket);
  let prepared;
  try {
    prepared = await prepareExec(ctx, id, opts, mode, terminal?.socketPath ?? opts.consoleSocket);
  } catch (e) {
    terminal?.close();
    throw e;
  }
  const { plan, rec } = prepared;
  const preserved = Array.from({ length: opts.preserveFds ?? 0 }, (_, i) => 3 + i);
  const session = new ExecutorSession(encodePlan(plan.ops), { extraFds: preserved });
  return finishExec(session, plan, rec, opts, terminal, ctx.log);
}

/** Checks the container and the process, and builds the plan. */
async function prepareExec(ctx: RuntimeContext, id: string, opts: ExecOptions, mode: 'create' | 'run', consoleSocket: string | undefined): Promise<{ plan: Plan; rec: ContainerRecord }> {
  const timer = new PhaseTimer(ctx.log, `exec ${id}`);
  const rec = ctx.store.load(id);
  const status = containerStatus(rec, ctx.store.dir(id));
  ctx.log.debug(`exec ${id}: container ${status}, init pid ${rec.pid}, args ${JSON.stringify(opts.process.args ?? [])}`);
  if (status === 'stopped' || status === 'creating') throw new TsrunError('cannot exec in a stopped container', { code: 'ERR_BAD_STATE' });
  if (status === 'paused' && !opts.ignorePaused) throw new TsrunError('cannot exec in a paused container (use --ignore-paused to override)', { code: 'ERR_BAD_STATE' });
  validateProcess(opts.process);
  if (opts.cgroup?.length) {
    if (!rec.cgroup) throw new TsrunError('--cgroup: the container has no cgroup', { code: 'ERR_BAD_STATE' });
    subCgroupDirs(rec.cgroup, opts.cgroup); // checked before anything starts
  }
  const spec = rec.config;
  let plan;
  try {
    plan = buildExecPlan(withHome(opts.process, rec.rootfs), spec.linux ?? {}, {
      initPid: rec.pid,
      mode,
      preserveFds: opts.preserveFds ?? 0,
      consoleSocket,
      host: hostFacts(null),
      setgroupsDenied: setgroupsDenied(rec.pid),
      compileSeccomp: await loadSeccompCompiler(spec),
      // --cgroup's sub-cgroups are joined by the runtime (joinCgroup).
      cgroupProcs: rec.cgroup && !opts.cgroup?.length ? reopenCgroupHandle(rec.cgroup).procsFiles() : null,
    });
  } catch (e) {
    if (e instanceof TsrunError && e.code === 'ERR_CONFIG_INVALID') throw TsrunError.with(e, { cause: e }, `exec: ${e.message}`);
    throw e;
  }
  timer.mark('plan');
  for (const w of plan.warnings) ctx.log.warn(w);
  return { plan, rec };
}

export interface ExecAttachedOptions extends Omit<ExecOptions, 'detach'> {
  stdio?: StdioEntry[];
}

/** An exec'd process watched by the executor, which stays as its parent (the library's exec). */
export interface ExecAttached {
  pid: number;
  session: ExecutorSession;
  record: ContainerRecord;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  terminal: TerminalStream | null;
}

export async function execAttached(ctx: RuntimeContext, id: string, opts: ExecAttachedOptions): Promise<ExecAttached> {
  const stdio = prepareStdio(opts.stdio);
  const console = opts.process.terminal && !opts.consoleSocket ? new ConsoleReceiver() : undefined;
  let pid = 0;
  let session: ExecutorSession | undefined;
  let plan: Plan | undefined;
  try {
    const prepared = await prepareExec(ctx, id, opts, 'run', console?.socketPath ?? opts.consoleSocket);
    plan = prepared.plan;
    const rec = prepared.rec;
    const preserved = Array.from({ length: opts.preserveFds ?? 0 }, (_, i) => 3 + i);
    session = new ExecutorSession(encodePlan(plan.ops), { extraFds: preserved, stdio: stdio.fds });
    pid = Number(await session.expect(Msg.PID));
    await joinCgroup(rec, opts, plan, pid);
    session.release(plan.seccompNotify ? containerProcessState(rec, pid) : undefined);
    await session.expect(Msg.READY);
    stdio.spawned();
    if (opts.pidFile) writePidFile(opts.pidFile, pid);
    if (opts.pidfdSocket) sendPidfd(opts.pidfdSocket, pid);
    const terminal = console?.receive() ?? null;
    return { pid, session, record: rec, stdin: stdio.stdin, stdout: stdio.stdout, stderr: stdio.stderr, terminal };
  } catch (e) {
    if (pid) killQuietly(pid);
    session?.close();
    stdio.abort();
    throw explainFailure(e, plan);
  } finally {
    console?.close();
  }
}

async function finishExec(session: ExecutorSession, plan: Plan, rec: ContainerRecord, opts: ExecOptions, terminal: TerminalAttachment | undefined, log: Logger): Promise<number> {
  let pid = 0;
  try {
    try {
      pid = Number(await session.expect(Msg.PID));
      await joinCgroup(rec, opts, plan, pid);
      session.release(plan.seccompNotify ? containerProcessState(rec, pid) : undefined);
      await session.expect(Msg.READY);
      log.debug(`exec ${rec.id}: process ${pid} started`);
      if (opts.pidFile) writePidFile(opts.pidFile, pid);
      if (opts.pidfdSocket) sendPidfd(opts.pidfdSocket, pid);
    } catch (e) {
      if (pid) killQuietly(pid);
      session.close();
      throw explainFailure(e, plan);
    }
    if (opts.detach) {
      session.close();
      return 0;
    }
    terminal?.attach();
    const status = await inForeground(session, pid);
    log.debug(`exec ${rec.id}: process ${pid} exited with status ${status}`);
    return status;
  } finally {
    terminal?.close();
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
