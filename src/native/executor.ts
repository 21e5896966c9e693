import type { ChildProcess } from 'node:child_process';
import { readSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { childProcess, netModule, osModule } from '../builtins.js';
import { nextSlice } from '../loop-slice.js';
import { closeFd, devNullFd, socketPair, spawnProcess, spawnProcessSync, waitProcess, waitProcessSync, type SpawnOptions } from '../linux/libc.js';
import { errnoName } from './errno.js';
import { executorPath } from './executor-path.js';
import { sealedExecutorPath } from './sealed-executor.js';
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
  /**
   * Wait on the calling thread, for a caller that does nothing else
   * meanwhile (the CLI's create): the executor is spawned and reaped, and
   * its socket read and written, with plain system calls. Neither libuv's
   * thread pool nor node:net (~4 ms to load here) is started. Not with
   * 'pipe' stdio.
   */
  blocking?: boolean;
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
/** What the monitor reports on cgroup v2: memory.events' counts of OOM events and of OOM kills. */
export interface OomCounts {
  oom: number;
  oomKill: number;
}

export class ExecutorSession {
  /** Only for a session whose stdio has 'pipe' entries (hooks): Node's own child process. */
  readonly child: ChildProcess | undefined;
  /** The executor's pid, once spawned. */
  pid: number | undefined;
  /** The sync socket: a Node socket, or (blocking) our end's fd. */
  private readonly sock: Socket | undefined;
  private readonly fd: number | undefined;
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
  /** Called for each OOM event the monitor reports; with memory.events' counts on cgroup v2. */
  onOom: (counts?: OomCounts) => void = () => {};
  /** The last counts the monitor reported (v2), which outlive a cgroup systemd removed. */
  oomCounts: OomCounts | undefined;

  constructor(plan: Buffer, opts: ExecutorOptions = {}) {
    const extra = opts.extraFds ?? [];
    this.syncFd = 3 + extra.length;
    this.initExit = new Promise((resolve) => (this.reportExit = resolve));
    let exitedWith: (code: number) => void = () => {};
    this.exited = new Promise((resolve) => (exitedWith = resolve));
    const gone = (code: number) => {
      exitedWith(code);
      // The socket may still hold the "X" line: it is read before the socket closes.
      this.executorGone = true;
      if (this.socketGone) this.reportExit(null);
    };
    const stdio = opts.stdio ?? ['inherit', 'inherit', 'inherit'];
    if (stdio.includes('pipe')) {
      this.child = this.spawnWithNode(stdio, extra, opts, gone);
      this.sock = this.child.stdio[this.syncFd] as Socket;
    } else if (opts.blocking) {
      this.fd = this.spawnBlocking(stdio as ('inherit' | 'ignore' | number)[], extra, opts, gone);
    } else {
      this.sock = this.spawnNative(stdio as ('inherit' | 'ignore' | number)[], extra, opts, gone);
    }
    if (this.sock) {
      this.sock.setEncoding('latin1');
      this.sock.on('data', (chunk: string) => this.received(chunk));
      const done = () => this.socketEnded();
      this.sock.on('end', done);
      this.sock.on('close', done);
      this.sock.on('error', done);
    }
    const len = Buffer.alloc(4);
    len.writeUInt32LE(plan.length, 0);
    this.send(Buffer.concat([len, plan]));
  }

  /** Splits what the socket gave into lines and routes them. */
  private received(chunk: string): void {
    this.buffered += chunk;
    let nl;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      this.take(this.buffered.slice(0, nl));
      this.buffered = this.buffered.slice(nl + 1);
    }
    this.wake();
  }

  private socketEnded(): void {
    if (this.socketGone) return;
    this.closed = true;
    this.socketGone = true;
    if (this.executorGone) this.reportExit(null);
    this.wake();
    this.onSocketGone();
  }

  private send(data: Buffer | string): void {
    if (this.sock) {
      this.sock.write(data);
      return;
    }
    if (this.fd === undefined || this.socketGone) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at);
    } catch {
      // EPIPE: the executor is gone; reading tells the rest (its "E" line or the end).
    }
  }

  /** Blocking: waits for what the executor writes next, or the socket's end. */
  private pull(fd: number): void {
    const buf = Buffer.allocUnsafe(4096);
    let n = 0;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch {
      // ECONNRESET and the like: as the end.
    }
    if (n > 0) this.received(buf.toString('latin1', 0, n));
    else this.socketEnded();
  }

  readonly syncFd: number;
  /** Set by spawnNative: reaps the executor once every holder of the sync socket has closed it. */
  private onSocketGone: () => void = () => {};

  /** Hooks: their runner needs a ChildProcess (piped output, group kill); they are off the hot path. */
  private spawnWithNode(stdio: ExecutorOptions['stdio'] & object, extra: number[], opts: ExecutorOptions, gone: (code: number) => void): ChildProcess {
    // childProcess(): loaded on first use; a create without hooks never needs it.
    const child = childProcess().spawn(sealedExecutorPath(this.syncFd + 1), [String(this.syncFd)], {
      argv0: executorPath(),
      stdio: [...stdio, ...extra, 'pipe'] as never,
      env: opts.env ?? {},
      detached: opts.ownProcessGroup ?? false,
    });
    this.pid = child.pid;
    child.on('exit', (code, signal) => gone(code ?? 128 + (signal ? signalNumber(signal) : 0)));
    child.on('error', () => gone(255));
    if (!child.stdio[this.syncFd]) throw new Error('executor sync socket missing');
    return child;
  }

  /**
   * Everything else: posix_spawn on the thread pool, so that neither the
   * spawn nor the wait blocks the event loop. The executor holds its end of
   * the sync socket until it exits, so the socket's end is when to reap it.
   */
  private spawnNative(stdio: ('inherit' | 'ignore' | number)[], extra: number[], opts: ExecutorOptions, gone: (code: number) => void): Socket {
    const [ours, theirs] = socketPair();
    const sock = new (netModule().Socket)({ fd: ours, readable: true, writable: true });
    let reap: () => void = () => {};
    this.onSocketGone = () => reap();
    let spawned: Promise<number>;
    try {
      spawned = spawnProcess(...this.spawnArgs(stdio, extra, theirs, opts));
    } catch (e) {
      closeFd(theirs);
      sock.destroy();
      throw e;
    }
    spawned.then(
      (pid) => {
        this.pid = pid;
        closeFd(theirs);
        reap = () => {
          reap = () => {};
          waitProcess(pid).then(
            (raw) => {
              const st = decodeWaitStatus(raw);
              gone(st.code ?? 128 + st.signal!);
            },
            () => gone(255),
          );
        };
        if (this.socketGone) reap();
      },
      () => {
        closeFd(theirs);
        gone(255);
        sock.destroy();
      },
    );
    return sock;
  }

  /** spawnNative's blocking twin: no socket object, no thread pool; the end of the socket is when to reap. */
  private spawnBlocking(stdio: ('inherit' | 'ignore' | number)[], extra: number[], opts: ExecutorOptions, gone: (code: number) => void): number {
    const [ours, theirs] = socketPair();
    let pid: number;
    try {
      pid = spawnProcessSync(...this.spawnArgs(stdio, extra, theirs, opts));
    } catch (e) {
      closeFd(ours);
      throw e;
    } finally {
      closeFd(theirs);
    }
    this.pid = pid;
    this.onSocketGone = () => {
      this.onSocketGone = () => {};
      closeFd(ours);
      let st: WaitStatus = { code: 255, signal: null };
      try {
        st = decodeWaitStatus(waitProcessSync(pid));
      } catch {
        // ECHILD: reaped already
      }
      gone(st.code ?? 128 + st.signal!);
    };
    return ours;
  }

  /** posix_spawn's arguments for the executor: its fds (stdio, the extra fds, the sync socket last) and environment. */
  private spawnArgs(stdio: ('inherit' | 'ignore' | number)[], extra: number[], theirs: number, opts: ExecutorOptions): [string, string[], SpawnOptions] {
    const fds = [...stdio.map((e, i) => (e === 'inherit' ? i : e === 'ignore' ? devNullFd() : e)), ...extra, theirs];
    const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    return [sealedExecutorPath(fds.length), [executorPath(), String(this.syncFd)], { fds, env, setsid: opts.ownProcessGroup }];
  }

  /** Routes one protocol line: the monitor's to their callbacks, the rest to next(). */
  private take(line: string): void {
    if (line === Msg.OOM) return this.onOom();
    if (line.startsWith(`${Msg.OOM} `)) {
      const [oom, oomKill] = line.slice(2).split(' ').map(Number);
      this.oomCounts = { oom, oomKill };
      return this.onOom(this.oomCounts);
    }
    if (line.startsWith(`${Msg.EXIT} `)) {
      this.reportExit(decodeWaitStatus(Number(line.slice(2))));
      this.closed = true; // nothing more can come from the set-up
      return;
    }
    if (!this.closed) this.lines.push(line);
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
      if (this.fd !== undefined) this.pull(this.fd);
      else await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Waits for a line with the given tag; an "E" line throws ExecutorError. */
  async expect(tag: typeof Msg.PID | typeof Msg.READY | typeof Msg.HOOKS): Promise<string> {
    const line = await this.next();
    // What follows a line is the next stretch of set-up work (see loop-slice.ts).
    await nextSlice();
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
    if (!payload) {
      this.send(`${Msg.GO}\n`);
      return;
    }
    const bytes = Buffer.from(payload);
    this.send(Buffer.concat([Buffer.from(`${Msg.GO_PAYLOAD} ${bytes.length}\n`), bytes]));
  }

  /** Tells a child waiting in OP_SYNC not to go on: it reports ECANCELED and exits. */
  refuse(): void {
    this.send(`${Msg.REFUSE}\n`);
  }

  /**
   * Says nothing more: our end stops writing and set-up lines are dropped.
   * It still reads, so that the monitor's "X" and "O" lines arrive and the
   * socket's end tells when the executor has gone (to reap it).
   */
  close(): void {
    this.closed = true;
    this.lines = [];
    this.wake();
    if (this.sock && !this.sock.destroyed) this.sock.end();
    // Blocking: read on to the end (a monitor's lines are dropped), then reap.
    if (this.fd !== undefined) while (!this.socketGone) this.pull(this.fd);
  }
}

/** wait(2)'s status layout: the exit code in bits 8-15, else the signal in bits 0-6. */
export function decodeWaitStatus(raw: number): WaitStatus {
  const sig = raw & 0x7f;
  return sig === 0 ? { code: (raw >> 8) & 0xff, signal: null } : { code: null, signal: sig };
}

function signalNumber(name: string): number {
  return (osModule().constants.signals as Record<string, number>)[name] ?? 0;
}
