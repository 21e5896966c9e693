import { TsrunError, errnoOf } from '../errors.js';
import { reopenCgroupHandle } from '../cgroups/handle.js';
import { parseSignal } from '../process/signals.js';
import { containerStatus } from '../state/status.js';
import type { RuntimeContext } from './context.js';

export interface KillOptions {
  /** Signal every process in the container's cgroup, not just the init. */
  all?: boolean;
}

/**
 * `tsrun kill`: created, running and paused containers can be signalled.
 * `--all` also succeeds on a stopped container (nothing left to signal), as
 * runc: containerd's CRI sends `kill --all ID 9` after every exit. Signal
 * numbers go to the kernel as given, so `kill ID 99` fails as runc's does.
 */
export async function kill(ctx: RuntimeContext, id: string, signal: string | number = 'SIGTERM', opts: KillOptions = {}): Promise<void> {
  const sig = parseSignal(signal);
  const rec = ctx.store.load(id);
  const status = containerStatus(rec, ctx.store.dir(id));
  if (status === 'creating' || (status === 'stopped' && !opts.all)) throw new TsrunError(`container not running: it is ${status}`, { code: 'ERR_BAD_STATE' });
  if (opts.all) {
    if (sig > 64) throw new TsrunError(`unable to signal init: invalid argument (signal ${sig})`, { syscall: 'kill', errno: 'EINVAL' });
    if (rec.cgroup) reopenCgroupHandle(rec.cgroup).killAll(sig);
    else if (status !== 'stopped') signalInit(rec.pid, sig);
    return;
  }
  signalInit(rec.pid, sig);
}

function signalInit(pid: number, sig: number): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ESRCH') throw new TsrunError('container not running: its init has exited', { code: 'ERR_BAD_STATE' });
    if (code === 'EINVAL') throw new TsrunError(`unable to signal init: invalid argument (signal ${sig})`, { syscall: 'kill', errno: code });
    throw new TsrunError(`unable to signal init: ${code} (pid ${pid}, signal ${sig})`, { syscall: 'kill', errno: code });
  }
}
