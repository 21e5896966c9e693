import type { RuntimeContext } from './context.js';
import type { CreateOptions } from './create.js';
import { inForeground, attachableTerminal } from './foreground.js';
import { loadCommand } from '../command-loader.js';

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
  // The operations' own bundles, not copies in this one: create's comes with
  // the build's code cache (command-loader.ts), and run then loads no code twice.
  const { create, createContainer, peekProcess } = await loadCommand<typeof import('./create.js')>('create');
  const { start } = await loadCommand<typeof import('./start.js')>('start');
  const { deleteContainer } = await loadCommand<typeof import('./delete.js')>('delete');
  if (opts.detach) {
    await create(ctx, id, opts);
    await start(ctx, id);
    return 0;
  }
  const terminal = await attachableTerminal(opts.spec !== undefined ? opts.spec.process : peekProcess(opts.bundle ?? '.'), opts.consoleSocket);
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
