import type { Device, DeviceCgroup, Resources } from '../spec/types.js';
import { runcDefaultDeviceRules } from './devices.js';

/**
 * The device cgroup rules a container really gets: the config's own rules,
 * then (as runc does) the default devices every container needs and an allow
 * rule for each device listed in linux.devices, so that creating them and
 * using /dev/null and friends keeps working under a "deny all" config.
 */
export function effectiveResources(resources: Resources | undefined, devices: readonly Device[] = []): Resources {
  const listed: DeviceCgroup[] = devices
    .filter((d) => d.type !== 'p')
    .map((d) => ({ allow: true, type: d.type === 'u' ? 'c' : d.type, major: d.major, minor: d.minor, access: 'rwm' }));
  return { ...resources, devices: [...(resources?.devices ?? []), ...runcDefaultDeviceRules(), ...listed] };
}
