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

/**
 * JSON.stringify that prints integers above 2^53 exactly (limits such as
 * 9223372036854771712 or an unlimited 18446744073709551615, which a double
 * would turn into ...2000, overflowing a Go uint64 on the reading side).
 */
export function statsToJSON(value: unknown): string {
  const json = JSON.stringify(value, (_k, v) => {
    if (typeof v === 'number' && Number.isInteger(v) && v > Number.MAX_SAFE_INTEGER) {
      return `\u0000${v >= 2 ** 64 ? '18446744073709551615' : BigInt(v).toString()}\u0000`;
    }
    return v;
  });
  return json.replace(/"\\u0000(\d+)\\u0000"/g, '$1');
}
