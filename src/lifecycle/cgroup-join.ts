import { existsSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import type { CgroupHandle } from '../cgroups/types.js';
import type { Logger } from '../log.js';

/**
 * Checks a cgroup that cgroupsPath may name before create joins it, as runc
 * does: a frozen one is refused (the init would freeze on entry and create
 * would wait for it forever); one with processes already in it gets a warning.
 */
export function checkCgroupJoinable(cg: CgroupHandle, log: Logger): void {
  const pids = cg.pids();
  if (pids.length) log.warn(`container's cgroup is not empty: ${pids.length} process(es) found`);
  // v1 reads freezer.state, which must exist; a cgroup yet to be made is not frozen.
  const dir = cg.record.dirs.freezer ?? cg.record.dirs.unified;
  if (dir && existsSync(dir) && cg.isFrozen()) {
    throw new TsrunError(`container's cgroup ${cg.record.path} is frozen: thaw it (or name another in /linux/cgroupsPath) to create a container there`, {
      code: 'ERR_BAD_STATE',
      pointer: '/linux/cgroupsPath',
      path: dir,
    });
  }
}
