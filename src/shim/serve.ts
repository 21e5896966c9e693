/**
 * The shim daemon: serves the Task service of every container of one
 * containerd namespace on the socket `start` handed it as fd 3 (or, with
 * -listen, started by the sh front end, on one it makes itself), publishes
 * events, registers itself for later `start`s (registry.ts), and exits
 * once idle (lifetime.ts), or on SIGTERM/SIGINT, killing what it runs.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { TtrpcServer, type Handler } from '../ttrpc/index.js';
import { readAddress, socketAddress, socketPath } from './address.js';
import { TASK_SERVICE } from './codec.js';
import { Publisher } from './events.js';
import type { ShimFlags } from './flags.js';
import { idleMsFromEnv, Lifetime } from './lifetime.js';
import { LogSet } from './log.js';
import { register, registryPath, unregister } from './registry.js';
import { ShimRuntime } from './runtime-adapter.js';
import { stateRoot } from './state-root.js';
import { TaskService } from './task-service.js';

/**
 * How long an idle daemon waits for a next container, and then, unregistered,
 * for a connection from a `start` that saw it just before (README, "The shim").
 */
const IDLE_MS = 1000;
const GRACE_MS = 1000;
/** A new daemon waits this long for its first connection (front.sh waits ~10 s for its registration). */
const FIRST_MS = 15000;

export async function serve(f: ShimFlags): Promise<void> {
  const bundle = f.bundle || process.cwd();
  const address = f.listen ? socketAddress(f.address, f.namespace) : f.socket || readAddress(bundle);
  const registry = registryPath(bundle, f.namespace);
  // It outlives this bundle (containerd removes it with its container): hold no directory.
  process.chdir('/');
  // ps and pgrep see what it serves, not the first container's id.
  process.title = `containerd-shim-tsrun-v2 -namespace ${f.namespace} -address ${f.address}`;
  const log = new LogSet(f.debug);
  log.open(f.id, bundle);
  // The daemon's stdio is /dev/null: what kills it must reach containerd's log.
  process.on('uncaughtException', (e) => {
    log.error(`fatal: ${e.stack ?? e}`);
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => {
    log.error(`fatal: unhandled rejection: ${(e as Error)?.stack ?? e}`);
    process.exit(1);
  });
  const publisher = new Publisher({
    namespace: f.namespace,
    ttrpcAddress: process.env.TTRPC_ADDRESS,
    publishBinary: f.publishBinary,
    containerdAddress: f.address,
    log,
  });
  const rt = new ShimRuntime(stateRoot(f.namespace));
  let inflight = 0;
  let lifetime: Lifetime | null = null;
  const server = new TtrpcServer({
    onError: (e, req) => log.error(`${req.method}: ${(e as Error).stack ?? e}`),
    onConnection: () => lifetime?.touch(),
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log.info('shim shutting down');
    unregister(registry);
    await server.close(2000);
    await publisher.drain();
    if (address) rmSync(socketPath(address), { force: true });
    process.exit(code);
  };
  const service = new TaskService(rt, { namespace: f.namespace, publisher, log, idle: () => lifetime?.check() });
  lifetime = new Lifetime({
    idleMs: idleMsFromEnv(process.env, IDLE_MS),
    firstMs: FIRST_MS,
    graceMs: GRACE_MS,
    busy: () => service.size > 0 || inflight > 0,
    unregister: () => unregister(registry),
    exit: () => void stop(0),
  });
  // Every call counts as use: the daemon never exits under a call (Wait may last long).
  const handlers: Record<string, Handler> = {};
  for (const [name, h] of Object.entries(service.handlers())) {
    handlers[name] = async (req) => {
      inflight++;
      lifetime!.touch();
      try {
        return await h(req);
      } finally {
        inflight--;
        lifetime!.check();
      }
    };
  }
  server.register(TASK_SERVICE, handlers);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => void service.killAll().finally(() => stop(0)));
  }
  // containerd holds no reference to the shim's stdio: a SIGPIPE on a FIFO must not end the shim.
  process.on('SIGPIPE', () => {});
  if (f.listen && address) mkdirSync(dirname(socketPath(address)), { recursive: true, mode: 0o711 });
  await server.listen(f.listen || f.socket ? socketPath(address!) : { fd: 3 });
  if (address && f.address) register(registry, address, f.address);
  if (f.listen) {
    // front.sh waits for this line and the end of the pipe; fd 1 then points to /dev/null again.
    writeSync(1, `${address}\n`);
    closeSync(1);
    openSync('/dev/null', 'w');
  }
  lifetime.check();
  log.info(`shim serving namespace ${f.namespace}`);
}
