import { PR, RLIMIT } from '../linux/constants.js';
import { op, type Op } from '../plan/op.js';
import { OpCode } from '../plan/opcodes.js';
import type { PlanContext } from '../plan/context.js';
import type { Process } from '../spec/types.js';
import { planCredentials } from './credentials.js';
import { planFinalAffinity, planSchedulingAsRoot } from './scheduling.js';
import { checkExecSize } from './exec-limits.js';
import { quote } from '../text.js';
import { planProcessLabels } from './lsm.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What the process ops need beyond the process itself. */
export interface ProcessPlanContext {
  host: PlanContext['host'];
  /** The init waits on the exec fifo for `start`; an exec'd process runs at once. */
  waitForStart: boolean;
  /** Bind the pty over /dev/console (the init does; an exec'd process does not). */
  bindConsole: boolean;
  /** setgroups is denied in the user namespace (rootless, own gid only). */
  setgroupsDenied?: boolean;
}

/** The ops that turn the set-up child into the container's process and exec it. */
export function planInit(proc: Process, ctx: ProcessPlanContext, seccomp: Op[] | null, warnings: string[]): Op[] {
  const ops: Op[] = [];
  const rlimits = proc.rlimits ?? [];
  for (const r of rlimits) {
    ops.push(op(OpCode.PRLIMIT, `setrlimit ${r.type} soft=${r.soft} hard=${r.hard}`, [RLIMIT[r.type]!, BigInt(r.soft), BigInt(r.hard)]));
  }
  if (!rlimits.some((r) => r.type === 'RLIMIT_NOFILE')) {
    // Node raises its own soft NOFILE limit to the hard one; give the
    // container the usual default back rather than Node's leftover.
    const soft = Math.min(1024, ctx.host.nofileHard);
    ops.push(op(OpCode.PRLIMIT, `setrlimit RLIMIT_NOFILE soft=${soft} (undo Node's raise)`, [RLIMIT.RLIMIT_NOFILE!, soft, ctx.host.nofileHard]));
  }
  ops.push(op(OpCode.SETSID, 'setsid'));
  if (proc.terminal) {
    const { height = 0, width = 0 } = proc.consoleSize ?? {};
    const uid = proc.user?.uid ?? 0;
    ops.push(op(OpCode.SETUP_PTY, `open a pty owned by uid ${uid}, send its master to the console socket, make it the terminal${ctx.bindConsole ? ' and /dev/console' : ''}`, [height, width, ctx.bindConsole ? 1 : 0, uid]));
  }
  // As root and before any seccomp filter: real-time classes need privilege, and a profile may deny these calls.
  ops.push(...planSchedulingAsRoot(proc), ...planFinalAffinity(proc));
  if (proc.noNewPrivileges) ops.push(op(OpCode.PRCTL, 'set no_new_privs', [PR.SET_NO_NEW_PRIVS, 1, 0, 0, 0]));
  // chdir as root and before any filter: the escape check calls getcwd, which
  // a profile may deny (runtime-tools linux_seccomp does), and root can enter
  // a cwd the container user could not (runc does the same).
  ops.push(op(OpCode.CHDIR, `chdir ${proc.cwd}`, [proc.cwd]));
  // While still root, before any filter: the labels take effect at execve.
  ops.push(...planProcessLabels(proc, ctx.host.lsm));
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: do it before the capabilities drop.
  if (seccomp && !proc.noNewPrivileges) ops.push(...seccomp);
  ops.push(...planCredentials(proc, { ...ctx.host, setgroupsDenied: ctx.setgroupsDenied }, warnings));
  const umask = proc.user?.umask ?? 0o022;
  ops.push(op(OpCode.UMASK, `umask ${umask.toString(8).padStart(4, '0')}`, [umask]));

  const args = proc.args ?? [];
  const env = proc.env ?? [];
  // RLIMIT_STACK bounds what exec takes: the container's own, else the one it inherits from us.
  const stack = rlimits.find((r) => r.type === 'RLIMIT_STACK');
  checkExecSize(proc, stack ? stack.soft : (ctx.host.stackSoft ?? 8 * 1024 * 1024));
  const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  ops.push(op(OpCode.RESOLVE_EXEC, `find ${quote(args[0] ?? '')} in $PATH`, [args[0] ?? '', path]));
  ops.push(op(OpCode.READY, 'report set-up done'));
  if (ctx.waitForStart) {
    ops.push(op(OpCode.WAIT_START, 'wait for start on the exec fifo'));
    ops.push(op(OpCode.CLOSE_FIFO, 'close the exec fifo'));
  }
  // With no_new_privs the filter goes on last, so it need not allow our own set-up calls.
  if (seccomp && proc.noNewPrivileges) ops.push(...seccomp);
  ops.push(op(OpCode.EXEC, `exec ${quote(JSON.stringify(args))}`, [args.length, ...args, env.length, ...env]));
  return ops;
}
