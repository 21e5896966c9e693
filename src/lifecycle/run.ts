import type { RuntimeContext } from './context.js';
import { create, createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { start } from './start.js';
import { inForeground, attachableTerminal } from './foreground.js';
import { loadBundle } from '../spec/load.js';
import type { Process } from '../spec/types.js';

function loadBundleProcess(opts: RunOptions): Process | undefined {
  return loadBundle(opts.bundle ?? '.').spec.process;
}

export interface RunOptions extends CreateOptions {
  /** Return once the container has started instead of waiting for it. */
  detach?: boolean;
  /** Keep the stopped container (do not delete it) after a foreground run. */
  keep?: boolean;
}

/**
 * `tsrun run`: create + start. In the foreground the executor stays as the
 * container's parent and subreaper and exits with its status, which we
 * return: the exit code, or 128+signal. SIGINT, SIGTERM and friends sent to
 * us go to the container.
 */
export async function run(ctx: RuntimeContext, id: string, opts: RunOptions = {}): Promise<number> {
  if (opts.detach) {
    await create(ctx, id, opts);
    await start(ctx, id);
    return 0;
  }
  const terminal = await attachableTerminal(loadBundleProcess(opts), opts.consoleSocket);
  try {
    const { record, session } = await createContainer(ctx, id, { ...opts, consoleSocket: terminal?.socketPath ?? opts.consoleSocket }, 'run');
    terminal?.attach();
    try {
      return await inForeground(session, record.pid, () => start(ctx, id));
    } finally {
      if (!opts.keep) await deleteContainer(ctx, id, { force: true });
    }
  } finally {
    terminal?.close();
  }
}
