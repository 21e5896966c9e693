// The systemd cgroup driver (runc --systemd-cgroup): the container's cgroup
// is a transient scope unit that systemd creates over D-Bus with the init as
// its process, Delegate=yes (the container may manage what is below), and
// the limits systemd knows as unit properties; then the cgroupfs driver
// writes every limit to the files as well, as runc does, for what systemd
// does not model. update sets the unit's properties and the files; delete
// stops the unit.
//
// At create the scope can only start once the init exists (a scope is made
// of processes), so create() does nothing, setResources() checks and keeps
// the limits, and addProcess(pid) starts the unit: the init is still held
// by the executor then, before any container code runs.
import { posix } from 'node:path';
import type { Resources } from '../../spec/types.js';
import type { CgroupManager } from '../types.js';
import type { CgroupHost } from '../detect.js';
import { v1Hierarchies } from '../detect.js';
import { CgroupError } from '../errors.js';
import { TsrunError } from '../../errors.js';
import { V1Manager, V2Manager } from '../managers.js';
import { SystemdHandle } from './scope.js';
import { parseSystemdPath } from './unit-name.js';
import { resourceProperties, type Property } from './properties.js';
import { managerCgroup, resetFailed, setProperties, startScope, systemdRunning, unitState, withBus } from './units.js';

export class SystemdManager extends SystemdHandle<CgroupManager> implements CgroupManager {
  private pending: Resources | undefined;

  /** started: the scope exists (a reopened container); false at create, until addProcess. */
  constructor(
    protected override readonly inner: CgroupManager,
    private started: boolean,
    private readonly warn: (m: string) => void = () => {},
  ) {
    super(inner);
  }

  setResources(resources: Resources, opts?: { update?: boolean }): string[] {
    const warnings: string[] = [];
    const props = resourceProperties(resources, this.mode, (m) => warnings.push(m));
    if (!this.started) {
      this.pending = resources; // written once the scope exists
      return warnings;
    }
    withBus(this.unit, (bus) => setProperties(bus, this.unit.unit, props));
    return [...warnings, ...this.inner.setResources(resources, opts)];
  }

  override addProcess(pid: number): void {
    // create places the init with addProcessAsync, which starts the scope; restore refuses the systemd driver.
    if (!this.started) throw new TsrunError('internal: a systemd scope is started by addProcessAsync', { code: 'ERR_UNSUPPORTED' });
    this.inner.addProcess(pid);
  }

  /** None before the scope starts: its first pid goes to systemd (addProcessAsync). */
  override procsFiles(): string[] | null {
    return this.started ? this.inner.procsFiles() : null;
  }

  override async addProcessAsync(pid: number): Promise<void> {
    if (this.started) return this.inner.addProcessAsync(pid);
    await this.start(pid);
  }

  /**
   * StartTransientUnit with the init as the scope's process, then the
   * cgroupfs side: the directories systemd does not make (v1 hierarchies it
   * does not manage), the controllers enabled for the delegated subtree, the
   * pid in those hierarchies, and every limit written to the files.
   */
  private async start(pid: number): Promise<void> {
    const resources = this.pending ?? {};
    const v2 = this.mode === 'v2';
    const props: Property[] = [
      ['Description', { sig: 's', value: `tsrun container ${this.unit.unit}` }],
      ['Slice', { sig: 's', value: this.unit.slice }],
      ['Delegate', { sig: 'b', value: true }],
      ['PIDs', { sig: 'au', value: [pid] }],
      ['DefaultDependencies', { sig: 'b', value: false }],
      ['MemoryAccounting', { sig: 'b', value: true }],
      ['CPUAccounting', { sig: 'b', value: true }],
      [v2 ? 'IOAccounting' : 'BlockIOAccounting', { sig: 'b', value: true }],
      ['TasksAccounting', { sig: 'b', value: true }],
      ...resourceProperties(resources, this.mode, () => {}),
    ];
    withBus(this.unit, (bus) => startScope(bus, this.unit.unit, props));
    this.started = true;
    await this.inner.create();
    await this.inner.addProcessAsync(pid);
    for (const w of this.inner.setResources(resources)) this.warn(w);
  }
}

export interface SystemdOpenOptions {
  cgroupsPath?: string;
  id: string;
  host: CgroupHost;
  warn?: (m: string) => void;
}

/**
 * The driver for a new container: checks that systemd runs, parses
 * cgroupsPath, asks the manager where its cgroups live, and refuses a unit
 * name that is taken. Creates nothing.
 */
export function openSystemdCgroup(opts: SystemdOpenOptions): CgroupManager {
  const user = (process.geteuid?.() ?? 0) !== 0;
  // The config's own mistakes first: they are the same on every host.
  const { slice, unit, slicePath } = parseSystemdPath(opts.cgroupsPath, opts.id, user);
  if (!user && !systemdRunning()) {
    throw new CgroupError(
      'systemd not running on this host, cannot use the systemd cgroup driver (--systemd-cgroup): /run/systemd/system does not exist',
      undefined,
      undefined,
      undefined,
      'ERR_UNSUPPORTED',
    );
  }
  const cgPath = withBus({ user }, (bus) => {
    const state = unitState(bus, unit);
    if (state === 'failed')
      resetFailed(bus, unit); // a leftover, as runc resets it
    else if (state !== undefined) {
      throw new CgroupError(`linux.cgroupsPath: systemd unit ${unit} already exists (${state})`, undefined, undefined, '/linux/cgroupsPath', 'ERR_EXISTS');
    }
    return posix.join('/', managerCgroup(bus), slicePath, unit);
  });
  const host = opts.host;
  const systemd = { unit, slice, user };
  let inner: CgroupManager;
  if (host.mode === 'v2') {
    const dir = posix.join(host.unified!.mountpoint, posix.relative(host.unified!.root, cgPath));
    inner = new V2Manager({ mode: 'v2', path: cgPath, dirs: { unified: dir }, created: [], systemd }, host.unified!.mountpoint);
  } else {
    const dirs: Record<string, string> = {};
    const mounts: Record<string, string> = {};
    for (const h of v1Hierarchies(host)) {
      for (const c of h.controllers.filter((c) => !c.startsWith('name=') || c === 'name=systemd')) {
        dirs[c] = posix.join(h.mountpoint, posix.relative(h.root, cgPath));
        mounts[c] = h.mountpoint;
      }
    }
    inner = new V1Manager({ mode: host.mode, path: cgPath, dirs, created: [], systemd }, mounts);
  }
  return new SystemdManager(inner, false, opts.warn);
}

/** The manager of a container created with the driver (update, pause, stats...). */
export function reopenSystemd(inner: CgroupManager): CgroupManager {
  return new SystemdManager(inner, true);
}
