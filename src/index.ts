/**
 * tsrun as a library. The CLI is a thin layer over this class. Each method
 * loads its own code on first use, so a program that only reads state does
 * not load the validator, the plan builder or koffi. docs/library.md
 * describes the API, the error codes and the exit-status semantics.
 */
import { SetUpLimit } from './library/set-up-limit.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import { DEFAULT_ROOT, StateStore } from './state/store.js';
import { preparedDefaultRoot } from './state/default-root.js';
import { loadCommand } from './command-loader.js';
import { TsrunError } from './errors.js';
import type { RuntimeContext } from './lifecycle/context.js';
import type { AttachedOptions, CreateOptions } from './lifecycle/create.js';
import type { RunOptions } from './lifecycle/run.js';
import type { KillOptions } from './lifecycle/kill.js';
import type { DeleteOptions } from './lifecycle/delete.js';
import type { ContainerState } from './lifecycle/state.js';
import type { ExecAttachedOptions, ExecOptions } from './lifecycle/exec.js';
import type { ContainerRecord } from './state/store.js';
import type { Resources, Spec } from './spec/types.js';
import type { ContainerStats } from './lifecycle/cgroup-commands.js';
import type { Features } from './spec/features.js';
import { Container, ExecProcess, type ContainerOps } from './library/container.js';
import type { ExitStatus } from './library/exit-status.js';
import type { StdioEntry } from './library/stdio.js';
import type { TerminalStream } from './library/terminal.js';
import type { PlanData } from './library/plan-data.js';
import { forwardSignals as forwardTo } from './library/forward-signals.js';

export type {
  Logger,
  CreateOptions,
  RunOptions,
  KillOptions,
  DeleteOptions,
  ContainerState,
  ExecOptions,
  ExecAttachedOptions as ExecProcessOptions,
  ContainerRecord,
  ContainerStats,
  ExitStatus,
  StdioEntry,
  TerminalStream,
  Features,
  PlanData,
};
// Every definition of the runtime-spec schema (Spec, Mount, Linux, Hook, Device, ...), and names for their parts.
export type * from './spec/generated/config.js';
export type { Process, User, Capabilities, Rlimit, Resources, Resources as LinuxResources, Seccomp, SeccompSyscall, Hooks, NamespaceType } from './spec/types.js';
export type { ErrorCode, ErrorFacts } from './errors.js';
export type { ProcessEvents } from './library/container.js';
export { TsrunError, ERROR_CODES } from './errors.js';
export { Container, ExecProcess };
export { DEFAULT_ROOT };

export interface RuntimeOptions {
  /** State directory (runc's --root). Default /run/tsrun, or $XDG_RUNTIME_DIR/tsrun for an unprivileged caller (runc's rule). */
  root?: string;
  /** runc's --rootless: whether the cgroup hierarchy may be unwritable (then a container runs without a cgroup of its own). Default 'auto': when not root in the initial user namespace. */
  rootless?: boolean | 'auto';
  log?: Logger;
  /** runc's --systemd-cgroup: each container's cgroup is a transient systemd scope ("slice:prefix:name" cgroupsPath). */
  systemdCgroup?: boolean;
  /**
   * How many create() and start() calls run at once; the others wait their turn, in order.
   * Default: 2 per CPU (os.availableParallelism()). More at once does not set containers up
   * sooner on a busy host, and stalls this program's event loop longer (src/library/set-up-limit.ts).
   */
  setUpConcurrency?: number;
  /**
   * For a program that waits for each operation and does nothing else meanwhile (tsrun's CLI):
   * createUnwatched(), start() and delete() make their system calls on this thread, without a socket
   * object or libuv's thread pool (about 20 ms less per create in a short-lived process here).
   * Never in a program with other work to do: its event loop would stop until the container is set up.
   */
  blocking?: boolean;
}

/** Options of Runtime.create: a bundle directory, or a config in memory, and the process's stdio. */
export interface ContainerOptions extends Omit<AttachedOptions, 'dryRun'> {
  /** With `spec`: directory that relative paths (root.path, bind sources) resolve against, and the bundle hooks see. Default: the current directory. */
  bundle?: string;
}

/** Options of Runtime.run: create's, and what to do with the output and the container afterwards. */
export interface RunContainerOptions extends ContainerOptions {
  /** Collect stdout and stderr into Buffers (their stdio entries default to 'pipe'). */
  capture?: boolean;
  /** Keep the stopped container instead of deleting it. */
  keep?: boolean;
  /** Forward SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to this program to the container while it runs. Off by default: the library installs no signal handlers unless asked. */
  forwardSignals?: boolean;
}

/** What Runtime.run resolves with; stdout and stderr with `capture`. */
export type RunResult = ExitStatus & { stdout?: Buffer; stderr?: Buffer };

export class Runtime {
  private readonly ctx: RuntimeContext;
  /** Containers this Runtime created and still watches, so container(id) returns the watching handle. */
  private readonly watched = new Map<string, Container>();
  private readonly ops: ContainerOps;
  private readonly setUps: SetUpLimit;

  constructor(opts: RuntimeOptions = {}) {
    this.setUps = new SetUpLimit(opts.setUpConcurrency);
    this.ctx = {
      store: new StateStore(opts.root ?? preparedDefaultRoot(), { blocking: opts.blocking }),
      log: opts.log ?? silentLogger,
      rootless: opts.rootless,
      systemdCgroup: opts.systemdCgroup,
      blocking: opts.blocking,
    };
    this.ops = {
      start: (id) => this.start(id),
      state: (id) => this.state(id),
      kill: (id, sig, o) => this.kill(id, sig, o),
      delete: (id, o) => this.delete(id, o),
      pause: (id) => this.pause(id),
      resume: (id) => this.resume(id),
      pids: (id) => this.pids(id),
      stats: (id) => this.stats(id),
      update: (id, r) => this.update(id, r),
      execProcess: (id, o) => this.execProcess(id, o),
      waitForInitExit: async (id) => (await loadCommand<typeof import('./lifecycle/watch.js')>('watch')).waitForInitExit(this.ctx, id),
      checkpoint: (id, o) => this.checkpoint(id, o),
    };
  }

  get root(): string {
    return this.ctx.store.root;
  }

  /**
   * Creates the container and leaves its init waiting for start(). The
   * executor stays as the init's parent and reports its exit status and
   * OOM events to the returned handle. The config comes from `spec` (in
   * memory) or from BUNDLE/config.json.
   */
  async create(id: string, opts: ContainerOptions = {}): Promise<Container> {
    if ((opts as CreateOptions).dryRun) throw new TsrunError('create: dryRun is not an option of create; use plan()', { code: 'ERR_INVALID_ARGUMENT' });
    const { createAttached } = await loadCommand<typeof import('./lifecycle/create.js')>('create');
    const a = await this.setUps.run(() => createAttached(this.ctx, id, opts));
    const c = new Container(this.ops, id, { pid: a.record.pid, session: a.session, cgroup: a.record.cgroup ?? null, stdin: a.stdin, stdout: a.stdout, stderr: a.stderr, terminal: a.terminal });
    this.watched.set(id, c);
    return c;
  }

  /** A handle to an existing container: the watching one if this Runtime created it. Does not check that it exists. */
  container(id: string): Container {
    return this.watched.get(id) ?? new Container(this.ops, id);
  }

  /**
   * create + start + wait, then delete (unless `keep`). With `capture`,
   * stdout and stderr come back as Buffers.
   */
  async run(id: string, opts: RunContainerOptions = {}): Promise<RunResult> {
    const { capture, keep, forwardSignals, ...createOpts } = opts;
    const stdio = createOpts.stdio ?? (capture ? ['ignore', 'pipe', 'pipe'] : undefined);
    const c = await this.create(id, { ...createOpts, stdio });
    const outputs = capture ? [collect(c.stdout), collect(c.stderr)] : [];
    const stopForwarding = forwardSignals ? forwardTo((sig) => void c.kill(sig).catch((e) => this.forwardFailed(e))) : () => {};
    try {
      await c.start();
      const status = await c.wait();
      if (!capture) return status;
      const [stdout, stderr] = await Promise.all(outputs);
      return { ...status, stdout, stderr };
    } finally {
      stopForwarding();
      if (!keep) await c.delete({ force: true });
    }
  }

  /** A forwarded signal that finds the container gone has nothing left to do; anything else is worth a warning. */
  private forwardFailed(e: unknown): void {
    const code = (e as TsrunError).code;
    if (code !== 'ERR_BAD_STATE' && code !== 'ERR_NOT_FOUND') this.ctx.log.warn(`forwarding a signal: ${(e as Error).message}`);
  }

  /**
   * create as runc does it (the CLI's): the executor exits once the init is
   * cloned, and the caller (a shim, conmon) stays its parent or subreaper.
   * With dryRun, returns the plan as text and creates nothing.
   */
  async createUnwatched(id: string, opts: CreateOptions = {}): Promise<string | void> {
    return (await loadCommand<typeof import('./lifecycle/create.js')>('create')).create(this.ctx, id, opts);
  }

  /**
   * The CLI's run: create + start with the executor as the container's parent;
   * with `detach` returns once it started, otherwise resolves with its exit
   * code (128+signal), forwarding signals and attaching this process's terminal.
   */
  async runInForeground(id: string, opts: RunOptions = {}): Promise<number> {
    return (await loadCommand<typeof import('./lifecycle/run.js')>('run')).run(this.ctx, id, opts);
  }

  /** What create would do, as data (and as the text `create --dry-run` prints); creates nothing. */
  async plan(id: string, opts: ContainerOptions = {}): Promise<PlanData> {
    return (await loadCommand<typeof import('./lifecycle/create.js')>('create')).planAsData(this.ctx, id, opts);
  }

  /** What this build of tsrun supports (runc's `features`). */
  async features(): Promise<Features> {
    return (await loadCommand<typeof import('./spec/features.js')>('features')).features();
  }

  async start(id: string): Promise<void> {
    const { start } = await loadCommand<typeof import('./lifecycle/start.js')>('start');
    return this.setUps.run(() => start(this.ctx, id), true);
  }

  async state(id: string): Promise<ContainerState> {
    return (await loadCommand<typeof import('./lifecycle/state.js')>('state')).state(this.ctx, id);
  }

  async list(): Promise<ContainerState[]> {
    return (await loadCommand<typeof import('./lifecycle/state.js')>('state')).list(this.ctx);
  }

  async kill(id: string, signal: string | number = 'SIGTERM', opts: KillOptions = {}): Promise<void> {
    return (await loadCommand<typeof import('./lifecycle/kill.js')>('kill')).kill(this.ctx, id, signal, opts);
  }

  async delete(id: string, opts: DeleteOptions = {}): Promise<void> {
    await (await loadCommand<typeof import('./lifecycle/delete.js')>('delete')).deleteContainer(this.ctx, id, opts);
    this.watched.delete(id);
  }

  /** The CLI's exec: in the foreground resolves with the process's exit code; see Container.exec for a handle. */
  async exec(id: string, opts: ExecOptions): Promise<number> {
    return (await loadCommand<typeof import('./lifecycle/exec.js')>('exec')).exec(this.ctx, id, opts);
  }

  /** Runs another process in the container and returns a handle to it (pid, stdio, wait()). */
  async execProcess(id: string, opts: ExecAttachedOptions): Promise<ExecProcess> {
    const a = await (await loadCommand<typeof import('./lifecycle/exec.js')>('exec')).execAttached(this.ctx, id, opts);
    return new ExecProcess({ pid: a.pid, session: a.session, cgroup: a.record.cgroup ?? null, stdin: a.stdin, stdout: a.stdout, stderr: a.stderr, terminal: a.terminal });
  }

  /** Freezes the container (cgroup freezer). */
  async pause(id: string): Promise<void> {
    return (await loadCommand<typeof import('./lifecycle/cgroup-commands.js')>('cgroup-commands')).pause(this.ctx, id);
  }

  async resume(id: string): Promise<void> {
    return (await loadCommand<typeof import('./lifecycle/cgroup-commands.js')>('cgroup-commands')).resume(this.ctx, id);
  }

  /** Host pids of the container's processes. */
  async pids(id: string): Promise<number[]> {
    return (await loadCommand<typeof import('./lifecycle/cgroup-commands.js')>('cgroup-commands')).pids(this.ctx, id);
  }

  /** Applies new limits to the running container; returns warnings for fields this host skips. */
  async update(id: string, resources: Resources): Promise<string[]> {
    return (await loadCommand<typeof import('./lifecycle/cgroup-commands.js')>('cgroup-commands')).update(this.ctx, id, resources);
  }

  /** runc's stats document, and the OOM kill count. */
  async stats(id: string): Promise<ContainerStats> {
    return (await loadCommand<typeof import('./lifecycle/cgroup-commands.js')>('cgroup-commands')).containerStats(this.ctx, id);
  }

  /** What tsrun recorded about a container at create (its config among it). */
  async record(id: string): Promise<ContainerRecord> {
    return this.ctx.store.load(id);
  }

  /** Dumps the running container with CRIU into opts.imagePath; it stops unless opts.leaveRunning. */
  async checkpoint(id: string, opts: CheckpointOptions = {}): Promise<void> {
    return (await loadCommand<typeof import('./lifecycle/checkpoint.js')>('checkpoint')).checkpoint(this.ctx, id, opts);
  }

  /** A new container id from a checkpoint; detached resolves with 0 once running, else with the exit code. */
  async restore(id: string, opts: RestoreOptions = {}): Promise<number> {
    return (await loadCommand<typeof import('./lifecycle/restore.js')>('restore')).restore(this.ctx, id, opts);
  }
}

/** All a stream gives until its end, as one Buffer (empty for no stream). */
function collect(stream: NodeJS.ReadableStream | null): Promise<Buffer> {
  if (!stream) return Promise.resolve(Buffer.alloc(0));
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
export type { CheckpointOptions, RestoreOptions } from './checkpoint/options.js';
import type { CheckpointOptions, RestoreOptions } from './checkpoint/options.js';

/** Validates a bundle's config.json; throws a TsrunError naming the file, JSON pointer and rule. */
export async function validate(bundle: string): Promise<Spec> {
  return (await loadCommand<typeof import('./spec/commands.js')>('spec')).loadBundle(bundle).spec;
}

/** The default config.json (`tsrun spec`), or the rootless one. */
export async function defaultSpec(opts: { rootless?: boolean; uid?: number; gid?: number } = {}): Promise<Spec> {
  const d = await loadCommand<typeof import('./spec/commands.js')>('spec');
  return opts.rootless ? d.rootlessSpec(opts.uid ?? process.getuid!(), opts.gid ?? process.getgid!()) : d.defaultSpec();
}
