// Where a container's OOM events are seen, and how many OOM kills its
// cgroup has had. The executor's monitor watches the files (an eventfd on
// v1, inotify on v2); the runtime reads the counter to tell a kill.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupRecord } from './types.js';

export type OomWatch = { kind: 'v1'; oomControl: string; eventControl: string } | { kind: 'v2'; events: string };

/** The files to watch for the container's OOM events, or null without a memory controller. */
export function oomWatch(rec: CgroupRecord | null | undefined): OomWatch | null {
  if (!rec) return null;
  if (rec.mode === 'v2') return rec.dirs.unified ? { kind: 'v2', events: join(rec.dirs.unified, 'memory.events') } : null;
  const mem = rec.dirs.memory;
  return mem ? { kind: 'v1', oomControl: join(mem, 'memory.oom_control'), eventControl: join(mem, 'cgroup.event_control') } : null;
}

/** OOM kills in the cgroup so far (memory.oom_control's or memory.events' oom_kill); 0 when unknown. */
export function oomKillCount(rec: CgroupRecord | null | undefined): number {
  return oomCounter(rec, 'oom_kill');
}

/**
 * A counter of the watched file: "oom_kill" (both versions), or "oom" (v2's
 * memory.events: OOM events, killed or not). 0 when unknown, or for a cgroup that is
 * gone and was not remembered (rememberOomCounters).
 */
export function oomCounter(rec: CgroupRecord | null | undefined, key: 'oom' | 'oom_kill'): number {
  const w = oomWatch(rec);
  if (!w) return 0;
  const file = w.kind === 'v2' ? w.events : w.oomControl;
  const count = (text: string | undefined, k: string) => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(text ?? '')?.[1] ?? 0);
  try {
    return count(readFileSync(file, 'utf8'), key);
  } catch {
    // The cgroup is gone: what was last read of it, if anything. The kernel counts "oom"
    // just before "oom_kill" and delays the second notification (10 ms rate limit), and
    // systemd may remove an emptied scope before it comes: an OOM event last seen counts
    // as its kill then (exitStatusOf also needs the init SIGKILLed).
    const text = remembered.get(file);
    return key === 'oom_kill' ? Math.max(count(text, 'oom_kill'), count(text, 'oom')) : count(text, key);
  }
}

/**
 * The last text read of the memory.events of cgroups that another program
 * removes as soon as they are empty (systemd scopes: scope-oom.ts), by file.
 * Bounded: an entry is only needed until its init's exit status is read.
 */
const remembered = new Map<string, string>();
const REMEMBERED_MAX = 256;

/** Reads and remembers the counters of the cgroup's watched file; `fresh` forgets a previous cgroup of the same path first. */
export function rememberOomCounters(rec: CgroupRecord, fresh: boolean): void {
  const w = oomWatch(rec);
  if (!w) return;
  const file = w.kind === 'v2' ? w.events : w.oomControl;
  if (fresh) remembered.delete(file);
  try {
    const text = readFileSync(file, 'utf8');
    remembered.delete(file); // re-inserted last: the oldest entry goes first
    remembered.set(file, text);
  } catch {
    return; // gone: keep what was read before
  }
  if (remembered.size > REMEMBERED_MAX) remembered.delete(remembered.keys().next().value!);
}
