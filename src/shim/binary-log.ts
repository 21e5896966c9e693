/**
 * binary:// log URIs (`ctr run --log-uri binary:///path?arg=value`): a
 * logging program started per process, as containerd's runc shim starts
 * it: argv is the path then each query key and its value, the environment
 * only CONTAINER_ID and CONTAINER_NAMESPACE; fd 3 is the read end of the
 * process's stdout pipe, fd 4 of its stderr pipe, fd 5 the write end of a
 * pipe the program closes (or writes a byte to) once it is ready. The
 * container starts only after that, so no output is lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { pipe } from '../linux/libc.js';
import { Code, TtrpcError } from '../ttrpc/index.js';

export class BinaryLog {
  private constructor(
    /** The write ends the container gets as stdout and stderr. */
    readonly stdout: number,
    readonly stderr: number,
    private readonly child: ChildProcess,
  ) {}

  static async start(uri: string, env: { id: string; namespace: string }): Promise<BinaryLog> {
    const u = new URL(uri);
    const path = decodeURIComponent(u.pathname);
    const args: string[] = [];
    for (const [k, v] of u.searchParams) args.push(k, v);
    const fds: number[] = [];
    try {
      const [outR, outW] = pipe();
      fds.push(outR, outW);
      const [errR, errW] = pipe();
      fds.push(errR, errW);
      const [readyR, readyW] = pipe();
      fds.push(readyR, readyW);
      const child = spawn(path, args, {
        stdio: ['ignore', 'ignore', 'ignore', outR, errR, readyW],
        env: { CONTAINER_ID: env.id, CONTAINER_NAMESPACE: env.namespace },
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (e) => reject(new TtrpcError(Code.InvalidArgument, `${uri}: cannot start the logging binary: ${e.message}`)));
      });
      // Only the program holds these now: its exit then reads as EOF on the ready pipe.
      for (const fd of [outR, errR, readyW]) closeSync(fd);
      fds.splice(0, fds.length, outW, errW, readyR);
      await new Promise<void>((resolve) => {
        const ready = new Socket({ fd: readyR, readable: true, writable: false });
        const done = () => {
          ready.destroy();
          resolve();
        };
        ready.once('data', done);
        ready.once('end', done);
        ready.once('error', done);
      });
      if (child.exitCode !== null && child.exitCode !== 0) {
        throw new TtrpcError(Code.Unknown, `${uri}: the logging binary exited ${child.exitCode} before it was ready`);
      }
      return new BinaryLog(outW, errW, child);
    } catch (e) {
      for (const fd of fds) {
        try {
          closeSync(fd);
        } catch {
          /* the ready socket owned and closed it */
        }
      }
      throw e;
    }
  }

  /**
   * After the process exited (its write ends closed): the program reads EOF
   * and gets 2 s to finish, then SIGTERM (what runc's shim sends at once),
   * then SIGKILL.
   */
  async close(): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    const term = setTimeout(() => c.kill('SIGTERM'), 2000);
    const kill = setTimeout(() => c.kill('SIGKILL'), 4000);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
  }
}
