import { MS } from '../linux/constants.js';

/** umount2's MNT_DETACH. */
const MNT_DETACH = 2;
import { op, type Op } from '../plan/op.js';
import { OpCode, OpFlag } from '../plan/opcodes.js';
import type { PlanContext } from '../plan/context.js';
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
export function planPrepareRoot(spec: Spec, ctx: PlanContext, ownMountNs: boolean): Op[] {
  if (!ownMountNs) {
    // The host's mount namespace: change no propagation there. The bind makes
    // a mount of our own for root.readonly, removed with the rest at delete.
    return [
      op(OpCode.MOUNT, `bind ${ctx.rootfs} onto itself (in the host's mount namespace)`, [ctx.rootfs, ctx.rootfs, '', MS.BIND | MS.REC, '']),
      op(OpCode.OPEN_ROOT, `open root ${ctx.rootfs}`, [ctx.rootfs]),
    ];
  }
  const prop = spec.linux?.rootfsPropagation;
  const flag = prop ? PROPAGATION[prop]! | MS.REC : MS.SLAVE | MS.REC;
  const parent = ctx.host.mountPointOf(ctx.rootfs);
  return [
    op(OpCode.MOUNT, `make / ${prop ? 'r' + prop : 'rslave'} in the container's mount namespace`, ['', '/', '', flag, '']),
    // pivot_root refuses a new root whose parent mount is shared.
    op(OpCode.MOUNT, `make ${parent} private`, ['', parent, '', MS.PRIVATE, '']),
    op(OpCode.MOUNT, `bind ${ctx.rootfs} onto itself`, [ctx.rootfs, ctx.rootfs, '', MS.BIND | MS.REC, '']),
    op(OpCode.OPEN_ROOT, `open root ${ctx.rootfs}`, [ctx.rootfs]),
  ];
}

/** pivot_root into the rootfs (or MS_MOVE + chroot with --no-pivot, or chroot without a mount namespace). */
export function planEnterRoot(ctx: PlanContext, ownMountNs: boolean): Op[] {
  if (!ownMountNs) {
    // pivot_root would move the root of every process in the host's namespace.
    return [op(OpCode.CHROOT, `chroot to ${ctx.rootfs} (no mount namespace)`, [ctx.rootfs]), op(OpCode.OPEN_ROOT, 'open root /', ['/'])];
  }
  return [
    ...(ctx.noPivot ? planHideHostProcSys(ctx) : []),
    ctx.noPivot
      ? op(OpCode.MOVE_ROOT, `move ${ctx.rootfs} to / and chroot (--no-pivot)`, [ctx.rootfs])
      : op(OpCode.PIVOT_ROOT, `pivot_root to ${ctx.rootfs}`, [ctx.rootfs]),
    op(OpCode.OPEN_ROOT, 'open root /', ['/']),
  ];
}

/**
 * --no-pivot keeps the old root in the mount namespace, only out of the
 * chroot's reach. The kernel lets a new user namespace mount proc or sysfs
 * when a full one is visible in the mount namespace, and the host's would
 * count: as runc's msMoveRoot does, detach every full proc and sysfs mount
 * outside the rootfs first (made slaves, so the host keeps its own).
 */
function planHideHostProcSys(ctx: PlanContext): Op[] {
  const under = ctx.rootfs.endsWith('/') ? ctx.rootfs : ctx.rootfs + '/';
  const ops: Op[] = [];
  for (const mp of ctx.host.procSysMounts?.() ?? []) {
    if (mp === ctx.rootfs || mp.startsWith(under)) continue;
    // A mount under one detached before is gone with it.
    ops.push(op(OpCode.MOUNT, `make ${mp} rslave (--no-pivot)`, ['', mp, '', MS.SLAVE | MS.REC, ''], OpFlag.IGNORE_MISSING));
    ops.push(op(OpCode.UMOUNT, `detach the host's ${mp} (--no-pivot)`, [mp, MNT_DETACH], OpFlag.IGNORE_MISSING));
  }
  return ops;
}

/** After the pivot and the path rules: root.readonly and rootfsPropagation on the new "/". */
export function planFinishRoot(spec: Spec, ownMountNs: boolean): Op[] {
  const ops: Op[] = [];
  if (spec.root?.readonly) {
    ops.push(op(OpCode.MOUNT, 'remount / read-only', ['', '/', '', MS.BIND | MS.REMOUNT | MS.RDONLY, ''], OpFlag.KEEP_LOCKED));
  }
  const prop = spec.linux?.rootfsPropagation;
  if (prop && ownMountNs) ops.push(op(OpCode.MOUNT, `make / ${prop}`, ['', '/', '', PROPAGATION[prop]!, '']));
  return ops;
}
