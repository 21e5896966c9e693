import { configError } from '../errors.js';
// linux.memoryPolicy (config-linux.md, runtime-spec 1.3): the NUMA memory
// policy of the container's process, set with set_mempolicy(2) in the init
// before exec (a policy is inherited across fork and kept across execve).
import { Op } from '../native/generated/instruction-set.js';
import type { Spec } from '../spec/types.js';

// linux/mempolicy.h
const MODES: Record<string, number> = {
  MPOL_DEFAULT: 0,
  MPOL_PREFERRED: 1,
  MPOL_BIND: 2,
  MPOL_INTERLEAVE: 3,
  MPOL_LOCAL: 4,
  MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
};
const FLAGS: Record<string, number> = { MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15 };
/** Modes that need nodes, and the ones that take none (set_mempolicy(2)). */
const NEED_NODES = new Set(['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY']);
const NO_NODES = new Set(['MPOL_DEFAULT', 'MPOL_LOCAL']);
/** The mask the executor passes: 1024 nodes (the kernel's MAX_NUMNODES is at most that). */
const MASK_BYTES = 128;

/** "0-3,7" -> a node mask. */
function nodeMask(list: string, field: string): Buffer {
  const mask = Buffer.alloc(MASK_BYTES);
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || hi < lo || hi >= MASK_BYTES * 8) throw configError(`${field}`, `${JSON.stringify(list)} is not a node list such as "0-3,7"`);
    for (let n = lo; n <= hi; n++) mask[n >> 3]! |= 1 << (n & 7);
  }
  return mask;
}

export function planMemoryPolicy(p: NonNullable<Spec['linux']>['memoryPolicy']): Op[] {
  if (!p) return [];
  const at = '/linux/memoryPolicy';
  if (!p.mode) throw configError(`${at}/mode`, `a memory policy needs a mode`);
  let mode = MODES[p.mode]!;
  const nodes = p.nodes?.trim() ?? '';
  if (NEED_NODES.has(p.mode) && !nodes) throw configError(`${at}/nodes`, `${p.mode} needs nodes`);
  if (NO_NODES.has(p.mode) && nodes) throw configError(`${at}/nodes`, `${p.mode} takes no nodes`);
  (p.flags ?? []).forEach((f) => (mode |= FLAGS[f]!));
  const mask = nodes ? nodeMask(nodes, `${at}/nodes`) : Buffer.alloc(0);
  const what = `set_mempolicy ${[p.mode, ...(p.flags ?? [])].join('|')}${nodes ? ` nodes ${nodes}` : ''}`;
  return [Op.setMempolicy(what, { mode, nodes: mask })];
}
