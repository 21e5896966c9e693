import { configError } from '../errors.js';
import { Op } from '../native/generated/instruction-set.js';
import type { PlanContext } from './context.js';
import type { Seccomp } from '../spec/types.js';

export interface SeccompPlan {
  /** Before clone: connect to listenerPath (SCMP_ACT_NOTIFY), while host paths resolve. */
  connect: Op[];
  /** Where the filter goes on: the load, then at once the notify fd to the agent. */
  load: Op[];
  notify: boolean;
}

/** The ops for linux.seccomp, or null when there is none. */
export function planSeccomp(seccomp: Seccomp | undefined, compile: PlanContext['compileSeccomp'], warnings: string[]): SeccompPlan | null {
  if (!seccomp) return null;
  if (!compile) throw configError('/linux/seccomp', 'no seccomp compiler available');
  const compiled = compile(seccomp);
  warnings.push(...compiled.warnings);
  const load = [Op.seccomp(`load seccomp filter (${compiled.filter.length / 8} instructions, flags ${compiled.flags})`, { program: compiled.filter, flags: compiled.flags })];
  if (!compiled.notify) return { connect: [], load, notify: false };
  if (!seccomp.listenerPath) throw configError('/linux/seccomp/listenerPath', 'seccomp listenerPath is not set (SCMP_ACT_NOTIFY needs a listener socket)');
  return {
    connect: [Op.connectListener(`connect to seccomp listener ${seccomp.listenerPath}`, { path: seccomp.listenerPath })],
    // The helper, forked before the filter, sends the fd: the init makes no syscall the filter could hold before the agent has it.
    load: [
      Op.listenerHelper('fork the helper that sends the seccomp notify fd (it shares our fds, and has no filter)'),
      ...load,
      Op.sendListener(`send the seccomp notify fd to ${seccomp.listenerPath} (by the helper)`),
    ],
    notify: true,
  };
}
