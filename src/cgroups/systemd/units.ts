// The systemd manager's D-Bus methods the driver uses
// (org.freedesktop.systemd1.Manager, see org.freedesktop.systemd1(5)):
// start a transient scope and wait for its job, change its properties, stop
// it. Each call opens its own connection: a command makes one or two calls.
import { statSync } from 'node:fs';
import { TsrunError } from '../../errors.js';
import { sleepMs } from '../fsutil.js';
import { Bus, BusError, type Typed } from './bus.js';
import type { Property } from './properties.js';

const DEST = 'org.freedesktop.systemd1';
const ROOT = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const PROPS = 'org.freedesktop.DBus.Properties';
const s = (value: string): Typed => ({ sig: 's', value });

/** runc's IsRunningSystemd: systemd creates /run/systemd/system at boot, and only systemd does. */
export function systemdRunning(): boolean {
  try {
    return statSync('/run/systemd/system').isDirectory();
  } catch {
    return false;
  }
}

/** Which manager: root's (system bus) or the caller's own systemd --user (rootless). */
export interface Manager {
  user: boolean;
}

export function withBus<T>(m: Manager, fn: (bus: Bus) => T): T {
  const bus = Bus.connect(m.user);
  try {
    return fn(bus);
  } finally {
    bus.close();
  }
}

/** The manager's own cgroup ("" or "/" for PID 1, "/user.slice/user-1000.slice/user@1000.service" for a user manager). */
export function managerCgroup(bus: Bus): string {
  return getProperty(bus, ROOT, MANAGER, 'ControlGroup', 's') as string;
}

function getProperty(bus: Bus, path: string, iface: string, name: string, sig: string): unknown {
  return bus.call(DEST, path, PROPS, 'Get', [s(iface), s(name)], 'v' + sig);
}

/** The unit's ActiveState ("active", "failed"...), or undefined when systemd has no such unit loaded. */
export function unitState(bus: Bus, unit: string): string | undefined {
  let path: string;
  try {
    path = bus.call(DEST, ROOT, MANAGER, 'GetUnit', [s(unit)], 'o') as string;
  } catch (e) {
    if (e instanceof BusError && e.busName === 'org.freedesktop.systemd1.NoSuchUnit') return undefined;
    throw e;
  }
  return getProperty(bus, path, 'org.freedesktop.systemd1.Unit', 'ActiveState', 's') as string;
}

/** A failed unit stays loaded (and its name taken) until reset. */
export function resetFailed(bus: Bus, unit: string): void {
  try {
    bus.call(DEST, ROOT, MANAGER, 'ResetFailedUnit', [s(unit)]);
  } catch (e) {
    if (!(e instanceof BusError && e.busName === 'org.freedesktop.systemd1.NoSuchUnit')) throw e;
  }
}

/**
 * StartTransientUnit(name, "replace", properties, no aux units), then waits
 * for the job to finish and checks that the unit is active. A failed job
 * leaves a failed unit: it is reset, so the name is free again, and the
 * error says what systemd said.
 */
export function startScope(bus: Bus, unit: string, props: Property[]): void {
  const job = bus.call(DEST, ROOT, MANAGER, 'StartTransientUnit', [s(unit), s('replace'), { sig: 'a(sv)', value: props }, { sig: 'a(sa(sv))', value: [] }], 'o') as string;
  waitJob(bus, job, unit);
  const state = unitState(bus, unit);
  if (state !== 'active') {
    if (state === 'failed') resetFailed(bus, unit);
    throw new TsrunError(`systemd could not start ${unit}: the unit is ${state ?? 'gone'} after its start job (see journalctl -u ${unit})`, {
      code: 'ERR_SYSCALL',
      pointer: '/linux/cgroupsPath',
    });
  }
}

/** SetUnitProperties(name, runtime=true, properties): what `systemctl set-property --runtime` does. */
export function setProperties(bus: Bus, unit: string, props: Property[]): void {
  if (props.length) bus.call(DEST, ROOT, MANAGER, 'SetUnitProperties', [s(unit), { sig: 'b', value: true }, { sig: 'a(sv)', value: props }]);
}

/** StopUnit and wait; a unit already gone is fine. A unit that failed on the way is reset. */
export function stopScope(bus: Bus, unit: string): void {
  let job: string;
  try {
    job = bus.call(DEST, ROOT, MANAGER, 'StopUnit', [s(unit), s('replace')], 'o') as string;
  } catch (e) {
    if (e instanceof BusError && e.busName === 'org.freedesktop.systemd1.NoSuchUnit') return;
    throw e;
  }
  waitJob(bus, job, unit);
  if (unitState(bus, unit) === 'failed') resetFailed(bus, unit);
}

/**
 * Waits until the job object is gone (systemd removes it when the job
 * finishes). runc waits for the JobRemoved signal instead; a scope's job
 * completes in the same manager iteration, so polling costs one or two
 * round trips and needs no signal handling.
 */
function waitJob(bus: Bus, job: string, unit: string, timeoutMs = 30_000): void {
  const gone = new Set(['org.freedesktop.DBus.Error.UnknownObject', 'org.freedesktop.systemd1.NoSuchJob', 'org.freedesktop.DBus.Error.UnknownInterface', 'org.freedesktop.DBus.Error.UnknownMethod']);
  const start = Date.now();
  for (let step = 1; ; step = Math.min(step * 2, 50)) {
    try {
      getProperty(bus, job, 'org.freedesktop.systemd1.Job', 'State', 's');
    } catch (e) {
      if (e instanceof BusError && gone.has(e.busName)) return;
      throw e;
    }
    if (Date.now() - start > timeoutMs) throw new TsrunError(`systemd job ${job} for ${unit} did not finish in ${timeoutMs / 1000} s`, { code: 'ERR_TIMEOUT' });
    sleepMs(step);
  }
}
