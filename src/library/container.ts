// The handles a program using the library holds: a container, and a process
// exec'd in one. They are thin: every operation goes through the Runtime by
// id, as the CLI's do; only what the executor's monitor reports (the exit
// status, OOM events) and the stdio streams live here.
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { CgroupRecord } from '../cgroups/types.js';
import { TsrunError } from '../errors.js';
import type { ExecutorSession, OomCounts } from '../native/executor.js';
import { exitStatusOf, type ExitStatus } from './exit-status.js';
import type { TerminalStream } from './terminal.js';
import { oomCounter } from '../cgroups/oom.js';

/** What a handle needs of the executor that watches its process (absent for a container another program created). */
export interface Watched {
  pid: number;
  session: ExecutorSession;
  cgroup: CgroupRecord | null;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  terminal: TerminalStream | null;
}

/** Events of a Container and of an ExecProcess. */
export interface ProcessEvents {
  /** The process exited (the container's init, for a Container). */
  exit: [status: ExitStatus];
  /** The container's cgroup had an OOM event (Container only). */
  oom: [];
}

/**
 * A process watched by an executor: its exit status, once, and (for an
 * init) the OOM events of its cgroup. The 'exit' event fires once the
 * status is known, without polling; wait() gives the same status, also
 * long after the exit.
 */
export class WatchedProcess extends EventEmitter<ProcessEvents> {
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** The pty master, when the process has a terminal. */
  readonly terminal: TerminalStream | null;
  readonly exitStatus: Promise<ExitStatus>;

  constructor(w: Watched, watchOom: boolean) {
    super();
    this.pid = w.pid;
    this.stdin = w.stdin;
    this.stdout = w.stdout;
    this.stderr = w.stderr;
    this.terminal = w.terminal;
    let ooms = 0;
    if (watchOom)
      w.session.onOom = oomFilter(w.cgroup, () => {
        ooms++;
        this.emit('oom');
      });
    this.exitStatus = w.session.initExit.then((s) => {
      const status = exitStatusOf(s, w.cgroup, w.session.oomCounts);
      w.session.close();
      // The monitor reports the init's death as soon as it reaps it; the cgroup's OOM
      // notification can come later (v2 rate-limits memory.events notifications to one per
      // 10 ms) or not before the monitor exits. An OOM kill is an OOM event: never 'exit' without it.
      if (watchOom && status.oomKilled && ooms === 0) this.emit('oom');
      this.emit('exit', status);
      return status;
    });
  }
}

/**
 * v1's eventfd fires for OOM events only (no counts); on v2 the monitor
 * reports memory.events' counts when they rise: only a rise of "oom" is an
 * OOM event (the other is its kill).
 */
function oomFilter(cgroup: CgroupRecord | null, emit: () => void): (counts?: OomCounts) => void {
  // v2's baseline: 0 for a new cgroup, and for a scope not started yet. v1 reports no counts.
  let last = cgroup?.mode === 'v2' ? oomCounter(cgroup, 'oom') : 0;
  return (counts) => {
    if (!counts) return emit();
    if (counts.oom > last) emit();
    last = counts.oom;
  };
}

/** A process started by Container.exec(). */
export class ExecProcess extends WatchedProcess {
  constructor(w: Watched) {
    super(w, false);
  }

  /** Resolves with how the process ended. */
  wait(): Promise<ExitStatus> {
    return this.exitStatus;
  }

  /** Sends a signal to the process (default SIGTERM). */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): void {
    try {
      process.kill(this.pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH')
        throw new TsrunError(`kill ${this.pid}: ${(e as NodeJS.ErrnoException).code}`, { syscall: 'kill', errno: (e as NodeJS.ErrnoException).code, cause: e });
    }
  }
}

export const deletedStatus = (id: string) => new TsrunError(`container ${JSON.stringify(id)} does not exist (deleted)`, { code: 'ERR_NOT_FOUND' });

/** What a Container needs of the Runtime: the operations by id. */
export interface ContainerOps {
  start(id: string): Promise<void>;
  state(id: string): Promise<import('../lifecycle/state.js').ContainerState>;
  kill(id: string, signal?: string | number, opts?: { all?: boolean }): Promise<void>;
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  pids(id: string): Promise<number[]>;
  stats(id: string): Promise<import('../lifecycle/cgroup-commands.js').ContainerStats>;
  update(id: string, resources: import('../spec/types.js').Resources): Promise<string[]>;
  /** Used by Container.exec. */
  execProcess(id: string, opts: import('../lifecycle/exec.js').ExecAttachedOptions): Promise<ExecProcess>;
  /** Resolves when the init of a container another program created exits. */
  waitForInitExit(id: string): Promise<void>;
  checkpoint(id: string, opts: import('../lifecycle/checkpoint.js').CheckpointOptions): Promise<void>;
}

/**
 * A handle to a container. From Runtime.create/run it watches the init
 * (exit status, OOM events, stdio); from Runtime.container(id) for a
 * container another program created, wait() can only tell that the init
 * exited, not how (exitCode and signal are null).
 */
export class Container extends EventEmitter<ProcessEvents> {
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** The pty master, when process.terminal is set: write to it, read from it, resize() it. */
  readonly terminal: TerminalStream | null;
  private readonly watched: WatchedProcess | null;
  private deleted = false;

  constructor(
    private readonly ops: ContainerOps,
    readonly id: string,
    watched?: Watched,
  ) {
    super();
    this.watched = watched ? new WatchedProcess(watched, true) : null;
    this.pid = watched?.pid ?? 0;
    this.stdin = watched?.stdin ?? null;
    this.stdout = watched?.stdout ?? null;
    this.stderr = watched?.stderr ?? null;
    this.terminal = watched?.terminal ?? null;
    this.watched?.on('exit', (s) => this.emit('exit', s));
    this.watched?.on('oom', () => this.emit('oom'));
  }

  /** Runs the container's process (runtime.md's start). */
  start(): Promise<void> {
    return this.ops.start(this.id);
  }

  /**
   * Resolves with how the init ended, once it has. Rejects with
   * ERR_NOT_FOUND once the container was deleted through this handle, or
   * when no such container exists.
   */
  async wait(): Promise<ExitStatus> {
    if (this.deleted) throw deletedStatus(this.id);
    if (this.watched) return this.watched.exitStatus;
    await this.ops.waitForInitExit(this.id);
    const status: ExitStatus = { exitCode: null, signal: null, oomKilled: false };
    this.emit('exit', status);
    return status;
  }

  state() {
    return this.ops.state(this.id);
  }

  /** Sends a signal to the init (default SIGTERM), or with `all` to every process of the container. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM', opts: { all?: boolean } = {}): Promise<void> {
    return this.ops.kill(this.id, signal, opts);
  }

  /** Removes the container; `force` kills it first if it still runs. */
  async delete(opts: { force?: boolean } = {}): Promise<void> {
    await this.ops.delete(this.id, opts);
    this.deleted = true;
  }

  pause(): Promise<void> {
    return this.ops.pause(this.id);
  }

  resume(): Promise<void> {
    return this.ops.resume(this.id);
  }

  pids(): Promise<number[]> {
    return this.ops.pids(this.id);
  }

  stats() {
    return this.ops.stats(this.id);
  }

  update(resources: import('../spec/types.js').Resources): Promise<string[]> {
    return this.ops.update(this.id, resources);
  }

  /**
   * Dumps the container with CRIU into opts.imagePath (Runtime.checkpoint).
   * Unless leaveRunning (or preDump) the container then stops and is
   * removed, as with runc, and this handle is a deleted one.
   */
  async checkpoint(opts: import('../lifecycle/checkpoint.js').CheckpointOptions = {}): Promise<void> {
    await this.ops.checkpoint(this.id, opts);
    if (!opts.leaveRunning && !opts.preDump) this.deleted = true;
  }

  /** Runs another process in the container; the handle gives its pid, stdio and exit status. */
  exec(opts: import('../lifecycle/exec.js').ExecAttachedOptions): Promise<ExecProcess> {
    return this.ops.execProcess(this.id, opts);
  }
}
