// The lifecycle view of a container's cgroup, for start, kill, delete and
// exec: list, signal, freeze, join and remove. It loads neither the resource
// writers nor the stats readers (index.ts has those): measured, the full
// cgroup layer cost every kill, start and delete ~4 ms of compiling.
import type { CgroupHandle, CgroupRecord } from './types.js';
import { V1Cgroup } from './v1.js';
import { V2Cgroup } from './v2.js';

/** The handle for a container whose record was saved at create. No detection, no I/O. */
export function reopenCgroupHandle(record: CgroupRecord): CgroupHandle {
  return record.mode === 'v2' ? new V2Cgroup(record) : new V1Cgroup(record);
}
