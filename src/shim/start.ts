/**
 * `containerd-shim-tsrun-v2 ... start`: containerd runs it in the bundle
 * directory and reads the shim's address from its stdout. It makes the
 * socket, hands it to a daemon (the same program without an action, fd 3)
 * in a process group of its own, writes the address file and prints the
 * address. Containers of one pod (CRI sandbox-id annotation) share the
 * first one's shim: the socket exists and answers, its address is reused.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import { socketAddress, socketPath, writeAddress } from './address.js';
import type { ShimFlags } from './flags.js';

const GROUP_ANNOTATIONS = ['io.kubernetes.cri.sandbox-id'];

function group(id: string): string {
  try {
    const ann = JSON.parse(readFileSync('config.json', 'utf8')).annotations ?? {};
    for (const k of GROUP_ANNOTATIONS) if (typeof ann[k] === 'string' && ann[k]) return ann[k];
  } catch {
    /* no readable config: one shim per container */
  }
  return id;
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    setTimeout(() => done(false), 200).unref();
  });
}

export async function start(f: ShimFlags): Promise<void> {
  const bundle = process.cwd();
  const address = socketAddress(f.address, f.namespace, group(f.id));
  const path = socketPath(address);
  mkdirSync(dirname(path), { recursive: true, mode: 0o711 });
  if (existsSync(path)) {
    if (await canConnect(path)) {
      writeAddress(bundle, address);
      process.stdout.write(address);
      return;
    }
    rmSync(path, { force: true });
  }
  // A node:net listener whose fd the daemon inherits as fd 3 (no koffi on
  // this path: start is on every container's critical path). It is never
  // closed here: libuv would unlink the socket; this process just exits.
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
