import type { ChildProcess } from 'node:child_process';
import { ExecutorSession } from '../native/executor.js';
import { encodePlan } from '../plan/encode.js';
import { joinContainerNamespaces } from '../plan/exec-plan.js';
import { op, type Op } from '../plan/op.js';
import { OpCode } from '../plan/opcodes.js';
import { DEFAULT_PATH } from '../process/init-plan.js';
import type { Hook, Linux } from '../spec/types.js';

/**
 * Starts hooks in the container's namespaces (createContainer,
 * startContainer): a second executor joins them through the init's
 * /proc/PID/ns links and execs the hook; it waits for the hook and exits with
 * its status. Node itself cannot setns into a mount namespace.
 */
export interface InContainerOptions {
  /** Working directory of the hook (createContainer: the container's root, as runc). */
  cwd?: string;
  /** Ops that load the container's seccomp filter (startContainer runs under it, as in runc). */
  seccomp?: Op[];
}

export function inContainerNamespaces(linux: Linux, initPid: number, opts: InContainerOptions = {}): (hook: Hook) => ChildProcess {
  return (hook) => {
    const args = hook.args?.length ? hook.args : [hook.path];
    const env = hook.env ?? [];
    const plan = [
      ...joinContainerNamespaces(linux, initPid),
      op(OpCode.CLONE, 'clone the hook', [0, 1]),
      // The executor's sync socket (fd 3) and anything else but stdio stay out of the hook.
      op(OpCode.CLOEXEC_FROM, 'close every fd from 3 on exec', [3]),
      ...(opts.cwd ? [op(OpCode.CHDIR, `chdir ${opts.cwd}`, [opts.cwd])] : []),
      ...(opts.seccomp ?? []),
      op(OpCode.RESOLVE_EXEC, `find ${hook.path}`, [hook.path, DEFAULT_PATH]),
      op(OpCode.EXEC, `exec hook ${hook.path}`, [args.length, ...args, env.length, ...env]),
    ];
    const session = new ExecutorSession(encodePlan(plan), { stdio: ['pipe', 'pipe', 'pipe'], ownProcessGroup: true });
    // Nothing more to say to it once it has cloned; a failure shows in its exit status.
    session.expect('P').then(
      () => session.close(),
      () => session.close(),
    );
    return session.child!; // stdio has 'pipe' entries: a Node child process
  };
}
