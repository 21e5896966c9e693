import { renameSync, writeFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TsrunError, errnoOf } from '../errors.js';
import { cut, quote } from '../text.js';
import { ExecutorError } from '../native/executor.js';
import { errnoName } from '../native/errno.js';
import type { Plan } from '../plan/build.js';
import type { PlanContext } from '../plan/context.js';
import { OpCode } from '../native/generated/instruction-set.js';
import { opName } from '../native/plan.js';
import type { ContainerRecord } from '../state/store.js';
import { hookState } from '../hooks/state.js';
import { whyBusy } from '../cgroups/errors.js';
import type { Spec } from '../spec/types.js';
import { closeFd, pidfdOpen } from '../linux/libc.js';
import { sendFdTo } from '../linux/unix-socket.js';

// What create and exec share: small on purpose, as exec's bundle includes it.

/** The seccomp compiler, loaded only for a config that has a seccomp section. */
export async function loadSeccompCompiler(spec: Spec): Promise<PlanContext['compileSeccomp']> {
  if (!spec.linux?.seccomp) return undefined;
  const { compileSeccomp } = await import('../seccomp/compile.js');
  return (seccomp) => {
    const c = compileSeccomp(seccomp);
    // Profiles name syscalls newer than our headers; runc logs those at debug level.
    return { ...c, warnings: c.warnings.filter((w) => !/unknown syscalls skipped/.test(w)) };
  };
}

/**
 * --pidfd-socket (runc >= 1.2; containerd 2 uses it): a pidfd of the new
 * process, sent over the unix socket with SCM_RIGHTS.
 */
export function sendPidfd(socket: string, pid: number): void {
  const fd = pidfdOpen(pid);
  try {
    sendFdTo(socket, fd, 'pidfd');
  } catch (e) {
    throw new TsrunError(`--pidfd-socket ${socket}: ${(e as Error).message}`, { cause: e, path: socket });
  } finally {
    closeFd(fd);
  }
}

/** Writes the pid file atomically, as engines read it as soon as it appears. */
export function writePidFile(path: string, pid: number): void {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${basename(abs)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, String(pid));
    renameSync(tmp, abs);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new TsrunError(`write pid file ${abs}: ${(e as NodeJS.ErrnoException).code ?? e}`, { syscall: 'write', path: abs, errno: errnoOf(e) });
  }
}

/** Turns an executor failure into a sentence naming the op that failed. */
export function explainFailure(e: unknown, plan: Plan | undefined): unknown {
  if (!(e instanceof ExecutorError) || !plan) return e;
  const o = plan.ops[e.opIndex];
  const errno = errnoName(e.errno);
  if (!o) return new TsrunError(`container init failed: ${errno}`, { errno, op: e.opIndex, cause: e });
  const facts = { code: 'ERR_SYSCALL', syscall: opName(o.code).toLowerCase(), errno, op: e.opIndex, cause: e } as const;
  if (o.code === OpCode.CGROUP_JOIN) {
    const path = String(o.args[0]);
    const why = errno === 'EBUSY' ? `: ${whyBusy(dirname(path))}` : '';
    return new TsrunError(`${cut(o.what)}: write ${path}: ${errno}${why} (op ${e.opIndex} of ${plan.ops.length})`, { ...facts, syscall: 'write', path });
  }
  if (o.code === OpCode.RESOLVE_EXEC && (e.errno === 2 || e.errno === 20)) {
    return new TsrunError(`exec: ${quote(String(o.args[0]))}: executable file not found in $PATH`, { ...facts, code: 'ERR_NOT_FOUND', path: String(o.args[0]) });
  }
  return new TsrunError(`${cut(o.what)}: ${errno} (op ${e.opIndex} of ${plan.ops.length})`, facts);
}

/**
 * The container process state (config-linux.md) a seccomp agent gets with
 * the notify fd: the runtime knows the host pid, so it hands the finished
 * JSON to the init when it releases it.
 */
export function containerProcessState(rec: ContainerRecord, pid: number): string {
  return JSON.stringify({
    ociVersion: rec.ociVersion,
    fds: ['seccompFd'],
    pid,
    ...(rec.config.linux?.seccomp?.listenerMetadata ? { metadata: rec.config.linux.seccomp.listenerMetadata } : {}),
    state: JSON.parse(hookState(rec, 'creating')),
  });
}
