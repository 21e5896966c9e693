// The lifecycle view of a container whose cgroup is a systemd scope: the
// cgroupfs handle does the work (list, signal, freeze, join, as runc's
// systemd driver does through its fs manager); only removal differs: the
// scope is stopped through systemd, which removes its cgroup.
import type { CgroupHandle, CgroupRecord } from '../types.js';
import { DelegatingCgroup } from '../delegating.js';
import { removeTree } from '../dirs.js';
import { stopScope, withBus } from './units.js';

export class SystemdHandle<T extends CgroupHandle = CgroupHandle> extends DelegatingCgroup<T> {
  protected get unit(): NonNullable<CgroupRecord['systemd']> {
    return this.record.systemd!;
  }

  /** Nothing: systemd makes the cgroup when the scope starts (addProcess at create). */
  override async create(): Promise<void> {}

  /**
   * Stops the scope (systemd removes its cgroup), then removes what is left
   * under the scope's name: sub-cgroups a delegated container made, and on
   * v1 the hierarchies systemd does not manage (freezer, cpuset...), which
   * the cgroupfs driver created. The name is the container's alone.
   */
  override async destroy(): Promise<void> {
    withBus(this.unit, (bus) => stopScope(bus, this.unit.unit));
    await Promise.all([...new Set(Object.values(this.record.dirs))].map((dir) => removeTree(dir, 2000)));
  }
}
