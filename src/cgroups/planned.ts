import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CgroupRecord } from './types.js';

/**
 * The directories create() is about to make (each missing dir and its
 * missing parents), so that state.json can name them before they exist: a
 * create killed half-way then leaves nothing delete --force cannot remove.
 */
export function dirsToCreate(rec: CgroupRecord): string[] {
  const out = new Set<string>();
  for (const dir of new Set(Object.values(rec.dirs))) {
    for (let d = dir; !existsSync(d) && d !== '/'; d = dirname(d)) out.add(d);
  }
  return [...out].sort((a, b) => a.length - b.length);
}
