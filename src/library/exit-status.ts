import { osModule } from '../builtins.js';
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

let names: Map<number, NodeJS.Signals> | undefined;

/** Signal names by number, made on first use: node:os is not loaded by commands that never see an exit. */
function signalName(num: number): NodeJS.Signals {
  if (!names) {
    names = new Map();
    for (const [name, n] of Object.entries(osModule().constants.signals)) if (!names.has(n)) names.set(n, name as NodeJS.Signals);
  }
  return names.get(num) ?? (`SIG${num}` as NodeJS.Signals);
}

/**
 * The status the executor's monitor reported. OOM kills: the counts the
 * monitor read as the init died (v2; they outlive a systemd scope, removed
 * once empty), else the cgroup's, read now while it still exists (v1).
 */
export function exitStatusOf(w: WaitStatus | null, cgroup: CgroupRecord | null | undefined, counts?: OomCounts): ExitStatus {
  if (!w) return { exitCode: null, signal: null, oomKilled: false };
  const signal = w.signal === null ? null : signalName(w.signal);
  // Only a SIGKILL can be the OOM killer's: any other end reads no cgroup file.
  const oomKilled = signal === 'SIGKILL' && Math.max(counts?.oomKill ?? 0, oomKillCount(cgroup)) > 0;
  return { exitCode: w.code, signal, oomKilled };
}
