import { MS } from '../linux/constants.js';

/** umount2's MNT_DETACH. */
const MNT_DETACH = 2;
import { Op } from '../native/generated/instruction-set.js';
import type { RootfsPlanContext } from './context.js';
import type { Spec } from '../spec/types.js';

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE,
  shared: MS.SHARED,
  slave: MS.SLAVE,
  unbindable: MS.UNBINDABLE,
};

/**
 * Before any mount: stop our mounts from propagating to the host, and make
 * the rootfs a mount point of its own so pivot_root accepts it.
 */
export function planPrepareRoot(spec: Spec, ctx: RootfsPlanContext, ownMountNs: boolean): Op[] {
  if (!ownMountNs) {
    // The host's mount namespace: change no propagation there. The bind makes
    // a mount of our own for root.readonly, removed with the rest at delete.
    return [
      Op.mount(`bind ${ctx.rootfs} onto itself (in the host's mount namespace)`, { source: ctx.rootfs, target: ctx.rootfs, fstype: '', flags: MS.BIND | MS.REC, data: '' }),
      Op.openRoot(`open root ${ctx.rootfs}`, { path: ctx.rootfs }),
    ];
  }
  const prop = spec.linux?.rootfsPropagation;
  const flag = prop ? PROPAGATION[prop]! | MS.REC : MS.SLAVE | MS.REC;
  const parent = ctx.host.mountPointOf(ctx.rootfs);
  return [
    Op.mount(`make / ${prop ? 'r' + prop : 'rslave'} in the container's mount namespace`, { source: '', target: '/', fstype: '', flags: flag, data: '' }),
    // pivot_root refuses a new root whose parent mount is shared.
    Op.mount(`make ${parent} private`, { source: '', target: parent, fstype: '', flags: MS.PRIVATE, data: '' }),
    Op.mount(`bind ${ctx.rootfs} onto itself`, { source: ctx.rootfs, target: ctx.rootfs, fstype: '', flags: MS.BIND | MS.REC, data: '' }),
    Op.openRoot(`open root ${ctx.rootfs}`, { path: ctx.rootfs }),
  ];
}

/** pivot_root into the rootfs (or MS_MOVE + chroot with --no-pivot, or chroot without a mount namespace). */
export function planEnterRoot(ctx: RootfsPlanContext, ownMountNs: boolean): Op[] {
  if (!ownMountNs) {
    // pivot_root would move the root of every process in the host's namespace.
    return [Op.chroot(`chroot to ${ctx.rootfs} (no mount namespace)`, { path: ctx.rootfs }), Op.openRoot('open root /', { path: '/' })];
  }
  return [
    ...(ctx.noPivot ? planHideHostProcSys(ctx) : []),
    ctx.noPivot ? Op.moveRoot(`move ${ctx.rootfs} to / and chroot (--no-pivot)`, { path: ctx.rootfs }) : Op.pivotRoot(`pivot_root to ${ctx.rootfs}`, { path: ctx.rootfs }),
    Op.openRoot('open root /', { path: '/' }),
  ];
}

/**
 * --no-pivot keeps the old root in the mount namespace, only out of the
 * chroot's reach. The kernel lets a new user namespace mount proc or sysfs
 * when a full one is visible in the mount namespace, and the host's would
 * count: as runc's msMoveRoot does, detach every full proc and sysfs mount
 * outside the rootfs first (made slaves, so the host keeps its own).
 */
function planHideHostProcSys(ctx: RootfsPlanContext): Op[] {
  const under = ctx.rootfs.endsWith('/') ? ctx.rootfs : ctx.rootfs + '/';
  const ops: Op[] = [];
  for (const mp of ctx.host.procSysMounts?.() ?? []) {
    if (mp === ctx.rootfs || mp.startsWith(under)) continue;
    // A mount under one detached before is gone with it.
    ops.push(Op.mount(`make ${mp} rslave (--no-pivot)`, { source: '', target: mp, fstype: '', flags: MS.SLAVE | MS.REC, data: '' }, { ignoreMissing: true }));
    ops.push(Op.umount(`detach the host's ${mp} (--no-pivot)`, { path: mp, flags: MNT_DETACH }, { ignoreMissing: true }));
  }
  return ops;
}

/** After the pivot and the path rules: root.readonly and rootfsPropagation on the new "/". */
export function planFinishRoot(spec: Spec, ownMountNs: boolean): Op[] {
  const ops: Op[] = [];
  if (spec.root?.readonly) {
    ops.push(Op.mount('remount / read-only', { source: '', target: '/', fstype: '', flags: MS.BIND | MS.REMOUNT | MS.RDONLY, data: '' }, { keepLocked: true }));
  }
  const prop = spec.linux?.rootfsPropagation;
  if (prop && ownMountNs) ops.push(Op.mount(`make / ${prop}`, { source: '', target: '/', fstype: '', flags: PROPAGATION[prop]!, data: '' }));
  return ops;
}
