import { readCgOpt } from './fsutil.js';
import type { CgroupRecord } from './types.js';

/**
 * How many processes the OOM killer killed in the cgroup: "oom_kill N" in
 * memory.oom_control (v1) or memory.events (v2). 0 without a memory controller.
 */
export function oomKills(record: CgroupRecord): number {
  const [dir, file] = record.mode === 'v2' ? [record.dirs.unified, 'memory.events'] : [record.dirs.memory, 'memory.oom_control'];
  if (!dir) return 0;
  const text = readCgOpt(dir, file) ?? '';
  return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
}
