import type { ContainerRecord } from '../state/store.js';
import type { Status } from '../state/status.js';
import { SPEC_VERSION } from '../spec/version.js';

/** The state document hooks get on stdin (runtime.md "State"). */
export function hookState(rec: ContainerRecord, status: Status): string {
  return JSON.stringify({
    ociVersion: SPEC_VERSION,
    id: rec.id,
    status,
    pid: status === 'stopped' ? 0 : rec.pid,
    bundle: rec.bundle,
    ...(rec.annotations && Object.keys(rec.annotations).length ? { annotations: rec.annotations } : {}),
  });
}
