import { configError } from '../errors.js';
import { isAbsolute, join } from 'node:path';
import { Op } from '../native/generated/instruction-set.js';
import type { RootfsPlanContext } from './context.js';
import type { IDMapping, Mount, Spec } from '../spec/types.js';
import { parseMountOptions, type ParsedMountOptions } from './mount-options.js';

// open_tree(2), mount_setattr(2) and move_mount(2) flags (linux/mount.h, fcntl.h).
const OPEN_TREE_CLONE = 0x1;
const OPEN_TREE_CLOEXEC = 0o2000000;
const AT_RECURSIVE = 0x8000;
const AT_EMPTY_PATH = 0x1000;

/** Bind sources the executor takes before clone, per mount index: the op that did (its plan index) and how. */
export interface MountTrees {
  ops: Op[];
  at: Map<number, { index: number; kind: 'tree' | 'fd' }>;
  /** How many BIND_SOURCE fds the init receives (OP_RECV_SOURCES). */
  fds: number;
}

/** A mount's options, or an error naming the field. */
export function mountOptionsAt(m: Mount, i: number): ParsedMountOptions {
  try {
    return parseMountOptions(m.options);
  } catch (e) {
    throw configError(`/mounts/${i}/options`, `${(e as Error).message}`);
  }
}

/** The absolute host path of a bind mount's source (relative ones are in the bundle). */
export function bindSource(m: Mount, i: number, ctx: RootfsPlanContext): string {
  if (!m.source) throw configError(`/mounts/${i}/source`, `a bind mount needs a source`);
  const source = isAbsolute(m.source) ? m.source : join(ctx.bundle, m.source);
  if (!ctx.host.pathKind(source)) throw configError(`/mounts/${i}/source`, `${source} does not exist`);
  return source;
}

const mapText = (maps: readonly IDMapping[]) => maps.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');

/**
 * Idmapped bind mounts (the idmap and ridmap options, or the mount's own
 * uidMappings/gidMappings, as runc and crun read them). Only the initial
 * user namespace's root may idmap a host filesystem's mount, so the
 * executor does it before clone: open_tree(OPEN_TREE_CLONE) of the source,
 * mount_setattr(MOUNT_ATTR_IDMAP) with a user namespace holding the maps
 * (the mount's own, else the container's), and the init attaches the copy
 * with move_mount (OP_MOVE_MOUNT) where the bind would have gone.
 * firstIndex is the plan index the first op returned will have.
 */
export function planMountTrees(spec: Spec, ctx: RootfsPlanContext, newUserNs: boolean, ownMountNs: boolean, firstIndex: number): MountTrees {
  const trees: MountTrees = { ops: [], at: new Map(), fds: 0 };
  (spec.mounts ?? []).forEach((m, i) => {
    const opts = mountOptionsAt(m, i);
    const ownMaps = Boolean(m.uidMappings?.length || m.gidMappings?.length);
    const bind = (m.type === 'bind' || opts.bind) && !opts.copyUp;
    if (!opts.idmap && !ownMaps) {
      // In a user namespace the init may not search the host directories on
      // the way to a source (a 0700 parent): as runc, the runtime opens it.
      // A rootless runtime cannot enter the init's mount namespace to do it, and needs
      // no help: the init opens sources the caller itself could open.
      if (bind && newUserNs && ownMountNs && ctx.host.canEnterMountNs) {
        const source = bindSource(m, i, ctx);
        trees.at.set(i, { index: firstIndex + trees.ops.length, kind: 'fd' });
        trees.ops.push(Op.bindSource(`open ${source} for ${m.destination} as the runtime (in the init's mount namespace)`, { path: source }));
        trees.fds++;
      }
      return;
    }
    const at = `/mounts/${i}`;
    if (!bind) throw configError(`${at}/options`, `id-mapped mounts are only supported for bind mounts`);
    let uid: readonly IDMapping[], gid: readonly IDMapping[];
    if (ownMaps) {
      if (!m.uidMappings?.length || !m.gidMappings?.length) {
        throw configError(`${at}/${m.uidMappings?.length ? 'gidMappings' : 'uidMappings'}`, `id-mapped mounts must have both uid and gid mappings specified`);
      }
      [uid, gid] = [m.uidMappings, m.gidMappings];
    } else {
      // runtime-spec 1.2: idmap with no mappings of its own takes the container's.
      if (!newUserNs)
        throw configError(`${at}/options`, `${opts.idmap} without uidMappings and gidMappings takes the container's user namespace mappings, and /linux/namespaces has no new user namespace`);
      [uid, gid] = [spec.linux!.uidMappings!, spec.linux!.gidMappings!];
    }
    const source = bindSource(m, i, ctx);
    const recursive = opts.idmap === 'ridmap';
    trees.at.set(i, { index: firstIndex + trees.ops.length, kind: 'tree' });
    trees.ops.push(
      Op.openTree(
        `copy ${source} for ${m.destination}${opts.recursive ? ' (recursive)' : ''}, idmapped${recursive ? ' recursively' : ''} (uid ${mapText(uid).trim().replace(/\n/g, ', ')}; gid ${mapText(gid).trim().replace(/\n/g, ', ')})`,
        {
          source,
          openTreeFlags: OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (opts.recursive ? AT_RECURSIVE : 0),
          uidMap: Buffer.from(mapText(uid)),
          gidMap: Buffer.from(mapText(gid)),
          setattrFlags: AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
        },
      ),
    );
  });
  return trees;
}
