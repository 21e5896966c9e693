// Where a container's OOM events are seen, and how many OOM kills its
// cgroup has had. The executor's monitor watches the files (an eventfd on
// v1, inotify on v2, where it also reads the counters and reports them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupRecord } from './types.js';

/**
 * v2's `later`: the cgroup is a systemd scope, which systemd makes only
 * when the runtime starts it with the init inside, after clone: the monitor
 * opens memory.events once it appears.
 */
export type OomWatch = { kind: 'v1'; oomControl: string; eventControl: string } | { kind: 'v2'; events: string; later: boolean };

/**
 * The files to watch for the container's OOM events, or null without a
 * memory controller, or for a systemd scope on v1 (its memory cgroup also
 * only exists after clone, and v1's eventfd must be registered on it).
 */
export function oomWatch(rec: CgroupRecord | null | undefined): OomWatch | null {
  if (!rec) return null;
  if (rec.mode === 'v2') return rec.dirs.unified ? { kind: 'v2', events: join(rec.dirs.unified, 'memory.events'), later: !!rec.systemd } : null;
  const mem = rec.dirs.memory;
  return mem && !rec.systemd ? { kind: 'v1', oomControl: join(mem, 'memory.oom_control'), eventControl: join(mem, 'cgroup.event_control') } : null;
}

/** OOM kills in the cgroup so far (memory.oom_control's or memory.events' oom_kill); 0 when unknown or gone. */
export function oomKillCount(rec: CgroupRecord | null | undefined): number {
  return oomCounter(rec, 'oom_kill');
}

/** A counter of the watched file: "oom_kill" (both versions), or "oom" (v2's memory.events: OOM events, killed or not); 0 when unknown or gone. */
export function oomCounter(rec: CgroupRecord | null | undefined, key: 'oom' | 'oom_kill'): number {
  const w = oomWatch(rec);
  if (!w) return 0;
  try {
    const text = readFileSync(w.kind === 'v2' ? w.events : w.oomControl, 'utf8');
    return Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  } catch {
    return 0; // the cgroup is gone (a systemd scope, once empty): the monitor's counts tell
  }
}
