import { existsSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { moveNetDevicesOut } from '../linux/net-devices.js';
import { reopenCgroupHandle } from '../cgroups/handle.js';
import { cgroupfsRecord } from '../cgroups/record.js';
import { SystemdHandle } from '../cgroups/systemd/scope.js';
import { checkId, type ContainerRecord } from '../state/store.js';
import { lockDir } from '../state/lock.js';
import { containerStatus } from '../state/status.js';
import type { RuntimeContext } from './context.js';
import { killAndWait } from './wait.js';
import { unmountUnder, usesHostMountNs } from '../rootfs/host-mounts.js';
import { runPoststop } from './poststop.js';
import { salvage } from './salvage.js';

export interface DeleteOptions {
  /** Kill a created, running or paused container first. */
  force?: boolean;
}

/**
 * `tsrun delete`: removes a stopped container's cgroup and state, then runs
 * its poststop hooks. A created, running or paused container only with
 * --force, which kills it first. With --force an unknown id is not an error.
 */
export async function deleteContainer(ctx: RuntimeContext, id: string, opts: DeleteOptions = {}): Promise<void> {
  checkId(id);
  const store = ctx.store;
  if (!store.exists(id)) {
    if (opts.force) return;
    throw new TsrunError('container does not exist', { code: 'ERR_NOT_FOUND' });
  }
  const dir = store.dir(id);
  let unlock: () => void;
  try {
    unlock = await lockDir(dir);
  } catch (e) {
    // A concurrent delete removed the directory before this one could lock it.
    if (opts.force && e instanceof TsrunError && e.code === 'ERR_NOT_FOUND') return;
    throw e;
  }
  try {
    // A concurrent delete removed it while this one waited for the lock.
    if (!store.exists(id)) {
      if (opts.force) return;
      throw new TsrunError('container does not exist', { code: 'ERR_NOT_FOUND' });
    }
    const st = store.readState(id);
    if (!st?.ok) {
      const reason = st ? st.reason : 'it has no state.json';
      // A damaged record (or none) cannot say what the container is: only --force
      // removes what can be found of it (salvage.ts).
      if (opts.force) return await salvage(ctx, id, st?.raw, reason, !st);
      if (st) throw new TsrunError(`container ${id}: ${store.statePath(id)} is damaged (${reason}): delete --force removes what is left of it`, { code: 'ERR_BAD_STATE', path: store.statePath(id) });
      // A create killed before it wrote state.json, as runc: remove the directory,
      // unless processes are left in the cgroup such a create would have made.
      if (await hasProcesses(id)) throw new TsrunError(`container ${id} has no state.json but processes are left in its cgroup: delete --force kills them`, { code: 'ERR_BAD_STATE' });
      await store.remove(id);
      return;
    }
    const rec = st.record;
    const status = containerStatus(rec, dir);
    // runtime.md: deleting a container that is not stopped has no effect and is an error.
    if (status !== 'stopped' && status !== 'creating' && !opts.force) {
      throw new TsrunError(`cannot delete container ${id} that is not stopped: ${status}`, { code: 'ERR_BAD_STATE' });
    }
    // While the namespace lives, its moved network devices go back to the host.
    if (status !== 'stopped' && rec.config.linux?.netDevices) moveNetDevicesOut(rec.config.linux.netDevices, rec.pid);
    await destroy(rec);
    await store.remove(id);
    await runPoststop(ctx, rec);
  } finally {
    unlock();
  }
}

/** Kills whatever is left of the container and removes its cgroup. */
async function destroy(rec: ContainerRecord): Promise<void> {
  // A systemd scope is removed by stopping the unit (the only command that talks to systemd besides create and update).
  const cg = rec.cgroup ? (rec.cgroup.systemd ? new SystemdHandle(reopenCgroupHandle(rec.cgroup)) : reopenCgroupHandle(rec.cgroup)) : undefined;
  if (cg) {
    // Without a pid namespace, children of the init outlive it: the cgroup knows them all.
    if (cg.pids().length) {
      cg.killAll(9);
      if (cg.isFrozen()) cg.thaw();
    }
  }
  if (rec.pid) {
    if (!(await killAndWait(rec.pid, rec.startTime))) throw new TsrunError(`container init ${rec.pid} did not die`, { code: 'ERR_TIMEOUT' });
  }
  await cg?.destroy();
  if (usesHostMountNs(rec.config)) {
    const errors = unmountUnder(rec.rootfs);
    if (errors.length) throw new TsrunError(`unmounting the container's mounts: ${errors.join('; ')}`);
  }
}

/** True when the cgroup a container of this id gets by default holds processes. */
async function hasProcesses(id: string): Promise<boolean> {
  const cg = reopenCgroupHandle(cgroupfsRecord({ id }).record);
  return Object.values(cg.record.dirs).some((d) => existsSync(d)) && cg.pids().length > 0;
}
