// The library's stdio option, as child_process.spawn takes it, turned into
// the three fds the executor (and so the container's process) gets. 'pipe'
// makes a real pipe, not the socketpair Node's spawn would: a container
// program may open /dev/stdout, which fails on a socket.
import { closeSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { netModule } from '../builtins.js';
import { TsrunError } from '../errors.js';
import { pipe } from '../linux/libc.js';

/** What one of a container process's fds 0-2 is: like child_process.spawn's stdio entries. */
export type StdioEntry = 'pipe' | 'inherit' | 'ignore' | number | { fd: number } | Readable | Writable | null | undefined;

export interface PreparedStdio {
  /** For the executor's spawn. */
  fds: ('inherit' | 'ignore' | number)[];
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Once the executor has its copies: close the container's ends here. */
  spawned(): void;
  /** A failed create: close everything made here. */
  abort(): void;
}

/** The fd behind a stream (fs streams have .fd, sockets and ttys a handle with one), or undefined. */
function fdOf(entry: object): number | undefined {
  const e = entry as { fd?: unknown; _handle?: { fd?: unknown } };
  if (typeof e.fd === 'number' && e.fd >= 0) return e.fd;
  if (typeof e._handle?.fd === 'number' && e._handle.fd >= 0) return e._handle.fd;
  return undefined;
}

export function prepareStdio(stdio: StdioEntry[] | undefined): PreparedStdio {
  const given = stdio ?? ['inherit', 'inherit', 'inherit'];
  if (!Array.isArray(given) || given.length > 3) {
    throw new TsrunError('stdio: must be an array of at most three entries (stdin, stdout, stderr)', { code: 'ERR_INVALID_ARGUMENT' });
  }
  const fds: ('inherit' | 'ignore' | number)[] = [];
  const streams: [Writable | null, Readable | null, Readable | null] = [null, null, null];
  const childEnds: number[] = [];
  const ours: Socket[] = [];
  const abort = () => {
    for (const fd of childEnds.splice(0)) closeSync(fd);
    for (const s of ours.splice(0)) s.destroy();
  };
  try {
    for (let i = 0; i < 3; i++) {
      const e = given[i] ?? 'inherit';
      if (e === 'inherit' || e === 'ignore') fds.push(e);
      else if (e === 'pipe') {
        const [r, w] = pipe();
        const [child, mine] = i === 0 ? [r, w] : [w, r];
        childEnds.push(child);
        fds.push(child);
        const s = new (netModule().Socket)({ fd: mine, readable: i !== 0, writable: i === 0 });
        ours.push(s);
        streams[i] = s;
      } else if (typeof e === 'number') {
        if (!Number.isInteger(e) || e < 0) throw new TsrunError(`stdio[${i}]: ${e} is not a file descriptor`, { code: 'ERR_INVALID_ARGUMENT' });
        fds.push(e);
      } else if (typeof e === 'object' && e !== null) {
        const fd = fdOf(e);
        if (fd === undefined) {
          throw new TsrunError(`stdio[${i}]: the stream has no file descriptor (use 'pipe' and pipe it yourself)`, { code: 'ERR_INVALID_ARGUMENT' });
        }
        fds.push(fd);
      } else {
        throw new TsrunError(`stdio[${i}]: ${JSON.stringify(e)} is not 'pipe', 'inherit', 'ignore', a file descriptor or a stream`, { code: 'ERR_INVALID_ARGUMENT' });
      }
    }
  } catch (err) {
    abort();
    throw err;
  }
  return {
    fds,
    stdin: streams[0],
    stdout: streams[1],
    stderr: streams[2],
    spawned: () => {
      for (const fd of childEnds.splice(0)) closeSync(fd);
    },
    abort,
  };
}
