import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../linux/proc.js';
import type { ContainerRecord } from './store.js';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/**
 * The status, derived each time from the kernel rather than stored:
 * stopped when the init is gone, a zombie, or a different process under the
 * same pid; created while the exec fifo exists; paused when frozen.
 */
export function containerStatus(rec: ContainerRecord, dir: string): Status {
  if (rec.pid === 0) return 'creating';
  if (!isAlive(rec.pid, rec.startTime)) return 'stopped';
  if (isFrozen(rec)) return 'paused';
  if (existsSync(join(dir, 'exec.fifo'))) return 'created';
  return 'running';
}

/** Reads the freezer directly: cheaper than loading the cgroup drivers for every `state`. */
function isFrozen(rec: ContainerRecord): boolean {
  const cg = rec.cgroup;
  if (!cg) return false;
  try {
    if (cg.mode === 'v2') return /^frozen 1$/m.test(readFileSync(join(cg.dirs.unified!, 'cgroup.events'), 'utf8'));
    const freezer = cg.dirs.freezer;
    return freezer !== undefined && readFileSync(join(freezer, 'freezer.state'), 'utf8').trim() === 'FROZEN';
  } catch {
    return false;
  }
}
