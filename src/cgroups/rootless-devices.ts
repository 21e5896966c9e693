// The cgroup of a rootless container that has one of its own (cgroup v2
// delegated to the caller: a cgroupfs directory below its user@UID.service,
// or a scope of its systemd --user). Its device rules cannot be enforced
// there: on v2 they are an eBPF program, and loading or querying one needs
// privileges in the initial user namespace (bpf(2) fails with EPERM). runc's
// rootless mode skips them; so do we, saying so: in its user namespace the
// container cannot make device nodes, and reaches only those bound in.
import type { Resources } from '../spec/types.js';
import type { CgroupManager } from './types.js';
import { DelegatingCgroup } from './delegating.js';

export const ROOTLESS_DEVICES_WARNING =
  'linux.resources.devices: not applied: a rootless caller cannot load the cgroup v2 device filter (eBPF); in its user namespace the container reaches only the device nodes bound in';

/** The manager, with linux.resources.devices left out of what it writes (and a warning when there were rules). */
export class RootlessCgroup extends DelegatingCgroup<CgroupManager> implements CgroupManager {
  setResources(resources: Resources, opts?: { update?: boolean }): string[] {
    const { devices, ...rest } = resources;
    const warnings = this.inner.setResources(rest, opts);
    return devices?.length ? [ROOTLESS_DEVICES_WARNING, ...warnings] : warnings;
  }
}
