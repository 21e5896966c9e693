// The cgroup of a rootless container that has one of its own (cgroup v2
// delegated to the caller: a cgroupfs directory below its user@UID.service,
// or a scope of its systemd --user). Its device rules cannot be enforced
// there: on v2 they are an eBPF program, and loading or querying one needs
// privileges in the initial user namespace (bpf(2) fails with EPERM). runc's
// rootless mode skips them; so do we, saying so: in its user namespace the
// container cannot make device nodes, and reaches only those bound in.
import type { Resources } from '../spec/types.js';
import type { CgroupManager, CgroupMode, CgroupRecord } from './types.js';

export const ROOTLESS_DEVICES_WARNING =
  'linux.resources.devices: not applied: a rootless caller cannot load the cgroup v2 device filter (eBPF); in its user namespace the container reaches only the device nodes bound in';

/** The manager, with linux.resources.devices left out of what it writes (and a warning when there were rules). */
export class RootlessCgroup implements CgroupManager {
  constructor(private readonly inner: CgroupManager) {}

  get mode(): CgroupMode {
    return this.inner.mode;
  }

  get record(): CgroupRecord {
    return this.inner.record;
  }

  setResources(resources: Resources, opts?: { update?: boolean }): string[] {
    const { devices, ...rest } = resources;
    const warnings = this.inner.setResources(rest, opts);
    return devices?.length ? [ROOTLESS_DEVICES_WARNING, ...warnings] : warnings;
  }

  // Typed as the interface's (it is becoming asynchronous): whatever inner gives.
  create(): ReturnType<CgroupManager['create']> {
    return this.inner.create();
  }

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

  destroy(): ReturnType<CgroupManager['destroy']> {
    return this.inner.destroy();
  }
}
