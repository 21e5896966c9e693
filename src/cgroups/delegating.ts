// A cgroup handle that passes every call to another: the base of the
// wrappers that change one or two things about a driver (systemd/scope.ts:
// removal through systemd; rootless-devices.ts: no device rules).
import type { CgroupHandle, CgroupMode, CgroupRecord } from './types.js';

export class DelegatingCgroup<T extends CgroupHandle = CgroupHandle> implements CgroupHandle {
  constructor(protected readonly inner: T) {}

  get mode(): CgroupMode {
    return this.inner.mode;
  }

  get record(): CgroupRecord {
    return this.inner.record;
  }

  create(): Promise<void> {
    return this.inner.create();
  }

  addProcess(pid: number): void {
    this.inner.addProcess(pid);
  }

  addProcessAsync(pid: number): Promise<void> {
    return this.inner.addProcessAsync(pid);
  }

  procsFiles(): string[] | null {
    return this.inner.procsFiles();
  }

  pids(): number[] {
    return this.inner.pids();
  }

  killAll(signal: number): void {
    this.inner.killAll(signal);
  }

  freeze(): void {
    this.inner.freeze();
  }

  thaw(): void {
    this.inner.thaw();
  }

  isFrozen(): boolean {
    return this.inner.isFrozen();
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
