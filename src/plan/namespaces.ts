import { CLONE, NAMESPACE_FLAG } from '../linux/constants.js';
import { Op } from '../native/generated/instruction-set.js';
import type { NamespaceReference } from '../spec/types.js';

// Join order: the user namespace first (it decides what we may do in the
// others), the mount namespace last (after it, host paths no longer resolve).
const JOIN_ORDER = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface NamespacePlan {
  /** Flags for clone(2): namespaces to create (the cgroup one is unshared later, the time one before). */
  cloneFlags: number;
  /** setns ops to run before clone, for namespaces given by path. */
  joins: Op[];
  newCgroupNs: boolean;
  newUserNs: boolean;
  /**
   * clone(2) cannot make a time namespace (0x80 is in its exit-signal byte):
   * the executor unshares one before the clone, and the first child enters it.
   */
  newTimeNs: boolean;
}

export function planNamespaces(namespaces: readonly NamespaceReference[] = []): NamespacePlan {
  let cloneFlags = 0;
  for (const ns of namespaces) {
    if (!ns.path && ns.type !== 'cgroup' && ns.type !== 'time') cloneFlags |= NAMESPACE_FLAG[ns.type]!;
  }
  const joins = [...namespaces]
    .filter((ns) => ns.path)
    .sort((a, b) => JOIN_ORDER.indexOf(a.type) - JOIN_ORDER.indexOf(b.type))
    .map((ns) => Op.setns(`join ${ns.type} namespace ${ns.path}`, { path: ns.path!, nstype: NAMESPACE_FLAG[ns.type]! }));
  return {
    cloneFlags,
    joins,
    newCgroupNs: namespaces.some((n) => n.type === 'cgroup' && !n.path),
    newUserNs: (cloneFlags & CLONE.NEWUSER) !== 0,
    newTimeNs: namespaces.some((n) => n.type === 'time' && !n.path),
  };
}
