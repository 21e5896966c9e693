import { runHook } from '../hooks/run.js';
import { hookState } from '../hooks/state.js';
import type { ContainerRecord } from '../state/store.js';
import type { RuntimeContext } from './context.js';

/** poststop hooks: a failure is only a warning, and the remaining hooks still run (runtime.md step 13). */
export async function runPoststop(ctx: RuntimeContext, rec: ContainerRecord): Promise<void> {
  const hooks = rec.config.hooks?.poststop ?? [];
  const state = hookState(rec, 'stopped');
  for (const [i, h] of hooks.entries()) {
    try {
      await runHook('poststop', i, h, state);
    } catch (e) {
      ctx.log.warn((e as Error).message);
    }
  }
}
