import { constants, unlinkSync } from 'node:fs';
import { fileOps } from '../linux/async-fs.js';
import { TsrunError, errnoOf } from '../errors.js';
import { lockDir } from '../state/lock.js';
import { containerStatus } from '../state/status.js';
import type { RuntimeContext } from './context.js';
import { runHooks } from '../hooks/run.js';
import { hookState } from '../hooks/state.js';
import { killAndWait } from './wait.js';
import { loadCommand } from '../command-loader.js';

/**
 * `tsrun start`: releases an init waiting on its exec fifo. The init holds
 * the fifo open for reading, so a non-blocking open for writing succeeds
 * at once, and fails with ENXIO if the init is gone: start never hangs.
 */
export async function start(ctx: RuntimeContext, id: string): Promise<void> {
  const rec = ctx.store.load(id);
  const dir = ctx.store.dir(id);
  const hooks = rec.config.hooks ?? {};
  let unlock = await lockDir(dir);
  try {
    const status = containerStatus(rec, dir);
    if (status === 'stopped') throw new TsrunError('cannot start a container that has stopped', { code: 'ERR_BAD_STATE' });
    if (status === 'running') throw new TsrunError('cannot start an already running container', { code: 'ERR_BAD_STATE' });
    if (status === 'paused') throw new TsrunError('cannot start a paused container', { code: 'ERR_BAD_STATE' });
    if (status === 'creating') throw new TsrunError('cannot start a container that is still being created', { code: 'ERR_BAD_STATE' });
    if (!rec.config.process) {
      // Nothing can ever run in it: stop the waiting init rather than leave it behind.
      await killAndWait(rec.pid, rec.startTime);
      throw new TsrunError('cannot start a container without a process: config.json has no /process', { code: 'ERR_BAD_STATE', pointer: '/process' });
    }
    if (hooks.startContainer?.length) {
      await (await loadCommand<typeof import('./container-hooks.js')>('container-hooks')).runStartContainerHooks(rec);
    }
    await releaseInit(ctx, ctx.store.fifoPath(id));
    unlock();
    unlock = () => {};
    await runHooks('poststart', hooks.poststart, hookState(rec, 'running'));
  } catch (e) {
    // A failed startContainer or poststart hook stops the container and
    // continues the lifecycle at "destroy" (runtime.md steps 7 and 9).
    unlock();
    unlock = () => {};
    if (e instanceof TsrunError && /^\/hooks\/(startContainer|poststart)\//.test(e.pointer ?? '')) {
      // delete's code only on this path: a start that succeeds does not load it.
      const { deleteContainer } = await loadCommand<typeof import('./delete.js')>('delete');
      await deleteContainer(ctx, id, { force: true }).catch((err) => ctx.log.warn(`destroying after a failed hook: ${err.message}`));
    }
    throw e;
  } finally {
    unlock();
  }
}

/**
 * Writes the init's exec fifo. Through the thread pool: the write wakes the
 * init, which can take the CPU from this thread for a while on a busy host.
 * A caller that waits anyway (RuntimeOptions.blocking, the CLI) writes it
 * itself and starts no pool for it.
 */
async function releaseInit(ctx: RuntimeContext, fifo: string): Promise<void> {
  const fs = fileOps(ctx);
  let fd: number;
  try {
    fd = await fs.open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENXIO') throw new TsrunError('cannot start container: its init is no longer waiting', { code: 'ERR_BAD_STATE' });
    throw new TsrunError(`open exec fifo ${fifo}: ${(e as NodeJS.ErrnoException).code}`, { syscall: 'open', path: fifo, errno: errnoOf(e) });
  }
  try {
    await fs.write(fd, '0');
  } finally {
    await fs.close(fd);
  }
  unlinkSync(fifo);
}
