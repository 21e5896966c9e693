import { TsrunError } from '../errors.js';
import { oomKillCount } from '../cgroups/oom.js';
import type { CgroupHandle } from '../cgroups/types.js';
import { ExecutorExited } from '../native/executor.js';
import type { Spec } from '../spec/types.js';

/**
 * The init can die during set-up without reporting an op's failure: the OOM
 * killer takes it when linux.resources.memory.limit is below what even the
 * executor needs (runc refuses such a limit, as its init is already in the
 * cgroup when it writes it). Say so, naming the field; call this before the
 * cgroup is removed.
 */
export function explainSetupDeath(e: unknown, cg: CgroupHandle | null, spec: Spec): unknown {
  if (!(e instanceof ExecutorExited)) return e;
  const limit = spec.linux?.resources?.memory?.limit;
  if (cg && oomKillCount(cg.record) > 0) {
    return new TsrunError(
      `config.json: /linux/resources/memory/limit: the OOM killer killed the container's init before ${e.before}: ` +
        `the limit ${limit ?? "(none set: a parent cgroup's)"} is too low to start the container`,
      { code: 'ERR_CONFIG_INVALID', pointer: '/linux/resources/memory/limit', cause: e },
    );
  }
  return new TsrunError(`the container's init exited before ${e.before} without reporting an error (killed by a signal?)`, { code: 'ERR_SYSCALL', cause: e });
}
