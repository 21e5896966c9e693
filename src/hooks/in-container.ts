import { TsrunError } from '../errors.js';
import { errnoName } from '../native/errno.js';
import { ExecutorError, ExecutorExited, ExecutorSession } from '../native/executor.js';
import { Msg, Op } from '../native/generated/instruction-set.js';
import { encodePlan, opName } from '../native/plan.js';
import { joinContainerNamespaces } from '../plan/exec-plan.js';
import { DEFAULT_PATH } from '../process/init-plan.js';
import type { Hook, Linux } from '../spec/types.js';
import type { StartedHook } from './run.js';

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

/**
 * Returns the hook's process and, in setupFailure, a TsrunError when an op
 * of the executor failed (its MSG_OP_FAILED line: joining a namespace, the
 * chdir, finding or exec'ing the hook), so runHook reports that op rather
 * than a bare exit status.
 */
export function inContainerNamespaces(linux: Linux, initPid: number, opts: InContainerOptions = {}): (hook: Hook) => StartedHook {
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
    // Before the clone, the executor reports its own failures; after it, the
    // hook's set-up reports until the exec closes the socket on its side.
    // Nothing else comes: the monitor's exit line goes to initExit.
    const setupFailure = (async (): Promise<Error | null> => {
      try {
        await session.expect(Msg.PID);
        for (let line = await session.next(); line !== null; line = await session.next()) {
          if (line.startsWith(`${Msg.OP_FAILED} `)) {
            const [, op, errno] = line.split(' ');
            throw new ExecutorError(Number(op), Number(errno));
          }
        }
        return null;
      } catch (e) {
        // Gone without a word (killed): the hook's exit status says it.
        return e instanceof ExecutorExited ? null : hookOpFailure(e, plan);
      } finally {
        session.close();
      }
    })();
    return { child: session.child!, setupFailure }; // stdio has 'pipe' entries: a Node child process
  };
}

/** "chdir /x: ENOENT (op 4 of 7)", as create words a failed op of the init. */
function hookOpFailure(e: unknown, plan: readonly Op[]): Error {
  if (!(e instanceof ExecutorError)) return e instanceof Error ? e : new Error(String(e));
  const o = plan[e.opIndex];
  const errno = errnoName(e.errno);
  return new TsrunError(`${o?.what ?? 'the executor'}: ${errno} (op ${e.opIndex} of ${plan.length})`, {
    code: 'ERR_SYSCALL',
    ...(o ? { syscall: opName(o.code).toLowerCase() } : {}),
    errno,
    op: e.opIndex,
    cause: e,
  });
}
