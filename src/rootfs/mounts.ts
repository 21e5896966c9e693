import { posix } from 'node:path';
import { MS } from '../linux/constants.js';
import { op, type Op } from '../plan/op.js';
import { OpCode, OpFlag } from '../plan/opcodes.js';
import type { PlanContext } from '../plan/context.js';
import type { Mount } from '../spec/types.js';
import { describeMountFlags, type ParsedMountOptions } from './mount-options.js';
import { bindSource, mountOptionsAt, type MountTrees } from './mount-trees.js';

const IN_ROOT = OpFlag.TARGET_IN_ROOT;
const NO_CONTEXT = new Set(['proc', 'sysfs', 'mqueue']);

/**
 * The ops for config.json's mounts, in order. Every target is resolved
 * inside the root by the executor (openat2 RESOLVE_IN_ROOT), so a symlink in
 * the rootfs cannot redirect a mount onto the host.
 */
export function planMounts(mounts: readonly Mount[], ctx: PlanContext, ownCgroupNs: boolean, mountLabel?: string, trees: MountTrees['at'] = new Map()): Op[] {
  const ops: Op[] = [];
  mounts.forEach((m, i) => {
    const opts = mountOptionsAt(m, i);
    if (opts.copyUp) ops.push(...tmpCopyUp(m, i, opts.flags, opts.data));
    else if (m.type === 'bind' || opts.bind) ops.push(...bindMount(m, i, opts, ctx, trees.get(i)));
    else if (m.type === 'cgroup' || m.type === 'cgroup2') ops.push(...cgroupMount(m, opts.flags, ctx, ownCgroupNs));
    // linux.mountLabel: the SELinux context of the filesystems the runtime
    // mounts, as runc gives it (not binds, proc, sysfs or mqueue, which take none).
    else ops.push(...fsMount(m, isReadonlyDev(m, opts.flags) ? opts.flags & ~MS.RDONLY : opts.flags, mountLabel && !NO_CONTEXT.has(m.type ?? '') ? [...opts.data, `context="${mountLabel}"`] : opts.data));
    if (opts.attrSet || opts.attrClr) {
      ops.push(
        op(OpCode.MOUNT_SETATTR, `set recursive attributes on ${m.destination} (${m.options!.filter((o) => /^r(?!bind$|private$|shared$|slave$|unbindable$)/.test(o)).join(',')})`, [m.destination, opts.attrSet, opts.attrClr], IN_ROOT),
      );
    }
    for (const p of opts.propagation) {
      ops.push(op(OpCode.MOUNT, `set propagation ${describeMountFlags(p)} on ${m.destination}`, ['', m.destination, '', p, ''], IN_ROOT));
    }
  });
  return ops;
}

/** A read-only filesystem (not a bind) on /dev: mounted writable, made read-only by planReadonlyDev. */
function isReadonlyDev(m: Mount, flags: number): boolean {
  return (flags & MS.RDONLY) !== 0 && !(flags & MS.BIND) && m.type !== 'bind' && posix.normalize(m.destination).replace(/(.)\/$/, '$1') === '/dev';
}

/**
 * As runc: a read-only /dev is remounted read-only only once the mounts
 * below it (/dev/pts, /dev/shm), the devices and the symlinks are made,
 * which a read-only /dev would refuse (EROFS).
 */
export function planReadonlyDev(mounts: readonly Mount[]): Op[] {
  const ops: Op[] = [];
  mounts.forEach((m, i) => {
    const opts = mountOptionsAt(m, i);
    if (opts.copyUp || !isReadonlyDev(m, opts.flags)) return;
    ops.push(op(OpCode.MOUNT, `remount ${m.destination} read-only (${describeMountFlags(opts.flags)})`, ['', m.destination, '', opts.flags | MS.REMOUNT, opts.data.join(',')], IN_ROOT));
  });
  return ops;
}

function fsMount(m: Mount, flags: number, data: string[]): Op[] {
  const type = m.type ?? 'none';
  return [
    op(OpCode.MKDIR_IN_ROOT, `mkdir ${m.destination}`, [m.destination, 0o755]),
    op(
      OpCode.MOUNT,
      `mount ${type} on ${m.destination} (${describeMountFlags(flags)}${data.length ? ', ' + data.join(',') : ''})`,
      [m.source ?? type, m.destination, type, flags, data.join(',')],
      IN_ROOT,
    ),
  ];
}

/**
 * tmpcopyup: the executor keeps a handle on the image's directory, mounts
 * the tmpfs over it, then copies the directory's entries (modes, owners,
 * times, symlinks, device nodes, xattrs) into the tmpfs, as runc does.
 */
function tmpCopyUp(m: Mount, i: number, flags: number, data: string[]): Op[] {
  if (m.type !== 'tmpfs') throw new Error(`/mounts/${i}/options: tmpcopyup needs a tmpfs mount, not ${JSON.stringify(m.type ?? 'none')}`);
  const [mkdir, mount] = fsMount(m, flags, data) as [Op, Op];
  return [
    mkdir,
    op(OpCode.COPYUP, `keep the image's ${m.destination} for tmpcopyup`, [m.destination, 0]),
    mount,
    op(OpCode.COPYUP, `copy the image's ${m.destination} into the tmpfs (tmpcopyup)`, [m.destination, 1]),
  ];
}

/** tree: the op that took the source before clone (mount-trees.ts), if one did. */
function bindMount(m: Mount, i: number, opts: ParsedMountOptions, ctx: PlanContext, tree?: { index: number; kind: 'tree' | 'fd' }): Op[] {
  const source = bindSource(m, i, ctx);
  const kind = ctx.host.pathKind(source);
  const bindFlags = MS.BIND | (opts.recursive ? MS.REC : 0);
  const ops = [
    kind === 'dir'
      ? op(OpCode.MKDIR_IN_ROOT, `mkdir ${m.destination}`, [m.destination, 0o755])
      : op(OpCode.MKFILE_IN_ROOT, `create file ${m.destination}`, [m.destination, 0o644]),
    !tree
      ? op(OpCode.MOUNT, `bind ${source} on ${m.destination}${opts.recursive ? ' (recursive)' : ''}`, [source, m.destination, '', bindFlags, ''], IN_ROOT)
      : tree.kind === 'fd'
        ? op(OpCode.MOUNT, `bind ${source} (opened at op ${tree.index}) on ${m.destination}${opts.recursive ? ' (recursive)' : ''}`, [tree.index, m.destination, '', bindFlags, ''], IN_ROOT | OpFlag.SRC_FD)
        : op(OpCode.MOVE_MOUNT, `attach the copy of ${source} (op ${tree.index}) on ${m.destination}`, [tree.index, m.destination]),
  ];
  // A bind mount ignores every flag but MS_BIND|MS_REC: the rest needs a remount.
  const extra = opts.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
  if (extra) {
    ops.push(
      op(
        OpCode.MOUNT,
        `remount ${m.destination} (${describeMountFlags(extra)})`,
        ['', m.destination, '', extra | MS.BIND | MS.REMOUNT, ''],
        IN_ROOT | OpFlag.KEEP_LOCKED,
      ),
    );
  }
  return ops;
}

/**
 * /sys/fs/cgroup for the container. On v2 one cgroup2 mount. On v1 a tmpfs
 * holding one directory per hierarchy: a fresh cgroup mount when the
 * container has its own cgroup namespace (it then sees its cgroup as the
 * root), else a bind of its cgroup directory from the host.
 */
function cgroupMount(m: Mount, flags: number, ctx: PlanContext, ownNs: boolean): Op[] {
  const dest = m.destination;
  const cg = ctx.host.cgroup;
  if (!cg) return [];
  const mkdir = (d: string) => op(OpCode.MKDIR_IN_ROOT, `mkdir ${d}`, [d, 0o755]);
  if (cg.mode === 'v2') {
    return [mkdir(dest), op(OpCode.MOUNT, `mount cgroup2 on ${dest} (${describeMountFlags(flags)})`, ['cgroup2', dest, 'cgroup2', flags, ''], IN_ROOT)];
  }
  const ops = [
    mkdir(dest),
    op(OpCode.MOUNT, `mount tmpfs on ${dest} for cgroup hierarchies`, ['tmpfs', dest, 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755'], IN_ROOT),
  ];
  for (const s of cg.sources) {
    const d = `${dest}/${s.name}`;
    ops.push(mkdir(d));
    if (ownNs) {
      ops.push(op(OpCode.MOUNT, `mount cgroup (${s.data}) on ${d}`, ['cgroup', d, 'cgroup', flags, s.data], IN_ROOT));
    } else {
      ops.push(op(OpCode.MOUNT, `bind ${s.hostDir} on ${d}`, [s.hostDir, d, '', MS.BIND, ''], IN_ROOT));
      const extra = flags & ~(MS.BIND | MS.REC);
      if (extra) ops.push(op(OpCode.MOUNT, `remount ${d} (${describeMountFlags(extra)})`, ['', d, '', extra | MS.BIND | MS.REMOUNT, ''], IN_ROOT | OpFlag.KEEP_LOCKED));
    }
  }
  if (flags & MS.RDONLY) {
    ops.push(op(OpCode.MOUNT, `remount ${dest} read-only`, ['', dest, '', MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755'], IN_ROOT));
  }
  return ops;
}
