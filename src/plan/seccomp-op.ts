import { op, type Op } from './op.js';
import { OpCode } from './opcodes.js';
import type { PlanContext } from './context.js';
import type { Seccomp } from '../spec/types.js';

/** The OP_SECCOMP for linux.seccomp, or null when there is none. */
export function planSeccomp(seccomp: Seccomp | undefined, compile: PlanContext['compileSeccomp'], warnings: string[]): Op | null {
  if (!seccomp) return null;
  if (!compile) throw new Error('/linux/seccomp: no seccomp compiler available');
  const compiled = compile(seccomp);
  warnings.push(...compiled.warnings);
  return op(OpCode.SECCOMP, `load seccomp filter (${compiled.filter.length / 8} instructions, flags ${compiled.flags})`, [compiled.filter, compiled.flags]);
}
