import { closeSync } from 'node:fs';
import { pidfdOpen } from '../linux/libc.js';
import { isAlive } from '../linux/proc.js';
import { ExecutorSession } from '../native/executor.js';
import { encodePlan } from '../native/plan.js';
import { Op } from '../native/generated/instruction-set.js';
import type { RuntimeContext } from './context.js';

/**
 * Resolves when the init of a container this program did not create exits
 * (its exit status belongs to its parent, so it cannot be known here). A
 * pidfd names the process itself, not a pid that may be reused; the
 * executor waits on it in poll(), so nothing here polls or blocks.
 */
export async function waitForInitExit(ctx: RuntimeContext, id: string): Promise<void> {
  const rec = ctx.store.load(id);
  if (!rec.pid || !isAlive(rec.pid, rec.startTime)) return;
  let fd: number;
  try {
    fd = pidfdOpen(rec.pid);
  } catch {
    return; // ESRCH: gone already
  }
  try {
    // The pid may have been reused between the check and pidfd_open: check again, now that the pidfd pins it.
    if (!isAlive(rec.pid, rec.startTime)) return;
    const session = new ExecutorSession(encodePlan([Op.waitFd(`wait for init ${rec.pid} to exit`, { fd: 3 })]), {
      extraFds: [fd],
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    closeSync(fd);
    fd = -1;
    await session.exited;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
