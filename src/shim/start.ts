/**
 * `containerd-shim-tsrun-v2 ... start`: containerd runs it in the bundle
 * directory and reads the shim's address from its stdout. One daemon
 * serves every container of a containerd namespace (so the containers of a
 * pod share it too): when registry.ts names a live one for this containerd,
 * start only writes the address file and prints its address. The POSIX sh
 * front end (front.sh) does exactly that without starting Node, and comes
 * here only when no daemon runs. Then start makes a socket of a name of its
 * own (a daemon that is exiting may still hold the previous one), hands it
 * to a new daemon (the same program without an action, fd 3) in a session
 * of its own, writes the address file and prints the address; the daemon
 * registers itself once it serves.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { socketAddress, socketPath, writeAddress } from './address.js';
import type { ShimFlags } from './flags.js';
import { liveDaemon, registryPath } from './registry.js';

export async function start(f: ShimFlags): Promise<void> {
  const bundle = process.cwd();
  const live = liveDaemon(registryPath(bundle, f.namespace), f.address);
  if (live) {
    writeAddress(bundle, live.address);
    process.stdout.write(live.address);
    return;
  }
  const address = socketAddress(f.address, f.namespace);
  const path = socketPath(address);
  mkdirSync(dirname(path), { recursive: true, mode: 0o711 });
  // A node:net listener whose fd the daemon inherits as fd 3 (no koffi on
  // this path). It is never closed here: libuv would unlink the socket;
  // this process just exits.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  try {
    writeAddress(bundle, address);
    const args = [...process.execArgv, process.argv[1]!, '-namespace', f.namespace, '-id', f.id, '-address', f.address];
    if (f.publishBinary) args.push('-publish-binary', f.publishBinary);
    if (f.debug) args.push('-debug');
    const child = spawn(process.execPath, args, { cwd: bundle, detached: true, stdio: ['ignore', 'ignore', 'ignore', fd] });
    child.unref();
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (e) {
    rmSync(path, { force: true });
    throw e;
  }
  process.stdout.write(address);
  process.exit(0);
}
