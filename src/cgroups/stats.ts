// `events --stats`: the "data" object of runc's stats event (runc
// types/events.go Stats, filled as libcontainer/cgroups fs / fs2 GetStats
// and runc's convertLibcontainerStats do). Field names are runc's JSON names;
// fields that runc marks omitempty are left out when zero/empty, so the
// output has the shape of runc's.
import type { CgroupManager } from './types.js';
import type { RuncStats } from './stats-shape.js';
import { statsV1 } from './stats-v1.js';
import { statsV2 } from './stats-v2.js';

export type { RuncStats, MemoryEntry, BlkioEntry, PsiStats, PsiData } from './stats-shape.js';

/** Reads the statistics of the container's cgroup. */
export function stats(manager: CgroupManager): RuncStats {
  return manager.mode === 'v2' ? statsV2(manager.record.dirs.unified) : statsV1(manager.record.dirs);
}

// Kept in its own file so the CLI can print stats without loading the drivers.
export { statsToJSON } from './stats-json.js';
