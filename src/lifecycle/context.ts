import type { Logger } from '../log.js';
import type { StateStore } from '../state/store.js';

/** What every lifecycle operation gets: no globals. */
export interface RuntimeContext {
  store: StateStore;
  log: Logger;
  /** runc's --rootless; undefined or 'auto': decided from the caller (lifecycle/rootless-cgroup.ts). */
  rootless?: boolean | 'auto';
  /** runc's --systemd-cgroup: new containers get a transient systemd scope as their cgroup. */
  systemdCgroup?: boolean;
  /** RuntimeOptions.blocking: the caller waits for each operation and does nothing else meanwhile. */
  blocking?: boolean;
}
