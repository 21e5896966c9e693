import { PR, RLIMIT } from '../linux/constants.js';
import { Op } from '../native/generated/instruction-set.js';
import type { LsmFacts } from '../linux/lsm.js';
import type { Process } from '../spec/types.js';
import { planCredentials, type CredentialFacts } from './credentials.js';
import { planFinalAffinity, planSchedulingAsRoot } from './scheduling.js';
import { checkExecSize } from './exec-limits.js';
import { quote } from '../text.js';
import { planProcessLabels } from './lsm.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What the process ops need to know about the host (part of the plan's HostFacts). */
export interface ProcessHostFacts extends CredentialFacts {
  nofileHard: number;
  /** The runtime's RLIMIT_STACK soft limit in bytes (Infinity when unlimited): exec's room for args and env. */
  stackSoft?: number;
  /** AppArmor and SELinux: a profile or label the host cannot apply is refused, never dropped. */
  lsm: LsmFacts;
}

/** What the process ops need beyond the process itself. */
export interface ProcessPlanContext {
  host: ProcessHostFacts;
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
    ops.push(Op.prlimit(`setrlimit ${r.type} soft=${r.soft} hard=${r.hard}`, { resource: RLIMIT[r.type]!, soft: BigInt(r.soft), hard: BigInt(r.hard) }));
  }
  if (!rlimits.some((r) => r.type === 'RLIMIT_NOFILE')) {
    // Node raises its own soft NOFILE limit to the hard one; give the
    // container the usual default back rather than Node's leftover.
    const soft = Math.min(1024, ctx.host.nofileHard);
    ops.push(Op.prlimit(`setrlimit RLIMIT_NOFILE soft=${soft} (undo Node's raise)`, { resource: RLIMIT.RLIMIT_NOFILE!, soft, hard: ctx.host.nofileHard }));
  }
  ops.push(Op.setsid('setsid'));
  if (proc.terminal) {
    const { height = 0, width = 0 } = proc.consoleSize ?? {};
    const uid = proc.user?.uid ?? 0;
    ops.push(
      Op.setupPty(`open a pty owned by uid ${uid}, send its master to the console socket, make it the terminal${ctx.bindConsole ? ' and /dev/console' : ''}`, {
        rows: height,
        cols: width,
        bindConsole: ctx.bindConsole ? 1 : 0,
        uid,
      }),
    );
  }
  // As root and before any seccomp filter: real-time classes need privilege, and a profile may deny these calls.
  ops.push(...planSchedulingAsRoot(proc), ...planFinalAffinity(proc));
  if (proc.noNewPrivileges) ops.push(Op.prctl('set no_new_privs', { option: PR.SET_NO_NEW_PRIVS, arg2: 1, arg3: 0, arg4: 0, arg5: 0 }));
  // chdir as root and before any filter: the escape check calls getcwd, which
  // a profile may deny (runtime-tools linux_seccomp does), and root can enter
  // a cwd the container user could not (runc does the same).
  ops.push(Op.chdir(`chdir ${proc.cwd}`, { path: proc.cwd }));
  // While still root, before any filter: the labels take effect at execve.
  ops.push(...planProcessLabels(proc, ctx.host.lsm));
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: do it before the capabilities drop.
  if (seccomp && !proc.noNewPrivileges) ops.push(...seccomp);
  ops.push(...planCredentials(proc, { ...ctx.host, setgroupsDenied: ctx.setgroupsDenied }, warnings));
  const umask = proc.user?.umask ?? 0o022;
  ops.push(Op.umask(`umask ${umask.toString(8).padStart(4, '0')}`, { mask: umask }));

  const args = proc.args ?? [];
  const env = proc.env ?? [];
  // RLIMIT_STACK bounds what exec takes: the container's own, else the one it inherits from us.
  const stack = rlimits.find((r) => r.type === 'RLIMIT_STACK');
  checkExecSize(proc, stack ? stack.soft : (ctx.host.stackSoft ?? 8 * 1024 * 1024));
  const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  ops.push(Op.resolveExec(`find ${quote(args[0] ?? '')} in $PATH`, { name: args[0] ?? '', path }));
  ops.push(Op.ready('report set-up done'));
  if (ctx.waitForStart) {
    ops.push(Op.waitStart('wait for start on the exec fifo'));
    ops.push(Op.closeFifo('close the exec fifo'));
  }
  // With no_new_privs the filter goes on last, so it need not allow our own set-up calls.
  if (seccomp && proc.noNewPrivileges) ops.push(...seccomp);
  ops.push(Op.exec(`exec ${quote(JSON.stringify(args))}`, { argv: args, env }));
  return ops;
}
