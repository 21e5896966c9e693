// The cgroup v1 driver (also used in hybrid mode, where the cgroup2 mount is
// left alone, as runc's cgroupfs driver does). One directory per mounted
// hierarchy; comounted controllers (cpu,cpuacct) share one.
import { posix } from 'node:path';
import type { CgroupHandle, CgroupMode, CgroupRecord } from './types.js';
import { CgroupError } from './errors.js';
import { readCg, readCgOpt, sleepMs, writeCg } from './fsutil.js';
import { makeDirs, removeCreated } from './dirs.js';
import { allPids, signalPids, tryOrFalse, writeProc, writeProcAsync } from './procs.js';

/** The lifecycle half; the resources half is V1Manager in managers.ts. */
export class V1Cgroup implements CgroupHandle {
  readonly mode: CgroupMode;

  constructor(
    readonly record: CgroupRecord,
    /** controller -> mount point; create() makes directories only below it ("/" if unknown). */
    protected readonly mounts: Record<string, string> = {},
  ) {
    this.mode = record.mode;
  }

  /** The distinct directories, one per hierarchy. */
  private uniqueDirs(): string[] {
    return [...new Set(Object.values(this.record.dirs))];
  }

  /** The directory used to list processes: devices (as runc), else any. */
  private procsDir(): string {
    const d = this.record.dirs;
    return d.devices ?? d.freezer ?? d.pids ?? d.memory ?? Object.values(d)[0];
  }

  async create(): Promise<void> {
    // One mkdir -p per hierarchy, in the order of dirs. Each directory made is recorded as it is
    // made, before any failure is reported: destroy() must find what the other hierarchies made.
    const hierarchies = [...new Map(Object.entries(this.record.dirs).map(([controller, dir]) => [dir, controller])).entries()];
    const created = (this.record.created = [...(this.record.created ?? [])]);
    for (const [dir, controller] of hierarchies) makeDirs(this.mounts[controller] ?? '/', dir, created);
    const cpuset = this.record.dirs.cpuset;
    if (cpuset && this.mounts.cpuset) cpusetFill(this.mounts.cpuset, cpuset);
  }

  addProcess(pid: number): void {
    for (const dir of this.uniqueDirs()) writeProc(dir, pid);
  }

  async addProcessAsync(pid: number): Promise<void> {
    await Promise.all(this.uniqueDirs().map((dir) => writeProcAsync(dir, pid)));
  }

  procsFiles(): string[] {
    return this.uniqueDirs().map((dir) => posix.join(dir, 'cgroup.procs'));
  }

  pids(): number[] {
    return allPids(this.procsDir());
  }

  killAll(signal: number): void {
    // Freeze first so nothing forks between listing and signalling (runc's
    // signalAllProcesses). A paused container stays paused, except for
    // SIGKILL: frozen v1 tasks cannot die until thawed.
    // A freeze that fails (stuck FREEZING) must not stop the kill: runc only warns.
    const freezer = this.record.dirs.freezer;
    const wasFrozen = freezer ? this.isFrozen() : false;
    const frozen = freezer ? tryOrFalse(() => this.freeze()) : false;
    try {
      signalPids(freezer ? allPids(freezer) : this.pids(), signal);
    } finally {
      if (freezer && (frozen || wasFrozen) && (!wasFrozen || signal === 9)) this.thaw();
    }
  }

  freeze(): void {
    const dir = this.freezerDir();
    // A cgroup v1 freeze can stay in FREEZING while tasks keep forking; runc
    // retries up to 1000 times, thawing now and then, with growing sleeps
    // for very slow machines. Same here.
    let slow = 1;
    try {
      for (let i = 0; i < 1000; i++) {
        if (i % 50 === 49) {
          writeCg(dir, 'freezer.state', 'THAWED');
          sleepMs(10);
        }
        writeCg(dir, 'freezer.state', 'FROZEN');
        if (i % 25 === 24) sleepMs(1);
        if (i % 200 === 199) {
          sleepMs(slow * 1000);
          slow *= 2;
        }
        const state = readCg(dir, 'freezer.state').trim();
        if (state === 'FROZEN') return;
        if (state !== 'FREEZING') throw new CgroupError(`${dir}/freezer.state: unexpected state ${state} while freezing`, dir);
      }
      throw new CgroupError(`${dir}/freezer.state: still FREEZING after 1000 attempts (tasks keep forking?)`, dir);
    } catch (err) {
      // Never leave a cgroup half frozen.
      try {
        writeCg(dir, 'freezer.state', 'THAWED');
      } catch {
        // the original error matters more
      }
      throw err;
    }
  }

  thaw(): void {
    writeCg(this.freezerDir(), 'freezer.state', 'THAWED');
  }

  isFrozen(): boolean {
    const dir = this.record.dirs.freezer;
    if (!dir) return false;
    for (;;) {
      const state = readCg(dir, 'freezer.state').trim();
      if (state === 'THAWED') return false;
      if (state === 'FREEZING') {
        sleepMs(1);
        continue;
      }
      // FROZEN may come from a frozen ancestor; only our own freeze counts.
      const self = readCgOpt(dir, 'freezer.self_freezing');
      return self === undefined || self.trim() === '1';
    }
  }

  async destroy(): Promise<void> {
    await removeCreated(this.record.created ?? [], new Set(this.uniqueDirs()));
  }

  private freezerDir(): string {
    const dir = this.record.dirs.freezer;
    if (!dir) throw new CgroupError('cannot freeze: the freezer controller is not mounted on this host');
    return dir;
  }
}

/**
 * A new v1 cpuset cgroup has empty cpuset.cpus and cpuset.mems, and a task
 * cannot join it (ENOSPC). Like runc, copy them down from the parent into
 * every directory on the way that is still empty.
 */
function cpusetFill(mountpoint: string, dir: string): void {
  const rel = posix.relative(mountpoint, dir);
  let parent = mountpoint;
  for (const part of rel.split('/').filter(Boolean)) {
    const cur = posix.join(parent, part);
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (readCg(cur, file).trim() === '') writeCg(cur, file, readCg(parent, file).trim());
    }
    parent = cur;
  }
}
