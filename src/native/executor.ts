import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { errnoName } from './errno.js';
import { executorPath } from './executor-path.js';
import { Msg } from './generated/instruction-set.js';
import { planRefused } from './plan.js';

export { executorPath } from './executor-path.js';

/** A failure the executor reported: op index and errno. */
export class ExecutorError extends Error {
  constructor(
    readonly opIndex: number,
    readonly errno: number,
  ) {
    super(`op ${opIndex}: ${errnoName(errno)}`);
  }
}

/** The executor went away without reporting an op's failure (killed, e.g. by the OOM killer). */
export class ExecutorExited extends Error {
  constructor(readonly before: string) {
    super(`executor exited before ${before}`);
  }
}

export interface ExecutorOptions {
  /** Fds passed to the container as 3, 4, ... (--preserve-fds, LISTEN_FDS). */
  extraFds?: number[];
  /** stdio of the executor and so of the container: defaults to inherit. */
  stdio?: ('inherit' | 'ignore' | 'pipe' | number)[];
  env?: NodeJS.ProcessEnv;
  /**
   * Start the executor in a session and process group of its own, which
   * what it clones shares: kill(-pid) then reaches all of them (a hook past
   * its timeout, with whatever it forked).
   */
  ownProcessGroup?: boolean;
}

/** The raw wait status the monitor reported, decoded. */
export interface WaitStatus {
  /** The exit code, or null when killed by a signal. */
  code: number | null;
  /** The signal number that killed it, or null. */
  signal: number | null;
}

/**
 * A running executor. The protocol (src/native/instruction-set.mjs, `messages`): we send the plan; it
 * answers "P pid" after clone; we answer "G" to release the child; the child
 * answers "R" when set-up is done or "E op errno" when an op failed. When
 * the executor stays as the init's parent (a monitor), it later writes "O"
 * for each OOM event and "X status" when the init exits: those go to
 * onOom and initExit, never to the queue of set-up lines.
 */
export class ExecutorSession {
  readonly child: ChildProcess;
  readonly syncFd: number;
  private buffered = '';
  private waiters: Array<() => void> = [];
  private lines: string[] = [];
  private closed = false;
  private executorGone = false;
  private socketGone = false;
  /** Resolves with the executor's own exit: code, or 128+signal. */
  readonly exited: Promise<number>;
  /** Resolves with the init's raw status when the monitor reports it; null if the executor ended without a report. */
  readonly initExit: Promise<WaitStatus | null>;
  private reportExit: (s: WaitStatus | null) => void = () => {};
  /** Called for each OOM event the monitor reports. */
  onOom: () => void = () => {};

  constructor(plan: Buffer, opts: ExecutorOptions = {}) {
    const extra = opts.extraFds ?? [];
    const stdio = [...(opts.stdio ?? ['inherit', 'inherit', 'inherit']), ...extra, 'pipe'];
    this.syncFd = 3 + extra.length;
    this.child = spawn(executorPath(), [String(this.syncFd)], {
      stdio: stdio as never,
      env: opts.env ?? {},
      detached: opts.ownProcessGroup ?? false,
    });
    this.initExit = new Promise((resolve) => (this.reportExit = resolve));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        resolve(code ?? 128 + (signal ? signalNumber(signal) : 0));
        // The socket may still hold the "X" line: it is read before the socket closes.
        this.executorGone = true;
        if (this.socketGone) this.reportExit(null);
      });
      this.child.on('error', () => {
        resolve(255);
        this.reportExit(null);
      });
    });
    const sock = this.child.stdio[this.syncFd] as (Readable & Writable) | null;
    if (!sock) throw new Error('executor sync socket missing');
    sock.setEncoding?.('latin1');
    sock.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        this.take(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
      this.wake();
    });
    const done = () => {
      this.closed = true;
      this.socketGone = true;
      if (this.executorGone) this.reportExit(null);
      this.wake();
    };
    sock.on('end', done);
    sock.on('close', done);
    sock.on('error', done);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(plan.length, 0);
    sock.write(Buffer.concat([len, plan]));
  }

  /** Routes one protocol line: the monitor's to their callbacks, the rest to next(). */
  private take(line: string): void {
    if (line === Msg.OOM) return this.onOom();
    if (line.startsWith(`${Msg.EXIT} `)) {
      const raw = Number(line.slice(2));
      // The layout of wait(2)'s status: exit code in bits 8-15, else the signal in bits 0-6.
      const sig = raw & 0x7f;
      this.reportExit(sig === 0 ? { code: (raw >> 8) & 0xff, signal: null } : { code: null, signal: sig });
      this.closed = true; // nothing more can come from the set-up
      return;
    }
    this.lines.push(line);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next protocol line, or null when the socket closed. */
  async next(): Promise<string | null> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.closed) return null;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Waits for a line with the given tag; an "E" line throws ExecutorError. */
  async expect(tag: typeof Msg.PID | typeof Msg.READY | typeof Msg.HOOKS): Promise<string> {
    const line = await this.next();
    if (line === null) throw new ExecutorExited(tag === Msg.PID ? 'clone' : 'set-up finished');
    // The executor could not read the plan at all: no op ran, none failed.
    if (line.startsWith(`${Msg.BAD_PLAN} `)) throw planRefused(line.slice(2), executorPath());
    if (line.startsWith(`${Msg.OP_FAILED} `)) {
      const [, op, errno] = line.split(' ');
      throw new ExecutorError(Number(op), Number(errno));
    }
    if (!line.startsWith(tag)) throw new Error(`executor protocol: expected ${tag}, got ${JSON.stringify(line)}`);
    return line.slice(2);
  }

  /** Releases the child past OP_WAIT_GO (optionally with a payload for OP_SEND_LISTENER) or OP_SYNC. */
  release(payload?: string): void {
    const sock = this.child.stdio[this.syncFd] as Writable;
    if (!payload) {
      sock.write(`${Msg.GO}\n`);
      return;
    }
    const bytes = Buffer.from(payload);
    sock.write(Buffer.concat([Buffer.from(`${Msg.GO_PAYLOAD} ${bytes.length}\n`), bytes]));
  }

  /** Tells a child waiting in OP_SYNC not to go on: it reports ECANCELED and exits. */
  refuse(): void {
    (this.child.stdio[this.syncFd] as Writable).write(`${Msg.REFUSE}\n`);
  }

  /** Drops our end of the sync socket; the child's exit is still reported through `exited`. */
  close(): void {
    const s = this.child.stdio[this.syncFd] as (Readable & Writable) | null;
    s?.destroy();
  }
}

function signalNumber(name: string): number {
  return (osConstants.signals as Record<string, number>)[name] ?? 0;
}
