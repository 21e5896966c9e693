/**
 * A process's IO as containerd hands it to a shim: paths of FIFOs (or
 * file:// URIs) for stdin, stdout and stderr, or a terminal.
 *
 * Without a terminal the container gets the FIFOs themselves, no copying:
 * stdout and stderr opened read-write (a write never fails with EPIPE when
 * the client goes away, as the runc shim keeps a reader for the same
 * reason); stdin read-only, opened while the shim holds a read-write fd so
 * that the open does not wait for a writer. The shim's own stdin fd is the
 * last writer it controls: CloseIO closes it, and the container then reads
 * EOF once the client has closed its end too.
 * With a terminal, bytes are copied between the FIFOs and the pty master.
 * Log URIs: file:// is opened for appending and given to the container;
 * binary:// starts a logging program (binary-log.ts) that gets both
 * stdout and stderr, as with containerd's runc shim.
 */
import { closeSync, constants as fsc, mkdirSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { BinaryLog } from './binary-log.js';
import type { StdioEntry, Terminal } from './runtime-adapter.js';

export interface IOPaths {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export class ProcessIO {
  /** What the container gets as fds 0, 1, 2. */
  readonly stdio: StdioEntry[] = ['ignore', 'ignore', 'ignore'];
  /** fds the shim holds only until the container has them. */
  private readonly handedOver: number[] = [];
  private stdinHold = -1;
  private copies: Socket[] = [];
  private terminal: Terminal | null = null;

  /** The IO of process `id` of a task in `namespace` (a binary:// logger is told both). */
  static async open(paths: IOPaths, owner: { id: string; namespace: string }): Promise<ProcessIO> {
    const binary = !paths.terminal && paths.stdout.startsWith('binary://') ? await BinaryLog.start(paths.stdout, owner) : null;
    return new ProcessIO(paths, binary);
  }

  private constructor(
    readonly paths: IOPaths,
    private readonly binary: BinaryLog | null,
  ) {
    try {
      if (paths.terminal) return;
      if (paths.stdin) {
        this.stdinHold = openSync(paths.stdin, fsc.O_RDWR);
        this.stdio[0] = this.handOver(openSync(paths.stdin, fsc.O_RDONLY));
      }
      if (binary) {
        this.stdio[1] = this.handOver(binary.stdout);
        this.stdio[2] = this.handOver(binary.stderr);
        return;
      }
      if (paths.stdout) this.stdio[1] = this.handOver(openOutput(paths.stdout));
      if (paths.stderr) this.stdio[2] = this.handOver(openOutput(paths.stderr));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private handOver(fd: number): number {
    this.handedOver.push(fd);
    return fd;
  }

  /** The container has its fds: the shim's copies are not needed. */
  created(): void {
    for (const fd of this.handedOver.splice(0)) closeSync(fd);
  }

  /** Copies stdin FIFO -> pty master -> stdout FIFO. */
  attachTerminal(t: Terminal): void {
    this.terminal = t;
    if (this.paths.stdin) {
      const input = new Socket({ fd: openSync(this.paths.stdin, fsc.O_RDWR | fsc.O_NONBLOCK), readable: true, writable: false });
      input.on('error', () => {});
      input.pipe(t, { end: false });
      this.copies.push(input);
    }
    if (this.paths.stdout) {
      const out = new Socket({ fd: openSync(this.paths.stdout, fsc.O_RDWR | fsc.O_NONBLOCK), readable: false, writable: true });
      out.on('error', () => {});
      t.pipe(out);
      this.copies.push(out);
    }
  }

  /** CloseIO: the container's stdin sees EOF once the client's end is closed too. */
  closeStdin(): void {
    if (this.stdinHold >= 0) {
      closeSync(this.stdinHold);
      this.stdinHold = -1;
    }
    const input = this.paths.terminal ? this.copies.find((s) => s.readable) : undefined;
    if (input) {
      input.unpipe();
      input.destroy();
      // A tty's "end of input" is ^D at the start of a line.
      this.terminal?.write('\x04');
    }
  }

  /** After the process exited: let every copy finish, close what the shim holds. */
  async close(): Promise<void> {
    this.created();
    if (this.stdinHold >= 0) {
      closeSync(this.stdinHold);
      this.stdinHold = -1;
    }
    const outs = this.copies.filter((s) => s.writable);
    for (const s of this.copies.filter((s) => !s.writable)) s.destroy();
    // The pty's output ends (EIO) when its last slave fd closes; bounded wait for the copy to drain.
    await Promise.race([Promise.all(outs.map((s) => new Promise((r) => (s.writableFinished || s.destroyed ? r(null) : s.once('close', r))))), sleep(2000)]);
    for (const s of outs) s.destroy();
    this.terminal?.destroy();
    this.copies = [];
    await this.binary?.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function openOutput(uri: string): number {
  if (uri.startsWith('file://')) {
    const path = decodeURIComponent(new URL(uri).pathname);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    return openSync(path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, 0o644);
  }
  return openSync(uri.replace(/^fifo:\/\//, ''), fsc.O_RDWR);
}
