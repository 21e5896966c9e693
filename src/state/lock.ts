import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { TsrunError } from '../errors.js';

/**
 * An exclusive lock per container, so that commands on one container run one
 * at a time: a listening abstract unix socket named after the container's
 * state directory. Binding it is exclusive (EADDRINUSE while held), the
 * kernel frees it when the holder dies (no stale locks), and libuv opens it
 * close-on-exec, so no container process inherits it. Unlike flock(2) it
 * needs no native addon (koffi costs each command several ms to load).
 * Caveat: abstract names are per network namespace; tsrun commands for one
 * container are expected to run in the same one, as engines run them.
 */
export async function lockDir(dir: string, timeoutMs = 30_000): Promise<() => void> {
  const name = '\0tsrun-lock:' + fnv1a64(resolve(dir));
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const server = await tryListen(name);
    if (server) return () => server.close();
    if (Date.now() > deadline) throw new TsrunError(`${dir}: another tsrun command holds the container's lock`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

function tryListen(name: string): Promise<Server | null> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? res(null) : rej(new TsrunError(`lock ${JSON.stringify(name.slice(1))}: ${e.code}`))));
    server.listen({ path: name }, () => {
      server.unref(); // a held lock must not keep the process alive
      res(server);
    });
  });
}

/** 64-bit FNV-1a of a path, in hex: short, stable lock names. */
function fnv1a64(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}
