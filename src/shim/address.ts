/**
 * Where a shim listens: unix:///run/containerd/s/<sha256(address/namespace/group)>,
 * as containerd 1.6's shims compute it (short enough for sun_path whatever
 * the bundle path), written to <bundle>/address for containerd and for a
 * re-executed shim.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export const SOCKET_DIR = '/run/containerd/s';

/**
 * A new daemon's socket: a name of its own (this process and random bytes), since a
 * daemon of the same namespace that is exiting may still hold the previous one.
 */
export function socketAddress(containerdAddress: string, namespace: string): string {
  const d = createHash('sha256')
    .update(join(containerdAddress, namespace, `${process.pid}-${randomBytes(8).toString('hex')}`))
    .digest('hex');
  return `unix://${join(SOCKET_DIR, d)}`;
}

export function socketPath(address: string): string {
  return address.replace(/^unix:\/\//, '');
}

export function writeAddress(bundle: string, address: string): void {
  const tmp = join(bundle, '.address');
  writeFileSync(tmp, address);
  renameSync(tmp, join(bundle, 'address'));
}

export function readAddress(bundle: string): string | null {
  try {
    return readFileSync(join(bundle, 'address'), 'utf8').trim();
  } catch {
    return null;
  }
}
