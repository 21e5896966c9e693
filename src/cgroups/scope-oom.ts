// OOM events of a container whose cgroup is a systemd scope (cgroup v2).
// The executor's monitor cannot watch it: it sets its watch up before clone,
// and the scope (with its memory.events) only exists once the init was
// placed in it. So the runtime watches memory.events itself once create has
// returned, as containerd's and conmon's OOM watchers do: an inotify watch
// (fs.watch), reading the counters at each change. systemd removes the
// scope's cgroup as soon as its last process is gone, possibly before the
// init's exit status is read: the counters read here are remembered
// (oom.ts), so oomKilled is still known then.
import { watch, type FSWatcher } from 'node:fs';
import type { CgroupRecord } from './types.js';
import { oomWatch, rememberOomCounters } from './oom.js';

/**
 * Calls onEvent at each change of the scope's memory.events until `until`
 * settles; does nothing for a cgroup that is not a systemd scope on v2
 * (those are watched by the executor), or whose scope is already gone.
 */
export function watchScopeOom(rec: CgroupRecord | null | undefined, onEvent: () => void, until: Promise<unknown>): void {
  const w = rec?.systemd ? oomWatch(rec) : null;
  if (!rec || w?.kind !== 'v2') return;
  rememberOomCounters(rec, true);
  let watcher: FSWatcher;
  try {
    watcher = watch(w.events, { persistent: false }, () => {
      rememberOomCounters(rec, false);
      onEvent();
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // the scope ended already: nothing to watch
    throw e;
  }
  // The cgroup's removal ends the watch with an error: the scope is gone, so are its events.
  watcher.on('error', () => watcher.close());
  const close = () => watcher.close();
  until.then(close, close);
}
