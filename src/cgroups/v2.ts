// The cgroup v2 driver: one directory in the unified hierarchy.
import { posix } from 'node:path';
import type { CgroupHandle, CgroupMode, CgroupRecord } from './types.js';
import { CgroupError, whyBusy } from './errors.js';
import { hasFile, readCg, readCgOpt, sleepMs, writeCg } from './fsutil.js';
import { makeDirs, removeCreated } from './dirs.js';
import { allPids, signalPids, tryOrFalse, writeProc, writeProcAsync } from './procs.js';

/** The lifecycle half; the resources half is V2Manager in managers.ts. */
export class V2Cgroup implements CgroupHandle {
  readonly mode: CgroupMode = 'v2';

  constructor(
    readonly record: CgroupRecord,
    /** The cgroup2 mount point; create() makes directories only below it. */
    protected readonly mountpoint = '/sys/fs/cgroup',
  ) {}

  protected get dir(): string {
    return this.record.dirs.unified;
  }

  async create(): Promise<void> {
    // Each directory made is recorded as it is made, before any failure is reported (destroy() removes them).
    makeDirs(this.mountpoint, this.dir, (this.record.created = [...(this.record.created ?? [])]));
    enableControllers(this.mountpoint, this.dir);
  }

  addProcess(pid: number): void {
    try {
      writeProc(this.dir, pid);
    } catch (err) {
      throw this.explainAdd(err);
    }
  }

  async addProcessAsync(pid: number): Promise<void> {
    try {
      await writeProcAsync(this.dir, pid);
    } catch (err) {
      throw this.explainAdd(err);
    }
  }

  procsFiles(): string[] {
    return [posix.join(this.dir, 'cgroup.procs')];
  }

  /** The "no internal processes" rule: a cgroup that hands controllers to children cannot hold processes itself. */
  private explainAdd(err: unknown): unknown {
    if ((err as CgroupError).errno === 'EBUSY') {
      return new CgroupError(`${(err as Error).message}: ${whyBusy(this.dir)}`, this.dir, 'EBUSY');
    }
    return err;
  }

  pids(): number[] {
    return allPids(this.dir);
  }

  killAll(signal: number): void {
    // cgroup.kill (Linux >= 5.14) kills the whole subtree atomically, forks included.
    if (signal === 9 && hasFile(this.dir, 'cgroup.kill')) {
      writeCg(this.dir, 'cgroup.kill', '1');
      return;
    }
    // Otherwise freeze so nothing forks between listing and signalling; a
    // paused container stays paused (frozen tasks still get the signal when
    // thawed), except for SIGKILL.
    // A freeze that times out must not stop the kill: runc only warns.
    const canFreeze = hasFile(this.dir, 'cgroup.freeze');
    const wasFrozen = canFreeze && this.isFrozen();
    const frozen = canFreeze && tryOrFalse(() => this.freeze());
    try {
      signalPids(this.pids(), signal);
    } finally {
      if ((frozen || wasFrozen) && (!wasFrozen || signal === 9)) this.thaw();
    }
  }

  freeze(): void {
    if (!hasFile(this.dir, 'cgroup.freeze')) {
      throw new CgroupError(`cannot freeze: ${this.dir}/cgroup.freeze does not exist (the cgroup v2 freezer needs Linux >= 5.2)`, this.dir);
    }
    writeCg(this.dir, 'cgroup.freeze', '1');
    // The write only starts freezing; cgroup.events says when every task is
    // stopped. runc polls every 10 ms for up to 10 s.
    for (let i = 0; i < 1000; i++) {
      if (/^frozen 1$/m.test(readCg(this.dir, 'cgroup.events'))) return;
      sleepMs(10);
    }
    try {
      writeCg(this.dir, 'cgroup.freeze', '0');
    } catch {
      // the timeout matters more
    }
    throw new CgroupError(`${this.dir}: not frozen 10 s after writing 1 to cgroup.freeze`, this.dir);
  }

  thaw(): void {
    if (hasFile(this.dir, 'cgroup.freeze')) writeCg(this.dir, 'cgroup.freeze', '0');
  }

  isFrozen(): boolean {
    return readCgOpt(this.dir, 'cgroup.freeze')?.trim() === '1';
  }

  async destroy(): Promise<void> {
    // An attached device filter goes away with the directory.
    await removeCreated(this.record.created ?? [], new Set([this.dir]));
  }
}

/**
 * Makes every controller the hierarchy offers available to dir: each
 * ancestor from the mount point down to dir's parent gets the controllers it
 * has (cgroup.controllers) enabled for its children (cgroup.subtree_control),
 * as runc does. A refusal (e.g. EBUSY: that ancestor holds processes) is not
 * fatal here; a resource that then needs the missing controller fails with a
 * message naming it.
 */
export function enableControllers(mountpoint: string, dir: string): void {
  const rel = posix.relative(mountpoint, dir);
  let cur = mountpoint;
  for (const part of rel.split('/').filter(Boolean)) {
    const have = new Set(readCg(cur, 'cgroup.subtree_control').split(/\s+/).filter(Boolean));
    const missing = readCg(cur, 'cgroup.controllers')
      .split(/\s+/)
      .filter((c) => c && !have.has(c));
    if (missing.length > 0) {
      try {
        writeCg(cur, 'cgroup.subtree_control', missing.map((c) => '+' + c).join(' '));
      } catch {
        // All at once failed: enable what can be, one by one.
        for (const c of missing) {
          try {
            writeCg(cur, 'cgroup.subtree_control', '+' + c);
          } catch {
            // reported later by the resource that needs it
          }
        }
      }
    }
    cur = posix.join(cur, part);
  }
}
