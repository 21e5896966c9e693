/**
 * The tsrun state root the shim's containers live under: per namespace, as
 * the runc shim uses /run/containerd/runc/<namespace>. TSRUN_SHIM_ROOT (in
 * containerd's environment) moves it, e.g. for a private containerd.
 */
import { join } from 'node:path';

export function stateRoot(namespace: string): string {
  return join(process.env.TSRUN_SHIM_ROOT || '/run/containerd/tsrun', namespace);
}
