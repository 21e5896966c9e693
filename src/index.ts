/**
 * tsrun as a library. The CLI is a thin layer over this class. Each method
 * loads its own code on first use, so a program that only reads state does
 * not load the validator, the plan builder or koffi.
 */
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import { DEFAULT_ROOT, StateStore } from './state/store.js';
import { loadOp } from './op-loader.js';
import type { RuntimeContext } from './lifecycle/context.js';
import type { CreateOptions } from './lifecycle/create.js';
import type { RunOptions } from './lifecycle/run.js';
import type { KillOptions } from './lifecycle/kill.js';
import type { DeleteOptions } from './lifecycle/delete.js';
import type { ContainerState } from './lifecycle/state.js';
import type { ExecOptions } from './lifecycle/exec.js';
import type { ContainerRecord } from './state/store.js';
import type { Resources, Spec } from './spec/types.js';
import type { ContainerStats } from './lifecycle/cgroup-ops.js';

export type { Logger, CreateOptions, RunOptions, KillOptions, DeleteOptions, ContainerState, ExecOptions, ContainerRecord, ContainerStats, Resources, Spec };
export { TsrunError } from './errors.js';
export { DEFAULT_ROOT };

export interface RuntimeOptions {
  /** State directory (runc's --root). Default /run/tsrun. */
  root?: string;
  log?: Logger;
}

export class Runtime {
  private readonly ctx: RuntimeContext;

  constructor(opts: RuntimeOptions = {}) {
    this.ctx = { store: new StateStore(opts.root ?? DEFAULT_ROOT), log: opts.log ?? silentLogger };
  }

  get root(): string {
    return this.ctx.store.root;
  }

  /** Creates the container and leaves its init waiting for start(). With dryRun, returns the plan as text. */
  async create(id: string, opts: CreateOptions = {}): Promise<string | void> {
    return (await loadOp<typeof import('./lifecycle/create.js')>('create')).create(this.ctx, id, opts);
  }

  async start(id: string): Promise<void> {
    return (await loadOp<typeof import('./lifecycle/start.js')>('start')).start(this.ctx, id);
  }

  async state(id: string): Promise<ContainerState> {
    return (await loadOp<typeof import('./lifecycle/state.js')>('state')).state(this.ctx, id);
  }

  async list(): Promise<ContainerState[]> {
    return (await loadOp<typeof import('./lifecycle/state.js')>('state')).list(this.ctx);
  }

  async kill(id: string, signal: string | number = 'SIGTERM', opts: KillOptions = {}): Promise<void> {
    return (await loadOp<typeof import('./lifecycle/kill.js')>('kill')).kill(this.ctx, id, signal, opts);
  }

  async delete(id: string, opts: DeleteOptions = {}): Promise<void> {
    return (await loadOp<typeof import('./lifecycle/delete.js')>('delete')).deleteContainer(this.ctx, id, opts);
  }

  /** Runs another process in the container; in the foreground resolves with its exit code. */
  async exec(id: string, opts: ExecOptions): Promise<number> {
    return (await loadOp<typeof import('./lifecycle/exec.js')>('exec')).exec(this.ctx, id, opts);
  }

  /** Freezes the container (cgroup freezer). */
  async pause(id: string): Promise<void> {
    return (await loadOp<typeof import('./lifecycle/cgroup-ops.js')>('cgroup-ops')).pause(this.ctx, id);
  }

  async resume(id: string): Promise<void> {
    return (await loadOp<typeof import('./lifecycle/cgroup-ops.js')>('cgroup-ops')).resume(this.ctx, id);
  }

  /** Host pids of the container's processes. */
  async pids(id: string): Promise<number[]> {
    return (await loadOp<typeof import('./lifecycle/cgroup-ops.js')>('cgroup-ops')).pids(this.ctx, id);
  }

  /** Applies new limits to the running container; returns warnings for fields this host skips. */
  async update(id: string, resources: Resources): Promise<string[]> {
    return (await loadOp<typeof import('./lifecycle/cgroup-ops.js')>('cgroup-ops')).update(this.ctx, id, resources);
  }

  /** runc's stats document, and the OOM kill count. */
  async stats(id: string): Promise<ContainerStats> {
    return (await loadOp<typeof import('./lifecycle/cgroup-ops.js')>('cgroup-ops')).containerStats(this.ctx, id);
  }

  /** What tsrun recorded about a container at create (its config among it). */
  async record(id: string): Promise<ContainerRecord> {
    return this.ctx.store.load(id);
  }

  /** create + start; in the foreground resolves with the exit code (128+signal when killed). */
  async run(id: string, opts: RunOptions = {}): Promise<number> {
    return (await loadOp<typeof import('./lifecycle/run.js')>('run')).run(this.ctx, id, opts);
  }

  /** Dumps the running container with CRIU into opts.imagePath; it stops unless opts.leaveRunning. */
  async checkpoint(id: string, opts: CheckpointOptions = {}): Promise<void> {
    return (await loadOp<typeof import('./lifecycle/checkpoint.js')>('checkpoint')).checkpoint(this.ctx, id, opts);
  }

  /** A new container id from a checkpoint; detached resolves with 0 once running, else with the exit code. */
  async restore(id: string, opts: RestoreOptions = {}): Promise<number> {
    return (await loadOp<typeof import('./lifecycle/restore.js')>('restore')).restore(this.ctx, id, opts);
  }
}
export type { CheckpointOptions, RestoreOptions } from './checkpoint/options.js';
import type { CheckpointOptions, RestoreOptions } from './checkpoint/options.js';

/** Validates a bundle's config.json; throws a TsrunError naming the file, JSON pointer and rule. */
export async function validate(bundle: string): Promise<Spec> {
  return (await loadOp<typeof import('./spec/ops.js')>('spec')).loadBundle(bundle).spec;
}

/** The default config.json (`tsrun spec`), or the rootless one. */
export async function defaultSpec(opts: { rootless?: boolean; uid?: number; gid?: number } = {}): Promise<Spec> {
  const d = await loadOp<typeof import('./spec/ops.js')>('spec');
  return opts.rootless ? d.rootlessSpec(opts.uid ?? process.getuid!(), opts.gid ?? process.getgid!()) : d.defaultSpec();
}
