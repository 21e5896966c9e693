import { TsrunError, errnoOf } from '../errors.js';
import { reopenCgroupHandle } from '../cgroups/handle.js';
import { parseSignal } from '../process/signals.js';
import { containerStatus } from '../state/status.js';
import type { RuntimeContext } from './context.js';

export interface KillOptions {
  /** Signal every process in the container's cgroup, not just the init. */
  all?: boolean;
}

/** `tsrun kill`: created, running and paused containers can be signalled; stopped ones cannot. */
export async function kill(ctx: RuntimeContext, id: string, signal: string | number = 'SIGTERM', opts: KillOptions = {}): Promise<void> {
  const sig = parseSignal(signal);
  const rec = ctx.store.load(id);
  const status = containerStatus(rec, ctx.store.dir(id));
  if (status === 'stopped' || status === 'creating') throw new TsrunError('container not running', { code: 'ERR_BAD_STATE' });
  if (opts.all && rec.cgroup) {
    reopenCgroupHandle(rec.cgroup).killAll(sig);
    return;
  }
  try {
    process.kill(rec.pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new TsrunError('container not running', { code: 'ERR_BAD_STATE' });
    throw new TsrunError(`kill ${rec.pid}: ${(e as NodeJS.ErrnoException).code}`, { syscall: 'kill', errno: errnoOf(e) });
  }
}
