import { containerStatus, type Status } from '../state/status.js';
import type { ContainerRecord } from '../state/store.js';
import type { RuntimeContext } from './context.js';
import { SPEC_VERSION } from '../spec/version.js';

/** The state document of runtime.md, with runc's field order and its `owner` field. */
export interface ContainerState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
}

export function describeState(rec: ContainerRecord, dir: string): ContainerState {
  const status = containerStatus(rec, dir);
  const annotations = rec.annotations && Object.keys(rec.annotations).length ? { annotations: rec.annotations } : {};
  return {
    ociVersion: SPEC_VERSION,
    id: rec.id,
    pid: status === 'stopped' ? 0 : rec.pid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
    ...annotations,
    owner: rec.owner,
  };
}

/** `tsrun state`: `owner` stays empty, as runc's state leaves it (only `list` names the owner). */
export async function state(ctx: RuntimeContext, id: string): Promise<ContainerState> {
  return { ...describeState(ctx.store.load(id), ctx.store.dir(id)), owner: '' };
}

/**
 * Every container under the root; directories without state.json (a create
 * in progress) are skipped. A container whose state cannot be read is left
 * out with a warning, as runc does: one bad state.json must not hide the others.
 */
export async function list(ctx: RuntimeContext): Promise<ContainerState[]> {
  const out: ContainerState[] = [];
  for (const id of ctx.store.ids()) {
    let rec: ContainerRecord | undefined;
    try {
      rec = ctx.store.read(id);
    } catch (e) {
      ctx.log.warn(`load container ${id}: ${(e as Error).message}`);
      continue;
    }
    if (rec) out.push(describeState(rec, ctx.store.dir(id)));
  }
  return out;
}
