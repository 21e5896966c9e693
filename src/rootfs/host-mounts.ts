import { readFileSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { umountDetach } from '../linux/libc.js';
import type { Spec } from '../spec/types.js';

/** True when the container has no mount namespace: its mounts were made in the host's. */
export function usesHostMountNs(spec: Spec): boolean {
  return !(spec.linux?.namespaces ?? []).some((n) => n.type === 'mount');
}

/**
 * Detaches every mount at or below rootfs in our mount namespace, newest
 * first (mountinfo lists mounts in the order they were made).
 */
export function unmountUnder(rootfs: string): string[] {
  const prefix = rootfs.endsWith('/') ? rootfs : rootfs + '/';
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === rootfs || p.startsWith(prefix));
  const errors: string[] = [];
  for (const p of points.reverse()) {
    try {
      umountDetach(p);
    } catch (e) {
      // A parent detached first takes its children with it.
      const errno = e instanceof TsrunError ? e.errno : undefined;
      if (errno !== 'EINVAL' && errno !== 'ENOENT') errors.push((e as Error).message);
    }
  }
  return errors;
}
