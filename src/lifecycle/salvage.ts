import { existsSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { reopenCgroupHandle } from '../cgroups/handle.js';
import { cgroupfsRecord } from '../cgroups/record.js';
import type { CgroupHandle } from '../cgroups/types.js';
import { isCgroupRecord } from '../state/store.js';
import { isAlive } from '../linux/proc.js';
import type { RuntimeContext } from './context.js';
import { killAndWait } from './wait.js';
import { sleep } from '../linux/async-fs.js';

/**
 * `delete --force` of a container whose state.json is damaged or missing:
 * removes what can still be found and reports exactly what could not.
 *
 * - The cgroup: the one the damaged record names if that part is intact;
 *   otherwise the path create would have used (cgroupsPath from what is left
 *   of the config, or the id, as runc's default). Every process in it is
 *   killed (the init and its children are there) and its directories removed.
 * - The init by pid only when a start time confirms its identity: a pid
 *   whose identity cannot be confirmed is never signalled.
 * Succeeds (with a warning) when the cgroup was found and emptied; fails,
 * saying what is left, when neither the cgroup nor the init could be found
 * in a damaged state.json. `missing`: there is no state.json at all, and
 * nothing found means a create that died before making anything.
 */
export async function salvage(ctx: RuntimeContext, id: string, raw: unknown, reason: string, missing: boolean): Promise<void> {
  const rec = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const state = ctx.store.statePath(id);
  const { cg, guessed } = await findCgroup(id, rec);
  const dirs = cg ? [...new Set(Object.values(cg.record.dirs))].filter((d) => existsSync(d)) : [];

  const pid = typeof rec.pid === 'number' && Number.isInteger(rec.pid) && rec.pid > 0 ? rec.pid : 0;
  const startTime = typeof rec.startTime === 'string' ? rec.startTime : undefined;
  if (pid && isAlive(pid, startTime)) await killAndWait(pid, startTime);

  if (cg && dirs.length) {
    cg.killAll(9);
    if (cg.isFrozen()) cg.thaw();
    for (let i = 0; i < 250 && cg.pids().length; i++) await sleep(20);
    // A guessed cgroup has no record of what create made: remove the container's own directories, never their parents.
    if (guessed) cg.record.created = dirs;
    await cg.destroy();
    await ctx.store.remove(id);
    ctx.log.warn(`container ${id}: ${state} was damaged (${reason}); killed the processes in its cgroup and removed it (${dirs.join(', ')})`);
    return;
  }

  await ctx.store.remove(id);
  // No state.json and no cgroup: a create killed before it wrote either (runc removes such a directory too).
  if (missing) return;
  const looked = cg ? `no cgroup at ${[...new Set(Object.values(cg.record.dirs))].join(', ')}` : 'no cgroup path';
  const init = pid && !startTime ? `pid ${pid} was not signalled: its identity cannot be confirmed` : pid ? `pid ${pid} is not its init any more` : 'no pid of its init';
  throw new TsrunError(
    `container ${id}: ${state} was damaged (${reason}); could not find its processes or cgroup (${looked}; ${init}): ` +
      `any processes it still has were left running and a cgroup at another path was left in place; removed its state directory`,
    { code: 'ERR_BAD_STATE', path: state },
  );
}

/** The damaged record's cgroup if that part is intact, else the path create would have resolved. */
async function findCgroup(id: string, rec: Record<string, unknown>): Promise<{ cg: CgroupHandle | undefined; guessed: boolean }> {
  if (isCgroupRecord(rec.cgroup)) return { cg: reopenCgroupHandle(rec.cgroup), guessed: false };
  const config = rec.config as { linux?: { cgroupsPath?: unknown } } | undefined;
  const path = typeof config?.linux?.cgroupsPath === 'string' ? config.linux.cgroupsPath : undefined;
  return { cg: reopenCgroupHandle(cgroupfsRecord({ cgroupsPath: path, id }).record), guessed: true };
}
