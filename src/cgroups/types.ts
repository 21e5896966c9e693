// The one interface both cgroup drivers (v1 and v2) implement. The lifecycle
// code (create, delete, kill, state) uses only this.
import type { Resources } from '../spec/types.js';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

/** What a container records in its state so a later command can reopen its cgroup. */
export interface CgroupRecord {
  mode: CgroupMode;
  /** The cgroup path inside each hierarchy, e.g. "/tsrun/abc" (always absolute). */
  path: string;
  /** v1: controller name (or "name=systemd") -> absolute directory; v2: { unified: dir }. */
  dirs: Record<string, string>;
  /**
   * The directories create() made (absolute, parents before children), so
   * that destroy() in a later command removes those and nothing it joined.
   * Absent in a record written before create(): destroy() then removes nothing.
   */
  created?: string[];
  /**
   * Set when the systemd driver made this cgroup: the transient scope unit
   * in its slice, and whose manager runs it (root's, or the caller's
   * systemd --user).
   */
  systemd?: { unit: string; slice: string; user: boolean };
}

/**
 * What the lifecycle commands (start, kill, delete, exec) need of a
 * container's cgroup: no resources and no stats, so their bundles do not
 * carry (and every run of them does not compile) that code.
 */
export interface CgroupHandle {
  readonly mode: CgroupMode;
  readonly record: CgroupRecord;
  /** Creates the directories (nested paths too). Existing ones are joined, not an error. */
  create(): Promise<void>;
  /** Moves pid into the cgroup (every hierarchy on v1). */
  addProcess(pid: number): void;
  /** The same, with the writes off the event loop. */
  addProcessAsync(pid: number): Promise<void>;
  /**
   * The cgroup.procs files a process joins by its pid written to each (the
   * executor's CGROUP_JOIN ops write them), or null when joining takes
   * more than that (a systemd scope is started with its first pid).
   */
  procsFiles(): string[] | null;
  /** Host pids in the cgroup. */
  pids(): number[];
  /** Sends sig to every process in the cgroup (cgroup.kill on v2 for SIGKILL where present). */
  killAll(signal: number): void;
  freeze(): void;
  thaw(): void;
  /** True when the freezer says FROZEN / cgroup.freeze is 1. */
  isFrozen(): boolean;
  /** Removes the directories it created; retries briefly while tasks drain. */
  destroy(): Promise<void>;
}

/** A handle that can also write linux.resources (create and update). */
export interface CgroupManager extends CgroupHandle {
  /** Writes linux.resources. Returns warnings for fields skipped on this host. Throws naming the field. */
  setResources(resources: Resources, opts?: { update?: boolean }): string[];
}
