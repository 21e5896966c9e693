import { oomKillCount } from '../cgroups/oom.js';
import { TsrunError } from '../errors.js';
import { reopenCgroup, stats, type CgroupManager } from '../cgroups/index.js';
import type { RuncStats } from '../cgroups/stats.js';
import type { Resources } from '../spec/types.js';
import { lockDir } from '../state/lock.js';
import { containerStatus } from '../state/status.js';
import type { ContainerRecord } from '../state/store.js';
import type { RuntimeContext } from './context.js';

function cgroupOf(rec: ContainerRecord): CgroupManager {
  if (!rec.cgroup) throw new TsrunError('container has no cgroup of its own (a rootless container on cgroup v1, or on v2 without delegation)', { code: 'ERR_UNSUPPORTED' });
  return reopenCgroup(rec.cgroup);
}

/** `tsrun pause`: freezes every process of a created or running container. */
export async function pause(ctx: RuntimeContext, id: string): Promise<void> {
  const rec = ctx.store.load(id);
  const status = containerStatus(rec, ctx.store.dir(id));
  if (status !== 'running' && status !== 'created') throw new TsrunError(`container not running: it is ${status}`, { code: 'ERR_BAD_STATE' });
  cgroupOf(rec).freeze();
}

/** `tsrun resume`: thaws a paused container. */
export async function resume(ctx: RuntimeContext, id: string): Promise<void> {
  const rec = ctx.store.load(id);
  if (containerStatus(rec, ctx.store.dir(id)) !== 'paused') throw new TsrunError('container not paused', { code: 'ERR_BAD_STATE' });
  cgroupOf(rec).thaw();
}

/** Host pids of every process in the container's cgroup. */
export async function pids(ctx: RuntimeContext, id: string): Promise<number[]> {
  const rec = ctx.store.load(id);
  if (containerStatus(rec, ctx.store.dir(id)) === 'stopped') return [];
  return cgroupOf(rec).pids();
}

/**
 * `tsrun update`: writes new limits to the live cgroup, then records them in
 * the container's state so later commands see what is in force.
 */
export async function update(ctx: RuntimeContext, id: string, resources: Resources): Promise<string[]> {
  ctx.store.load(id); // an unknown id fails before waiting for a lock
  const unlock = await lockDir(ctx.store.dir(id));
  try {
    // Read under the lock: a record read before it would lose the limits
    // another update recorded while this one waited.
    const rec = ctx.store.load(id);
    const status = containerStatus(rec, ctx.store.dir(id));
    if (status === 'stopped') throw new TsrunError('container not running', { code: 'ERR_BAD_STATE' });
    const warnings = cgroupOf(rec).setResources(resources, { update: true });
    const linux = (rec.config.linux ??= {});
    linux.resources = mergeResources(linux.resources ?? {}, resources);
    await ctx.store.write(rec);
    return warnings;
  } finally {
    unlock();
  }
}

/** Fields given in `next` replace those in `base`, one level deep (memory.limit without touching memory.swap). */
export function mergeResources(base: Resources, next: Resources): Resources {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(next)) {
    const old = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && old && typeof old === 'object' && !Array.isArray(old) ? { ...old, ...v } : v;
  }
  return out as Resources;
}

export interface ContainerStats {
  stats: RuncStats;
  /** OOM kills so far (memory.oom_control / memory.events), for events' oom notices. */
  oomKills: number;
}

/** `tsrun events --stats`: runc's stats document for the container. */
export async function containerStats(ctx: RuntimeContext, id: string): Promise<ContainerStats> {
  const rec = ctx.store.load(id);
  if (containerStatus(rec, ctx.store.dir(id)) === 'stopped') throw new TsrunError('container not running', { code: 'ERR_BAD_STATE' });
  const cg = cgroupOf(rec);
  return { stats: stats(cg), oomKills: oomKillCount(rec.cgroup) };
}
