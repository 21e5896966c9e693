// startContainer hooks, loaded only by a `start` whose config has some: they
// need the exec plan and the seccomp compiler, which every other start
// (one per container) would otherwise parse for nothing.
import { inContainerNamespaces } from '../hooks/in-container.js';
import { runHooks } from '../hooks/run.js';
import { hookState } from '../hooks/state.js';
import { OpCode, type Op } from '../native/generated/instruction-set.js';
import { planSeccomp } from '../plan/seccomp-op.js';
import type { Spec } from '../spec/types.js';
import type { ContainerRecord } from '../state/store.js';
import { loadSeccompCompiler } from './shared.js';

export async function runStartContainerHooks(rec: ContainerRecord): Promise<void> {
  const seccomp = await startContainerSeccomp(rec.config);
  await runHooks('startContainer', rec.config.hooks?.startContainer, hookState(rec, 'created'), inContainerNamespaces(rec.config.linux ?? {}, rec.pid, { seccomp }));
}

/**
 * The container's seccomp filter for startContainer hooks, which run as the
 * container's process would (runc runs them in its init, under the filter).
 * Only the load: a notify listener belongs to the container's own init.
 */
async function startContainerSeccomp(spec: Spec): Promise<Op[]> {
  if (!spec.linux?.seccomp) return [];
  const planned = planSeccomp(spec.linux.seccomp, await loadSeccompCompiler(spec), []);
  return (planned?.load ?? []).filter((o) => o.code === OpCode.SECCOMP);
}
