/**
 * The shim daemon: serves the Task service on the socket `start` handed it
 * as fd 3, publishes events, and exits after Shutdown once its last task
 * is deleted (or on SIGTERM/SIGINT, killing what it runs).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { TtrpcServer } from '../ttrpc/index.js';
import { readAddress, socketPath } from './address.js';
import { TASK_SERVICE } from './codec.js';
import { Publisher } from './events.js';
import type { ShimFlags } from './flags.js';
import { openLog } from './log.js';
import { ShimRuntime } from './runtime-adapter.js';
import { stateRoot } from './state-root.js';
import { TaskService } from './task-service.js';

export async function serve(f: ShimFlags): Promise<void> {
  const bundle = f.bundle || process.cwd();
  const log = openLog(join(bundle, 'log'), f.debug);
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
  const server = new TtrpcServer({ onError: (e, req) => log.error(`${req.method}: ${(e as Error).stack ?? e}`) });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log.info('shim shutting down');
    await server.close(2000);
    await publisher.drain();
    const address = readAddress(bundle);
    if (address) rmSync(socketPath(address), { force: true });
    process.exit(code);
  };
  const service = new TaskService(rt, { namespace: f.namespace, publisher, log, shutdown: () => void stop(0) });
  server.register(TASK_SERVICE, service.handlers());
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => void service.killAll().finally(() => stop(0)));
  }
  // containerd holds no reference to the shim's stdio: a SIGPIPE on a FIFO must not end the shim.
  process.on('SIGPIPE', () => {});
  await server.listen(f.socket ? f.socket.replace(/^unix:\/\//, '') : { fd: 3 });
  log.info(`shim serving ${f.namespace}/${f.id}`);
}
