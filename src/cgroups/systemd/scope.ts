// The lifecycle view of a container whose cgroup is a systemd scope: the
// cgroupfs handle does the work (list, signal, freeze, join, as runc's
// systemd driver does through its fs manager); only removal differs: the
// scope is stopped through systemd, which removes its cgroup.
import type { CgroupHandle, CgroupMode, CgroupRecord } from '../types.js';
import { removeTree } from '../dirs.js';
import { stopScope, withBus } from './units.js';

export class SystemdHandle implements CgroupHandle {
  constructor(protected readonly inner: CgroupHandle) {}

  get mode(): CgroupMode {
    return this.inner.mode;
  }

  get record(): CgroupRecord {
    return this.inner.record;
  }

  protected get unit(): NonNullable<CgroupRecord['systemd']> {
    return this.record.systemd!;
  }

  /** Nothing: systemd makes the cgroup when the scope starts (addProcess at create). */
  async create(): Promise<void> {}

  addProcess(pid: number): void {
    this.inner.addProcess(pid);
  }

  addProcessAsync(pid: number): Promise<void> {
    return this.inner.addProcessAsync(pid);
  }

  pids(): number[] {
    return this.inner.pids();
  }

  killAll(signal: number): void {
    this.inner.killAll(signal);
  }

  freeze(): void {
    this.inner.freeze();
  }

  thaw(): void {
    this.inner.thaw();
  }

  isFrozen(): boolean {
    return this.inner.isFrozen();
  }

  /**
   * Stops the scope (systemd removes its cgroup), then removes what is left
   * under the scope's name: sub-cgroups a delegated container made, and on
   * v1 the hierarchies systemd does not manage (freezer, cpuset...), which
   * the cgroupfs driver created. The name is the container's alone.
   */
  async destroy(): Promise<void> {
    withBus(this.unit, (bus) => stopScope(bus, this.unit.unit));
    await Promise.all([...new Set(Object.values(this.record.dirs))].map((dir) => removeTree(dir, 2000)));
  }
}
