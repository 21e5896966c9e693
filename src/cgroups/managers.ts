// The full drivers: the lifecycle classes of v1.ts and v2.ts plus writing
// linux.resources. Kept apart so that commands which never set a limit
// (handle.ts) do not load the resource writers.
import type { Resources } from '../spec/types.js';
import type { CgroupManager } from './types.js';
import { V1Cgroup } from './v1.js';
import { V2Cgroup } from './v2.js';
import { setResourcesV1 } from './v1-resources.js';
import { setResourcesV2 } from './v2-resources.js';

export class V1Manager extends V1Cgroup implements CgroupManager {
  setResources(resources: Resources, opts?: { update?: boolean }): string[] {
    return setResourcesV1(this.record.dirs, resources, opts?.update ?? false);
  }
}

export class V2Manager extends V2Cgroup implements CgroupManager {
  /** opts.update changes nothing on v2: every write is already an in-place update. */
  setResources(resources: Resources, _opts?: { update?: boolean }): string[] {
    return setResourcesV2(this.dir, resources);
  }
}
