import type { Resources } from '../spec/types.js';
import { runcDefaultDeviceRules } from './devices.js';

/**
 * The device cgroup rules a container really gets: the config's own rules
 * (linux.resources.devices), then, as runc does, the default devices every
 * container needs (/dev/null and friends, and mknod of any device, so that
 * the nodes of linux.devices can be made). A linux.devices entry adds no
 * allow rule: it creates a node, and whether the container may open it is
 * for linux.resources.devices to say (runc: a deny there is kept).
 */
export function effectiveResources(resources: Resources | undefined): Resources {
  return { ...resources, devices: [...(resources?.devices ?? []), ...runcDefaultDeviceRules()] };
}
