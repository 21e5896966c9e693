import { constants } from 'node:os';
import { oomKillCount } from '../cgroups/oom.js';
import type { CgroupRecord } from '../cgroups/types.js';
import type { OomCounts, WaitStatus } from '../native/executor.js';

/** How a container's init (or an exec'd process) ended. */
export interface ExitStatus {
  /** Its exit code; null when a signal killed it, or when the status cannot be known. */
  exitCode: number | null;
  /** The signal that killed it, or null. */
  signal: NodeJS.Signals | null;
  /** True when it was SIGKILLed and its cgroup recorded an OOM kill. */
  oomKilled: boolean;
}

const names = new Map<number, NodeJS.Signals>();
for (const [name, num] of Object.entries(constants.signals)) if (!names.has(num)) names.set(num, name as NodeJS.Signals);

/**
 * The status the executor's monitor reported. OOM kills: the counts the
 * monitor read as the init died (v2; they outlive a systemd scope, removed
 * once empty), else the cgroup's, read now while it still exists (v1).
 */
export function exitStatusOf(w: WaitStatus | null, cgroup: CgroupRecord | null | undefined, counts?: OomCounts): ExitStatus {
  if (!w) return { exitCode: null, signal: null, oomKilled: false };
  const signal = w.signal === null ? null : (names.get(w.signal) ?? (`SIG${w.signal}` as NodeJS.Signals));
  const kills = Math.max(counts?.oomKill ?? 0, oomKillCount(cgroup));
  return { exitCode: w.code, signal, oomKilled: w.signal === constants.signals.SIGKILL && kills > 0 };
}
