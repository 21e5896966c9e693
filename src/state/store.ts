import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileOps, type FileOps } from '../linux/async-fs.js';
import { dirname, join } from 'node:path';
import { TsrunError, errnoOf, sysError } from '../errors.js';
import type { CgroupRecord } from '../cgroups/types.js';
import type { Spec } from '../spec/types.js';

export const DEFAULT_ROOT = '/run/tsrun';

/** Temp names of state.json writes: unique within the process, so two writes in flight never share one. */
let tmpSeq = 0;

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

/** A state.json as read: a record, or what was parsed of a damaged one and why it is no record. */
export type StateRead = { ok: true; record: ContainerRecord; reason?: undefined; raw?: undefined } | { ok: false; reason: string; raw: unknown; record?: undefined };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why raw is not the record of container id, or undefined when it is one. */
function recordProblem(raw: unknown, id: string): string | undefined {
  if (!isObject(raw)) return `not an object: ${Array.isArray(raw) ? 'an array' : String(raw === null ? 'null' : typeof raw)}`;
  if (raw.id !== id) return `its id is ${JSON.stringify(raw.id)}, not ${JSON.stringify(id)}`;
  const pid = raw.pid;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid < 0) return `pid is not a process id: ${JSON.stringify(pid)}`;
  // Without its start time a pid may name any process: never act on it.
  if (pid > 0 && typeof raw.startTime !== 'string') return `pid ${pid} has no start time: its identity cannot be confirmed`;
  for (const k of ['bundle', 'rootfs', 'created'] as const) if (typeof raw[k] !== 'string') return `${k} is not a string`;
  if (!isObject(raw.config)) return 'config is not an object';
  const cg = raw.cgroup;
  if (cg !== undefined && cg !== null && !isCgroupRecord(cg)) return 'cgroup is not a cgroup record';
  return undefined;
}

/** The shape of a CgroupRecord: a mode and absolute directories. */
export function isCgroupRecord(v: unknown): v is CgroupRecord {
  if (!isObject(v) || typeof v.mode !== 'string' || typeof v.path !== 'string' || !isObject(v.dirs)) return false;
  if (!Object.values(v.dirs).every((d) => typeof d === 'string' && d.startsWith('/'))) return false;
  return v.created === undefined || (Array.isArray(v.created) && v.created.every((d) => typeof d === 'string' && d.startsWith('/')));
}

const ID_RE = /^[\w+\-.]+$/;

export function checkId(id: string | undefined): string {
  if (!id) throw new TsrunError('container id cannot be empty', { code: 'ERR_INVALID_ARGUMENT' });
  if (!ID_RE.test(id) || id === '.' || id === '..') throw new TsrunError(`invalid container ID format: ${JSON.stringify(id)} (use letters, digits, _ + - and .)`, { code: 'ERR_INVALID_ARGUMENT' });
  return id;
}

export class StateStore {
  /** Renames and removals through libuv's pool, or with `blocking` on this thread (RuntimeOptions.blocking). */
  private readonly fs: FileOps;

  constructor(
    readonly root: string,
    how: { blocking?: boolean } = {},
  ) {
    this.fs = fileOps(how);
  }

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
      throw sysError('mkdir', this.root, realMkdirError(this.root, e));
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
  async write(rec: ContainerRecord): Promise<void> {
    const file = join(this.dir(rec.id), 'state.json');
    const tmp = `${file}.${process.pid}.${++tmpSeq}.tmp`;
    try {
      // A new file of a few KB is written at once (its blocks are allocated
      // later): three trips through the thread pool would cost more. The
      // rename goes through the pool: on a disk-backed root it waits for the journal.
      writeFileSync(tmp, JSON.stringify(rec));
      await this.fs.rename(tmp, file);
    } catch (e) {
      await this.fs.rm(tmp, { force: true });
      throw sysError('write', file, e);
    }
  }

  /**
   * The record, or undefined when there is no such container (or it has no
   * state.json yet). A state.json that is not a record (truncated, garbage,
   * edited) is an ERR_BAD_STATE error naming the file: never a crash later.
   */
  read(id: string): ContainerRecord | undefined {
    const st = this.readState(id);
    if (st && !st.ok) throw new TsrunError(`container ${id}: ${this.statePath(id)} is damaged (${st.reason})`, { code: 'ERR_BAD_STATE', path: this.statePath(id) });
    return st?.record;
  }

  /** Like read, but a damaged state.json is returned (what could be parsed, and why it is no record) instead of thrown. */
  readState(id: string): StateRead | undefined {
    const file = this.statePath(id);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw sysError('read', file, e);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return { ok: false, reason: `not JSON: ${(e as Error).message}`, raw: undefined };
    }
    const reason = recordProblem(raw, id);
    return reason === undefined ? { ok: true, record: raw as ContainerRecord } : { ok: false, reason, raw };
  }

  statePath(id: string): string {
    return join(this.dir(id), 'state.json');
  }

  /** Like read, but an unknown id is an error worded as runc words it. */
  load(id: string): ContainerRecord {
    checkId(id);
    const rec = this.read(id);
    if (!rec) throw new TsrunError('container does not exist', { code: 'ERR_NOT_FOUND' });
    return rec;
  }

  /** Only a missing directory means no container: any other failure (EACCES, EIO) is an error, never "nothing to do". */
  exists(id: string): boolean {
    try {
      readdirSync(this.dir(id));
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw sysError('read', this.dir(id), e);
    }
  }

  /**
   * Removes ROOT/ID and what is in it, off the event loop. A started
   * container's directory holds state.json and the lock: unlink both, then
   * the directory, three trips through the thread pool where fs.rm's
   * recursive walk takes seven. Anything else there (the exec fifo of a
   * container never started, a temp file a killed write left) takes that walk.
   */
  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    const gone = (e: unknown) => {
      if (errnoOf(e) !== 'ENOENT') throw e;
    };
    await Promise.all(['state.json', 'lock'].map((f) => this.fs.unlink(join(dir, f)).catch(gone)));
    try {
      await this.fs.rmdir(dir);
    } catch (e) {
      if (errnoOf(e) !== 'ENOTEMPTY' && errnoOf(e) !== 'EEXIST') return gone(e);
      await this.fs.rm(dir, { recursive: true, force: true });
    }
  }

  ids(): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return [];
      throw sysError('read', this.root, e);
    }
  }
}

/**
 * Node's recursive mkdir reports ENOENT for a path it could not create for
 * another reason (EROFS on a read-only filesystem, EACCES): make the first
 * missing component alone to learn the kernel's errno.
 */
function realMkdirError(path: string, err: unknown): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err;
  let missing = path;
  while (dirname(missing) !== missing && !existsSync(dirname(missing))) missing = dirname(missing);
  try {
    mkdirSync(missing, { mode: 0o711 });
  } catch (e) {
    return e;
  }
  return err;
}
