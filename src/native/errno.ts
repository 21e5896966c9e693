import { constants } from 'node:os';
import { ESCAPED_ROOT } from './generated/instruction-set.js';

const names = new Map<number, string>();
for (const [name, num] of Object.entries(constants.errno)) if (!names.has(num)) names.set(num, name);

/** "ENOENT (No such file or directory)"-style text for an errno number. */
export function errnoName(errno: number): string {
  if (errno === ESCAPED_ROOT) return 'path resolves outside the container root';
  return names.get(errno) ?? `errno ${errno}`;
}
