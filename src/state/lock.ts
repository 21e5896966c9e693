import { resolve } from 'node:path';
import { getSystemErrorName } from 'node:util';
import { net } from '../builtins.js';
import { TsrunError } from '../errors.js';

/**
 * An exclusive lock per container, so that commands on one container run one
 * at a time: an abstract unix socket named after the container's state
 * directory. Binding it is exclusive (EADDRINUSE while held), the kernel
 * frees it when the holder dies (no stale locks), and libuv opens it
 * close-on-exec, so no container process inherits it. Unlike flock(2) it
 * needs no native addon (koffi costs each command ~13 ms to load).
 * Caveat: abstract names are per network namespace; tsrun commands for one
 * container are expected to run in the same one, as engines run them.
 */
export async function lockDir(dir: string, timeoutMs = 30_000): Promise<() => void> {
  const name = '\0tsrun-lock:' + fnv1a64(resolve(dir));
  const deadline = Date.now() + timeoutMs;
  const makeHandle = pipeHandleFactory();
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const release = makeHandle ? tryBind(makeHandle(), name) : await tryListen(name);
    if (release) return release;
    if (Date.now() > deadline) throw new TsrunError(`${dir}: another tsrun command holds the container's lock`, { code: 'ERR_TIMEOUT', path: dir });
    await new Promise((r) => setTimeout(r, delay));
  }
}

interface PipeHandle {
  /** 0, or a negative errno. */
  bind(name: string): number;
  close(): void;
}

/**
 * libuv's pipe handle, as node:net uses it underneath. Loading node:net for
 * one bind costs every locking command ~4.5 ms (it pulls in all of streams);
 * the handle alone costs nothing. It sits behind process.binding, which Node
 * still offers for pipe_wrap but may withdraw: then node:net takes over. Both
 * bind the same address (the name, NUL-padded to the full sun_path), so
 * they exclude each other too.
 */
function pipeHandleFactory(): (() => PipeHandle) | null {
  try {
    const b = (process as unknown as { binding(n: string): { Pipe?: new (t: number) => PipeHandle; constants?: { SERVER?: number } } }).binding('pipe_wrap');
    const { Pipe, constants } = b;
    if (typeof Pipe !== 'function' || typeof constants?.SERVER !== 'number') return null;
    return () => new Pipe(constants.SERVER!);
  } catch {
    return null;
  }
}

function tryBind(handle: PipeHandle, name: string): (() => void) | null {
  const err = handle.bind(name);
  if (err === 0) return () => handle.close();
  handle.close();
  if (getSystemErrorName(err) === 'EADDRINUSE') return null;
  throw new TsrunError(`lock ${JSON.stringify(name.slice(1))}: bind: ${getSystemErrorName(err)}`);
}

/** The same lock through node:net, for a Node without the pipe_wrap binding. */
async function tryListen(name: string): Promise<(() => void) | null> {
  return new Promise((res, rej) => {
    const server = net().createServer();
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? res(null) : rej(new TsrunError(`lock ${JSON.stringify(name.slice(1))}: ${e.code}`))));
    server.listen({ path: name }, () => {
      server.unref(); // a held lock must not keep the process alive
      res(() => server.close());
    });
  });
}

/** 64-bit FNV-1a of a path, in hex: short, stable lock names. */
function fnv1a64(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}
