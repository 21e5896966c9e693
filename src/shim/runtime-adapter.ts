/**
 * The one place where the shim meets tsrun's library. The Task service codes
 * against the handles below, named as issue 9's library API names them
 * (create -> Container with pid/terminal/start/wait/kill/delete/exec).
 *
 * INTERIM BACKEND: until the library's stdio, wait() and terminal land on
 * main, this adapter builds them from the bundle-based Runtime methods:
 *  - stdio: the executor inherits this process's fds 0-2, so each create and
 *    exec dup2()s the container's fds over 0-2 for its duration (serialised);
 *  - exit status: this process is a child subreaper; inits and exec
 *    processes are reparented to it when their executor exits, and are
 *    reaped by pid (waitpid WNOHANG on SIGCHLD);
 *  - terminal: a console socket of our own receives the pty master.
 * When the library lands, this file shrinks to calls of rt.create(id,
 * { bundle, stdio }), c.wait(), c.terminal, c.exec(...) and nothing else
 * in src/shim changes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import tty from 'node:tty';
import { constants as osConstants } from 'node:os';
import { Runtime, type ContainerState, type ContainerStats, type Resources } from '../index.js';
import type { Process } from '../spec/types.js';
import { acceptFd, closeFd, dup, dup2, listenUnix, reapPid, setChildSubreaper, setWindowSize } from '../linux/libc.js';

export interface ExitStatus {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  oomKilled: boolean;
}

/** A stdio entry: an fd the container gets as is, or nothing (/dev/null). */
export type StdioEntry = number | 'ignore';

/** The pty master of a process with process.terminal. */
export interface Terminal {
  readonly input: NodeJS.WritableStream;
  readonly output: NodeJS.ReadableStream;
  resize(cols: number, rows: number): void;
  close(): void;
}

export interface ProcessHandle {
  readonly pid: number;
  readonly terminal: Terminal | null;
  wait(): Promise<ExitStatus>;
}

export interface ContainerHandle extends ProcessHandle {
  start(): Promise<void>;
  kill(signal: string | number, opts?: { all?: boolean }): Promise<void>;
  delete(opts?: { force?: boolean }): Promise<void>;
  exec(opts: { process: Process; stdio: StdioEntry[] }): Promise<ProcessHandle>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  pids(): Promise<number[]>;
  stats(): Promise<ContainerStats>;
  update(resources: Resources): Promise<string[]>;
  state(): Promise<ContainerState>;
  on(event: 'oom', fn: () => void): this;
}

export interface CreateOpts {
  bundle: string;
  stdio: StdioEntry[];
  terminal: boolean;
}

const SIGNAL_NAMES = Object.fromEntries(Object.entries(osConstants.signals).map(([k, v]) => [v, k])) as Record<number, NodeJS.Signals>;

/** Reaps our reparented children by pid; one per process. */
class Reaper {
  private readonly waiting = new Map<number, Array<(st: { exitCode: number | null; signal: number | null }) => void>>();
  private timer: NodeJS.Timeout | null = null;

  constructor() {
    setChildSubreaper();
    process.on('SIGCHLD', () => this.poll());
  }

  wait(pid: number): Promise<{ exitCode: number | null; signal: number | null }> {
    return new Promise((resolve) => {
      const list = this.waiting.get(pid) ?? [];
      list.push(resolve);
      this.waiting.set(pid, list);
      this.poll();
      // A SIGCHLD that came before the pid was known (or was merged with another) is caught by this tick.
      this.timer ??= setInterval(() => this.poll(), 500);
    });
  }

  private poll(): void {
    for (const [pid, list] of this.waiting) {
      let st;
      try {
        st = reapPid(pid);
      } catch {
        // ECHILD: not (or no longer) our child; it can only be waited for by polling its existence.
        st = alive(pid) ? null : { exitCode: null, signal: null };
      }
      if (!st) continue;
      this.waiting.delete(pid);
      for (const r of list) r(st);
    }
    if (this.waiting.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Serialises the fd 0-2 swaps: no two creates or execs at once. */
let chain: Promise<unknown> = Promise.resolve();
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const p = chain.then(fn, fn);
  chain = p.catch(() => undefined);
  return p;
}

async function withStdio<T>(stdio: StdioEntry[], fn: () => Promise<T>): Promise<T> {
  return serial(async () => {
    const saved = [0, 1, 2].map((fd) => dup(fd));
    try {
      stdio.slice(0, 3).forEach((e, fd) => {
        if (typeof e === 'number') dup2(e, fd);
      });
      return await fn();
    } finally {
      saved.forEach((s, fd) => {
        dup2(s, fd);
        closeFd(s);
      });
    }
  });
}

class ConsoleSocket {
  readonly dir = mkdtempSync(join(tmpdir(), 'tsrun-shim-console-'));
  readonly path = join(this.dir, 'console.sock');
  private readonly fd = listenUnix(this.path);

  /** After create/exec: the master is already queued on the socket. */
  take(): Terminal {
    try {
      return ptyTerminal(acceptFd(this.fd));
    } finally {
      this.close();
    }
  }

  close(): void {
    closeFd(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ptyTerminal(master: number): Terminal {
  const output = new tty.ReadStream(master);
  const input = new tty.WriteStream(master);
  // EIO on the master once every slave fd is closed: that is its end.
  output.on('error', () => output.push(null));
  input.on('error', () => {});
  let closed = false;
  return {
    input,
    output,
    resize: (cols, rows) => setWindowSize(master, rows, cols),
    close: () => {
      if (closed) return;
      closed = true;
      output.destroy();
      input.destroy();
    },
  };
}

function toExit(st: { exitCode: number | null; signal: number | null }): ExitStatus {
  return { exitCode: st.exitCode, signal: st.signal === null ? null : (SIGNAL_NAMES[st.signal] ?? null), oomKilled: false };
}

export class ShimRuntime {
  private readonly rt: Runtime;
  private readonly reaper = new Reaper();

  constructor(root: string) {
    this.rt = new Runtime({ root });
  }

  async create(id: string, opts: CreateOpts): Promise<ContainerHandle> {
    const rt = this.rt;
    const reaper = this.reaper;
    const cs = opts.terminal ? new ConsoleSocket() : null;
    let terminal: Terminal | null = null;
    try {
      await withStdio(opts.stdio, () => rt.create(id, { bundle: opts.bundle, consoleSocket: cs?.path }));
      terminal = cs?.take() ?? null;
    } catch (e) {
      cs?.close();
      throw e;
    }
    const pid = (await rt.state(id)).pid;
    const exited = reaper.wait(pid).then(async (st) => {
      const ex = toExit(st);
      // The library will report OOM kills itself; here, a SIGKILL with the cgroup's oom_kill count up.
      if (ex.signal === 'SIGKILL') ex.oomKilled = await rt.stats(id).then((s) => s.oomKills > 0, () => false);
      if (ex.oomKilled) events.emit('oom');
      return ex;
    });
    const events = new EventEmitter();
    const handle: ContainerHandle = {
      pid,
      terminal,
      wait: () => exited,
      start: () => rt.start(id),
      kill: (sig, o = {}) => rt.kill(id, sig, { all: o.all }),
      delete: (o = {}) => rt.delete(id, { force: o.force }),
      exec: async (o) => {
        const ecs = o.process.terminal ? new ConsoleSocket() : null;
        const dir = mkdtempSync(join(tmpdir(), 'tsrun-shim-exec-'));
        try {
          const pidFile = join(dir, 'pid');
          let term: Terminal | null = null;
          try {
            await withStdio(o.stdio, () => rt.exec(id, { process: o.process, detach: true, pidFile, consoleSocket: ecs?.path }));
            term = ecs?.take() ?? null;
          } catch (e) {
            ecs?.close();
            throw e;
          }
          const epid = Number(readFileSync(pidFile, 'utf8'));
          const done = reaper.wait(epid).then(toExit);
          return { pid: epid, terminal: term, wait: () => done };
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      pause: () => rt.pause(id),
      resume: () => rt.resume(id),
      pids: () => rt.pids(id),
      stats: () => rt.stats(id),
      update: (r) => rt.update(id, r),
      state: () => rt.state(id),
      on(ev, fn) {
        events.on(ev, fn);
        return handle;
      },
    };
    return handle;
  }

  /** For the `delete` subcommand: a container whose shim died. */
  async forceDelete(id: string): Promise<void> {
    await this.rt.delete(id, { force: true });
  }
}
