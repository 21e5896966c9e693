import { problem, type Problem } from './problem.js';
import { quote } from '../text.js';
import type { Spec } from './types.js';

/**
 * How deep a config may nest. The state keeps the config, and writing it
 * (JSON.stringify recurses) overflows Node's stack a few thousand levels
 * down; runc (Go's decoder) refuses beyond 10000. No real config comes near.
 */
export const MAX_JSON_DEPTH = 1000;
/** HOST_NAME_MAX: sethostname and setdomainname take at most this many bytes. */
export const HOST_NAME_MAX = 64;

/**
 * The first value nested deeper than MAX_JSON_DEPTH: its JSON pointer cut
 * to three levels (the full one is as long as the nesting), or null.
 * Iterative: no recursion to overflow.
 */
export function tooDeep(value: unknown): { pointer: string; shown: string } | null {
  type Frame = { v: unknown; depth: number; parent: Frame | null; key: string };
  const stack: Frame[] = [{ v: value, depth: 0, parent: null, key: '' }];
  while (stack.length) {
    const f = stack.pop()!;
    if (f.depth > MAX_JSON_DEPTH) {
      const keys: string[] = [];
      for (let p: Frame | null = f; p?.parent; p = p.parent) keys.push(p.key);
      const pointer = keys.reverse().map((k) => '/' + k.replace(/~/g, '~0').replace(/\//g, '~1'));
      const start = pointer.slice(0, 3).join('');
      return { pointer: start, shown: start + (pointer.length > 3 ? `/… (${pointer.length} levels)` : '') };
    }
    if (typeof f.v === 'object' && f.v !== null) {
      for (const [k, v] of Object.entries(f.v)) if (typeof v === 'object' && v !== null) stack.push({ v, depth: f.depth + 1, parent: f, key: k });
    }
  }
  return null;
}

/** What the kernel bounds or cannot take (sizes, NUL bytes in C strings), as "/pointer: problem" strings. */
export function checkLimits(spec: Spec): Problem[] {
  const out: Problem[] = [];
  // Checked before anything exists: mkdir would create the parents, then fail at the NUL.
  const cgroupsPath = spec.linux?.cgroupsPath;
  if (cgroupsPath?.includes('\0')) out.push(problem('/linux/cgroupsPath', `${quote(cgroupsPath, 80)} contains a NUL byte`));
  for (const field of ['hostname', 'domainname'] as const) {
    const v = spec[field];
    const n = v === undefined ? 0 : Buffer.byteLength(v);
    if (n > HOST_NAME_MAX) out.push(problem(`/${field}`, `${quote(v!, 40)} is ${n} bytes, more than the kernel's ${HOST_NAME_MAX} (HOST_NAME_MAX)`));
  }
  return out;
}
