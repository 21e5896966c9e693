// exec --cgroup (runc): the exec'd process goes into an existing sub-cgroup
// of the container's cgroup. Each value is "<sub>" (every hierarchy) or
// "<controller>:<sub>" (v1: that controller's hierarchy, v2: only "" or the
// unified name). As runc, the sub-cgroup must exist, and cannot climb out.
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import type { CgroupRecord } from './types.js';
import { writeProc } from './procs.js';
import { CgroupError } from './errors.js';

/** controller (or "" for all) -> sub path, from the --cgroup values. */
function parse(values: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const colon = v.indexOf(':');
    const [controllers, sub] = colon < 0 ? ['', v] : [v.slice(0, colon), v.slice(colon + 1)];
    const clean = posix.relative('/', posix.normalize('/' + sub));
    if (!clean) throw new CgroupError(`--cgroup ${JSON.stringify(v)}: give a sub-cgroup of the container's cgroup`, undefined, undefined, undefined, 'ERR_INVALID_ARGUMENT');
    for (const c of controllers.split(',')) {
      if (out.has(c)) throw new CgroupError(`--cgroup ${JSON.stringify(v)}: ${c || 'the default'} sub-cgroup is given twice`, undefined, undefined, undefined, 'ERR_INVALID_ARGUMENT');
      out.set(c, clean);
    }
  }
  return out;
}

/** The cgroup directories the process joins (one per hierarchy), each checked to exist. */
export function subCgroupDirs(rec: CgroupRecord, values: readonly string[]): string[] {
  const subs = parse(values);
  const byDir = new Map<string, string[]>();
  for (const [controller, dir] of Object.entries(rec.dirs)) byDir.set(dir, [...(byDir.get(dir) ?? []), controller]);
  const known = new Set(Object.keys(rec.dirs).map((c) => (rec.mode === 'v2' ? '' : c)));
  for (const c of subs.keys())
    if (c && !known.has(c))
      throw new CgroupError(
        `--cgroup ${c}:...: the container has no ${c} cgroup (it has: ${[...known].filter(Boolean).join(', ') || 'one unified hierarchy'})`,
        undefined,
        undefined,
        undefined,
        'ERR_INVALID_ARGUMENT',
      );
  const out: string[] = [];
  for (const [dir, controllers] of byDir) {
    const named = controllers.map((c) => subs.get(rec.mode === 'v2' ? '' : c)).find((s) => s !== undefined);
    const sub = named ?? subs.get('');
    const target = sub ? posix.join(dir, sub) : dir;
    if (sub && !existsSync(target)) throw new CgroupError(`--cgroup: the sub-cgroup ${target} does not exist`, target, undefined, undefined, 'ERR_NOT_FOUND');
    out.push(target);
  }
  return out;
}

/** Moves pid into the given cgroup directories. */
export function joinCgroupDirs(dirs: readonly string[], pid: number): void {
  for (const d of dirs) writeProc(d, pid);
}
