import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TsrunError, sysError } from '../errors.js';
import type { CgroupRecord } from '../cgroups/types.js';
import type { Spec } from '../spec/types.js';

export const DEFAULT_ROOT = '/run/tsrun';

/** What tsrun keeps about a container in ROOT/ID/state.json. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  /** Host pid of the init; 0 until it is cloned. */
  pid: number;
  /** Field 22 of /proc/PID/stat when the init was cloned: tells pid reuse apart. */
  startTime?: string;
  bundle: string;
  rootfs: string;
  /** RFC 3339 time of creation. */
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  cgroup?: CgroupRecord | null;
  /** The config as it was at create: later edits of the bundle do not affect the container. */
  config: Spec;
}

const ID_RE = /^[\w+\-.]+$/;

export function checkId(id: string | undefined): string {
  if (!id) throw new TsrunError('container id cannot be empty', { code: 'ERR_INVALID_ARGUMENT' });
  if (!ID_RE.test(id) || id === '.' || id === '..') throw new TsrunError(`invalid container ID format: ${JSON.stringify(id)} (use letters, digits, _ + - and .)`, { code: 'ERR_INVALID_ARGUMENT' });
  return id;
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  fifoPath(id: string): string {
    return join(this.root, id, 'exec.fifo');
  }

  /** Makes ROOT/ID; fails if it exists, so two creates of one id cannot both win. */
  makeDir(id: string): string {
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o711 });
    } catch (e) {
      throw sysError('mkdir', this.root, e);
    }
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new TsrunError(`container with given ID already exists: ${id}`, { code: 'ERR_EXISTS' });
      throw sysError('mkdir', dir, e);
    }
    return dir;
  }

  /**
   * Writes state.json atomically (temp file + rename): readers, and a tsrun
   * killed at any moment, see the old or the new, never half. No fsync: the
   * state lives in /run, gone at power loss anyway, and an fsync costs each
   * command ~4.5 ms where /run is on disk (runc and crun do not sync either).
   */
  write(rec: ContainerRecord): void {
    const file = join(this.dir(rec.id), 'state.json');
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(rec));
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw sysError('write', file, e);
    }
  }

  /** The record, or undefined when there is no such container (or it has no state.json yet). */
  read(id: string): ContainerRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as ContainerRecord;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw sysError('read', join(this.dir(id), 'state.json'), e);
    }
  }

  /** Like read, but an unknown id is an error worded as runc words it. */
  load(id: string): ContainerRecord {
    checkId(id);
    const rec = this.read(id);
    if (!rec) throw new TsrunError('container does not exist', { code: 'ERR_NOT_FOUND' });
    return rec;
  }

  exists(id: string): boolean {
    try {
      readdirSync(this.dir(id));
      return true;
    } catch {
      return false;
    }
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  ids(): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
  }
}
