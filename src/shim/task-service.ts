/**
 * containerd's Task service (runtime/v2/task/shim.proto) over tsrun's
 * library, through runtime-adapter.ts. One shim daemon serves every
 * container of a containerd namespace (and so the containers of a pod).
 */
import { constants as osConstants } from 'node:os';
import { TsrunError } from '../errors.js';
import type { Process, Resources } from '../spec/types.js';
import { Code, TtrpcError, type Handler, type Request } from '../ttrpc/index.js';
import { decode, EMPTY, encode, Status, T, timestamp, type Msg } from './codec.js';
import type { Publisher } from './events.js';
import type { LogSet } from './log.js';
import { metricsAny } from './metrics.js';
import { mountRootfs, unmountRootfs, type Mount } from './rootfs.js';
import type { Container, ExecProcess, ExitStatus, ProcessHandle, ShimRuntime } from './runtime-adapter.js';
import { createOptions } from './runc-options.js';
import { ProcessIO } from './stdio.js';

type State = 'created' | 'running' | 'paused' | 'stopped';

interface Proc {
  id: string;
  io: ProcessIO;
  pid: number;
  state: State;
  handle: ProcessHandle | null;
  exit: { status: number; at: Date } | null;
  exited: Promise<void>;
  markExited: () => void;
  /** While Start is answering: an exit seen meanwhile is reported after TaskStart, as runc's shim does. */
  starting: Promise<void> | null;
  terminal: boolean;
}

interface Exec extends Proc {
  spec: Process;
}

interface Task extends Proc {
  bundle: string;
  mounted: boolean;
  container: Container;
  execs: Map<string, Exec>;
}

/** What the shim's main loop needs from the service. */
export interface ServiceHost {
  /** containerd's namespace of this shim's tasks. */
  namespace: string;
  publisher: Publisher;
  /** Each task's log (its bundle's FIFO), and the daemon's. */
  log: LogSet;
  /** A task went away or Shutdown came: the daemon may be idle now (lifetime.ts). */
  idle(): void;
}

const SIGNALS = osConstants.signals as Record<string, number>;

/** containerd's exit status: the code, or 128 + the signal's number. */
function exitCode(st: ExitStatus): number {
  if (st.exitCode !== null) return st.exitCode;
  if (st.signal) return 128 + (SIGNALS[st.signal] ?? 0);
  return 255;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A library error as the gRPC code containerd's errdefs understands, with its text. */
export function toStatus(e: unknown): TtrpcError {
  if (e instanceof TtrpcError) return e;
  if (e instanceof TsrunError) {
    const code =
      {
        ERR_NOT_FOUND: Code.NotFound,
        ERR_EXISTS: Code.AlreadyExists,
        ERR_BAD_STATE: Code.FailedPrecondition,
        ERR_CONFIG_INVALID: Code.InvalidArgument,
        ERR_INVALID_ARGUMENT: Code.InvalidArgument,
        ERR_UNSUPPORTED: Code.Unimplemented,
        ERR_TIMEOUT: Code.DeadlineExceeded,
      }[e.code as string] ?? Code.Unknown;
    return new TtrpcError(code, e.message);
  }
  return new TtrpcError(Code.Unknown, e instanceof Error ? e.message : String(e));
}

export class TaskService {
  private readonly tasks = new Map<string, Task>();

  constructor(
    private readonly rt: ShimRuntime,
    private readonly host: ServiceHost,
  ) {}

  /** The handlers, by method name, for TtrpcServer.register('containerd.task.v2.Task', ...). */
  handlers(): Record<string, Handler> {
    const m = (reqType: string, resType: string | null, fn: (req: Msg) => Promise<Msg | void>): Handler => {
      return async (r: Request) => {
        let req: Msg;
        try {
          req = decode(T(reqType), r.payload);
        } catch (e) {
          throw new TtrpcError(Code.InvalidArgument, `${reqType}: malformed message: ${(e as Error).message}`);
        }
        let res;
        const t0 = Date.now();
        try {
          res = await fn.call(this, req);
          this.host.log.for(req.id ?? '').debug(`${r.method} ${req.id ?? ''} ${req.execId ?? ''}: ${Date.now() - t0} ms`);
        } catch (e) {
          const st = toStatus(e);
          this.host.log.for(req.id ?? '').debug(`${r.method} ${req.id ?? ''}: ${st.message}`);
          throw st;
        }
        return resType ? encode(resType, res ?? {}) : EMPTY;
      };
    };
    const E = 'google.protobuf.Empty';
    return {
      State: m('StateRequest', T('StateResponse'), this.state),
      Create: m('CreateTaskRequest', T('CreateTaskResponse'), this.create),
      Start: m('StartRequest', T('StartResponse'), this.start),
      Delete: m('DeleteRequest', T('DeleteResponse'), this.delete),
      Pids: m('PidsRequest', T('PidsResponse'), this.pids),
      Pause: m('PauseRequest', E, this.pause),
      Resume: m('ResumeRequest', E, this.resume),
      Checkpoint: m('CheckpointTaskRequest', E, async () => {
        throw new TtrpcError(Code.Unimplemented, 'checkpoint: not implemented by containerd-shim-tsrun-v2 (tsrun has no checkpoint/restore)');
      }),
      Kill: m('KillRequest', E, this.kill),
      Exec: m('ExecProcessRequest', E, this.exec),
      ResizePty: m('ResizePtyRequest', E, this.resizePty),
      CloseIO: m('CloseIORequest', E, this.closeIO),
      Update: m('UpdateTaskRequest', E, this.update),
      Wait: m('WaitRequest', T('WaitResponse'), this.wait),
      Stats: m('StatsRequest', T('StatsResponse'), this.stats),
      Connect: m('ConnectRequest', T('ConnectResponse'), this.connect),
      Shutdown: m('ShutdownRequest', E, this.shutdownReq),
    };
  }

  get size(): number {
    return this.tasks.size;
  }

  private task(id: string): Task {
    const t = this.tasks.get(id);
    if (!t) throw new TtrpcError(Code.NotFound, `task ${id}: not found`);
    return t;
  }

  private proc(id: string, execId: string): Proc {
    const t = this.task(id);
    if (!execId) return t;
    const e = t.execs.get(execId);
    if (!e) throw new TtrpcError(Code.NotFound, `exec ${execId} in task ${id}: not found`);
    return e;
  }

  private newProc(id: string, io: ProcessIO, terminal: boolean): Proc {
    const d = deferred();
    return { id, io, pid: 0, state: 'created', handle: null, exit: null, exited: d.promise, markExited: d.resolve, starting: null, terminal };
  }

  /** Watches a started process: records its exit, closes its IO, publishes TaskExit. */
  private watch(t: Task, p: Proc, handle: ProcessHandle): void {
    void handle.wait().then(async (st) => {
      const at = new Date();
      // An init that exits while Start is still answering: its exit comes after TaskStart, and
      // Start must not mark it running after it stopped.
      await p.starting;
      p.exit = { status: exitCode(st), at };
      p.state = 'stopped';
      await p.io.close();
      if (p === t) {
        // The init is gone: exec processes in its pid namespace went with it.
        for (const e of t.execs.values()) if (e.state !== 'stopped') await e.exited;
      }
      this.host.publisher.publish('TaskExit', {
        containerId: t.id,
        id: p.id,
        pid: p.pid,
        exitStatus: p.exit.status,
        exitedAt: timestamp(p.exit.at),
      });
      p.markExited();
    });
  }

  private async create(req: Msg): Promise<Msg> {
    const id: string = req.id;
    if (this.tasks.has(id)) throw new TtrpcError(Code.AlreadyExists, `task ${id}: already exists`);
    if (req.checkpoint) throw new TtrpcError(Code.Unimplemented, 'create from a checkpoint: not implemented by containerd-shim-tsrun-v2');
    const mounts = (req.rootfs ?? []) as Mount[];
    mountRootfs(req.bundle, mounts);
    let io: ProcessIO | null = null;
    try {
      this.host.log.open(id, req.bundle);
      io = await ProcessIO.open({ stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal }, { id, namespace: this.host.namespace });
      const container = await this.rt.create(id, { bundle: req.bundle, stdio: io.stdio, ...createOptions(req.options, (m) => this.host.log.warn(m)) });
      io.created();
      if (container.terminal) io.attachTerminal(container.terminal);
      const t: Task = { ...this.newProc(id, io, req.terminal), bundle: req.bundle, mounted: mounts.length > 0, container, execs: new Map() };
      t.pid = container.pid;
      t.handle = container;
      this.tasks.set(id, t);
      container.on('oom', () => this.host.publisher.publish('TaskOOM', { containerId: id }));
      this.watch(t, t, container);
      this.host.publisher.publish('TaskCreate', {
        containerId: id,
        bundle: req.bundle,
        rootfs: mounts,
        io: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal },
        checkpoint: '',
        pid: t.pid,
      });
      return { pid: t.pid };
    } catch (e) {
      await io?.close();
      if (mounts.length > 0) unmountRootfs(req.bundle);
      this.host.log.close(id);
      throw e;
    }
  }

  private async start(req: Msg): Promise<Msg> {
    const t = this.task(req.id);
    if (!req.execId) {
      if (t.state !== 'created') throw new TtrpcError(Code.FailedPrecondition, `task ${t.id}: cannot start a ${t.state} task`);
      const gate = deferred();
      t.starting = gate.promise;
      try {
        await t.container.start();
        t.state = 'running';
        this.host.publisher.publish('TaskStart', { containerId: t.id, pid: t.pid });
      } finally {
        t.starting = null;
        gate.resolve();
      }
      return { pid: t.pid };
    }
    const e = this.proc(req.id, req.execId) as Exec;
    if (e.state !== 'created' || e.handle) throw new TtrpcError(Code.FailedPrecondition, `exec ${e.id}: already started`);
    if (t.state === 'stopped') throw new TtrpcError(Code.FailedPrecondition, `task ${t.id}: cannot exec in a stopped task`);
    let h: ProcessHandle;
    try {
      h = await t.container.exec({ process: e.spec, stdio: e.io.stdio });
    } catch (err) {
      // A failed start leaves the exec stopped with 255 (as runc's shim reports it), never half-running.
      e.state = 'stopped';
      e.exit = { status: 255, at: new Date() };
      await e.io.close();
      e.markExited();
      throw err;
    }
    e.io.created();
    if (h.terminal) e.io.attachTerminal(h.terminal);
    e.handle = h;
    e.pid = h.pid;
    e.state = 'running';
    this.watch(t, e, h);
    this.host.publisher.publish('TaskExecStarted', { containerId: t.id, execId: e.id, pid: e.pid });
    return { pid: e.pid };
  }

  private async exec(req: Msg): Promise<void> {
    const t = this.task(req.id);
    if (t.execs.has(req.execId)) throw new TtrpcError(Code.AlreadyExists, `exec ${req.execId} in task ${t.id}: already exists`);
    if (t.state === 'stopped') throw new TtrpcError(Code.FailedPrecondition, `task ${t.id}: cannot exec in a stopped task`);
    let spec: Process;
    try {
      spec = JSON.parse(Buffer.from(req.spec?.value ?? []).toString('utf8'));
    } catch (e) {
      throw new TtrpcError(Code.InvalidArgument, `exec ${req.execId}: spec is not a runtime-spec process: ${(e as Error).message}`);
    }
    spec.terminal = !!req.terminal;
    const io = await ProcessIO.open({ stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal }, { id: t.id, namespace: this.host.namespace });
    if (t.execs.has(req.execId)) {
      // The same exec id came in again while a binary:// logger started.
      await io.close();
      throw new TtrpcError(Code.AlreadyExists, `exec ${req.execId} in task ${t.id}: already exists`);
    }
    t.execs.set(req.execId, { ...this.newProc(req.execId, io, req.terminal), spec });
    this.host.publisher.publish('TaskExecAdded', { containerId: t.id, execId: req.execId });
  }

  private async delete(req: Msg): Promise<Msg> {
    const t = this.task(req.id);
    if (req.execId) {
      const e = this.proc(req.id, req.execId) as Exec;
      if (e.state !== 'stopped' && e.handle) throw new TtrpcError(Code.FailedPrecondition, `exec ${e.id}: cannot delete a running process`);
      if (!e.handle) await e.io.close();
      t.execs.delete(e.id);
      return { pid: e.pid, exitStatus: e.exit?.status ?? 0, exitedAt: timestamp(e.exit?.at ?? new Date()) };
    }
    if (t.state !== 'stopped' && t.state !== 'created') throw new TtrpcError(Code.FailedPrecondition, `task ${t.id}: cannot delete a ${t.state} task`);
    if (t.state === 'created') {
      // Never started: its init waits in create; end it and wait for the exit to be recorded.
      await t.container.kill('SIGKILL').catch(() => undefined);
    }
    await t.exited;
    await t.container.delete({ force: true });
    if (t.mounted) unmountRootfs(t.bundle);
    this.tasks.delete(t.id);
    this.host.log.close(t.id);
    this.host.idle();
    const exit = t.exit!;
    this.host.publisher.publish('TaskDelete', { containerId: t.id, pid: t.pid, exitStatus: exit.status, exitedAt: timestamp(exit.at), id: t.id });
    return { pid: t.pid, exitStatus: exit.status, exitedAt: timestamp(exit.at) };
  }

  private async state(req: Msg): Promise<Msg> {
    const t = this.task(req.id);
    const p = this.proc(req.id, req.execId ?? '');
    const status = { created: Status.CREATED, running: Status.RUNNING, paused: Status.PAUSED, stopped: Status.STOPPED }[p.state];
    return {
      id: p.id,
      bundle: t.bundle,
      pid: p.pid,
      status,
      stdin: p.io.paths.stdin,
      stdout: p.io.paths.stdout,
      stderr: p.io.paths.stderr,
      terminal: p.terminal,
      exitStatus: p.exit?.status ?? 0,
      exitedAt: p.exit ? timestamp(p.exit.at) : null,
      execId: req.execId ?? '',
    };
  }

  private async pids(req: Msg): Promise<Msg> {
    const t = this.task(req.id);
    const pids = t.state === 'stopped' ? [] : await t.container.pids();
    return { processes: pids.map((pid) => ({ pid })) };
  }

  private async pause(req: Msg): Promise<void> {
    const t = this.task(req.id);
    if (t.state !== 'running') throw new TtrpcError(Code.FailedPrecondition, `task ${t.id}: cannot pause a ${t.state} task`);
    await t.container.pause();
    if (t.state === 'running') t.state = 'paused';
    this.host.publisher.publish('TaskPaused', { containerId: t.id });
  }

  private async resume(req: Msg): Promise<void> {
    const t = this.task(req.id);
    if (t.state !== 'paused') throw new TtrpcError(Code.FailedPrecondition, `task ${t.id}: cannot resume a ${t.state} task`);
    await t.container.resume();
    if (t.state === 'paused') t.state = 'running';
    this.host.publisher.publish('TaskResumed', { containerId: t.id });
  }

  private async kill(req: Msg): Promise<void> {
    const t = this.task(req.id);
    const p = this.proc(req.id, req.execId ?? '');
    if (p.state === 'stopped') throw new TtrpcError(Code.NotFound, `process ${p.id}: already finished`);
    if (p !== t) {
      if (!p.handle) throw new TtrpcError(Code.FailedPrecondition, `exec ${p.id}: not started`);
      (p.handle as ExecProcess).kill(req.signal);
      return;
    }
    await t.container.kill(req.signal, { all: !!req.all });
  }

  private async resizePty(req: Msg): Promise<void> {
    const p = this.proc(req.id, req.execId ?? '');
    const term = p.handle?.terminal;
    if (!term) throw new TtrpcError(Code.FailedPrecondition, `process ${p.id}: has no terminal`);
    term.resize(req.width, req.height);
  }

  private async closeIO(req: Msg): Promise<void> {
    const p = this.proc(req.id, req.execId ?? '');
    if (req.stdin) p.io.closeStdin();
  }

  private async update(req: Msg): Promise<void> {
    const t = this.task(req.id);
    let resources: Resources;
    try {
      resources = JSON.parse(Buffer.from(req.resources?.value ?? []).toString('utf8'));
    } catch (e) {
      throw new TtrpcError(Code.InvalidArgument, `update: resources are not runtime-spec LinuxResources: ${(e as Error).message}`);
    }
    for (const w of await t.container.update(resources)) this.host.log.for(t.id).warn(`update ${t.id}: ${w}`);
  }

  private async wait(req: Msg): Promise<Msg> {
    const p = this.proc(req.id, req.execId ?? '');
    await p.exited;
    return { exitStatus: p.exit!.status, exitedAt: timestamp(p.exit!.at) };
  }

  private async stats(req: Msg): Promise<Msg> {
    const t = this.task(req.id);
    if (t.state === 'stopped') throw new TtrpcError(Code.NotFound, `task ${t.id}: stopped, no stats`);
    return { stats: metricsAny(await t.container.stats()) };
  }

  private async connect(req: Msg): Promise<Msg> {
    const t = this.tasks.get(req.id);
    return { shimPid: process.pid, taskPid: t?.pid ?? 0, version: 'tsrun' };
  }

  private async shutdownReq(): Promise<void> {
    // containerd asks after each Delete. The daemon serves other containers
    // too: it never ends here, it exits once idle (lifetime.ts), as runc's
    // shim ignores Shutdown while it has containers.
    this.host.idle();
  }

  /** On SIGTERM or when containerd is gone for good: kill and remove everything. */
  async killAll(): Promise<void> {
    for (const t of this.tasks.values()) {
      await t.container.kill('SIGKILL', { all: true }).catch(() => undefined);
    }
  }
}
