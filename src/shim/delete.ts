/**
 * `containerd-shim-tsrun-v2 ... delete`: containerd runs it when a shim
 * died (or its start failed) to clean up the container: kill and remove
 * it, unmount its rootfs, and print a DeleteResponse (exit status 137, as
 * runc's shim reports a container it had to kill). containerd 1.6 also runs
 * it after every normal removal: the sh front end (front.sh) answers that
 * case without Node.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { encode, T, timestamp } from './codec.js';
import type { ShimFlags } from './flags.js';
import { unmountRootfs } from './rootfs.js';
import { stateRoot } from './state-root.js';
import { readAddress, socketPath } from './address.js';
import { rmSync } from 'node:fs';
import { readRegistration, registryPath } from './registry.js';
import { isAlive } from '../linux/proc.js';

export async function deleteTask(f: ShimFlags): Promise<void> {
  const bundle = f.bundle || process.cwd();
  // containerd 1.6 runs delete after every shim exit, also after a clean
  // Delete and Shutdown: with no container left, do not load the library.
  const root = stateRoot(f.namespace);
  if (f.id && existsSync(join(root, f.id))) {
    try {
      // Loaded only here: the library's module graph is most of this command's start.
      const { ShimRuntime } = await import('./runtime-adapter.js');
      await new ShimRuntime(root).forceDelete(f.id);
    } catch (e) {
      if (!(e instanceof TsrunError && e.code === 'ERR_NOT_FOUND')) throw e;
    }
  }
  if (existsSync(join(bundle, 'rootfs'))) unmountRootfs(bundle);
  // The dead shim's socket, unless another shim (a pod's) still serves on it.
  const address = readAddress(bundle);
  if (address && f.id && !(await isServed(socketPath(address)))) rmSync(socketPath(address), { force: true });
  // A dead daemon's registration (its pid is gone): the next start must not read it.
  const reg = registryPath(bundle, f.namespace);
  const r = readRegistration(reg);
  if (r && !isAlive(r.pid, r.startTime)) rmSync(reg, { force: true });
  process.stdout.write(encode(T('DeleteResponse'), { pid: 0, exitStatus: 137, exitedAt: timestamp(new Date()) }));
}

async function isServed(path: string): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
