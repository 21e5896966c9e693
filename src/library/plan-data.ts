import type { Plan } from '../plan/build.js';
import { describePlan } from '../plan/build.js';
import { OpCode } from '../native/generated/instruction-set.js';

/** One executor op of a plan, as data. */
export interface PlanStep {
  /** The op's name: "MOUNT", "PIVOT_ROOT", "EXEC". */
  op: string;
  /** Who runs it: the executor before clone ('runtime'), the clone itself, or the container's init. */
  side: 'runtime' | 'clone' | 'init';
  /** What it does, in words: "mount proc on /proc". */
  what: string;
}

/** What Runtime.plan() returns. */
export interface PlanData {
  steps: PlanStep[];
  /** The same as text, one op a line (create --dry-run). */
  text: string;
  /** Fields this host skips (as create logs them). */
  warnings: string[];
}

export function planData(plan: Plan): PlanData {
  const names = new Map<number, string>(Object.entries(OpCode).map(([k, v]) => [v, k]));
  const steps = plan.ops.map(
    (o, i): PlanStep => ({
      op: names.get(o.code) ?? String(o.code),
      side: i < plan.cloneIndex ? 'runtime' : i === plan.cloneIndex ? 'clone' : 'init',
      what: o.what,
    }),
  );
  return { steps, text: describePlan(plan), warnings: plan.warnings };
}
