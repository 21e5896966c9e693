import type { ChildProcess } from 'node:child_process';
import { ExecutorSession } from '../native/executor.js';
import { Msg, Op } from '../native/generated/instruction-set.js';
import { encodePlan } from '../native/plan.js';
import { joinContainerNamespaces } from '../plan/exec-plan.js';
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
      Op.clone('clone the hook', { flags: 0, wait: 1 }),
      // The executor's sync socket (fd 3) and anything else but stdio stay out of the hook.
      Op.cloexecFrom('close every fd from 3 on exec', { fd: 3 }),
      ...(opts.cwd ? [Op.chdir(`chdir ${opts.cwd}`, { path: opts.cwd })] : []),
      ...(opts.seccomp ?? []),
      Op.resolveExec(`find ${hook.path}`, { name: hook.path, path: DEFAULT_PATH }),
      Op.exec(`exec hook ${hook.path}`, { argv: args, env }),
    ];
    const session = new ExecutorSession(encodePlan(plan), { stdio: ['pipe', 'pipe', 'pipe'], ownProcessGroup: true });
    // Nothing more to say to it once it has cloned; a failure shows in its exit status.
    session.expect(Msg.PID).then(
      () => session.close(),
      () => session.close(),
    );
    return session.child;
  };
}
