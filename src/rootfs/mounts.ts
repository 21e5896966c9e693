import { configError } from '../errors.js';
import { posix } from 'node:path';
import { MS } from '../linux/constants.js';
import { Op } from '../native/generated/instruction-set.js';
import type { RootfsPlanContext } from './context.js';
import type { Mount } from '../spec/types.js';
import { describeMountFlags, type ParsedMountOptions } from './mount-options.js';
import { bindSource, mountOptionsAt, type MountTrees } from './mount-trees.js';

const NO_CONTEXT = new Set(['proc', 'sysfs', 'mqueue']);

/**
 * The ops for config.json's mounts, in order. Every target is resolved
 * inside the root by the executor (openat2 RESOLVE_IN_ROOT), so a symlink in
 * the rootfs cannot redirect a mount onto the host.
 */
export function planMounts(
  mounts: readonly Mount[],
  ctx: RootfsPlanContext,
  ownCgroupNs: boolean,
  mountLabel?: string,
  sysfsBind = false,
  inUserNs = false,
  trees: MountTrees['at'] = new Map(),
): Op[] {
  const ops: Op[] = [];
  // The host's /sys bound in (runc spec --rootless, or the sysfs fallback): it holds the host's cgroup2 mount.
  const sysBound = sysfsBind || mounts.some((m) => posix.normalize(m.destination) === '/sys' && (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')));
  mounts.forEach((given, i) => {
    const m = sysfsBind && given.type === 'sysfs' ? sysfsAsBind(given) : given;
    const opts = mountOptionsAt(m, i);
    if (opts.copyUp) ops.push(...tmpCopyUp(m, i, opts.flags, opts.data));
    else if (m.type === 'bind' || opts.bind) ops.push(...bindMount(m, i, opts, ctx, trees.get(i)));
    else if (m.type === 'cgroup' || m.type === 'cgroup2') ops.push(...cgroupMount(m, opts.flags, ctx, ownCgroupNs, inUserNs, sysBound));
    // linux.mountLabel: the SELinux context of the filesystems the runtime
    // mounts, as runc gives it (not binds, proc, sysfs or mqueue, which take none).
    else
      ops.push(...fsMount(m, isReadonlyDev(m, opts.flags) ? opts.flags & ~MS.RDONLY : opts.flags, mountLabel && !NO_CONTEXT.has(m.type ?? '') ? [...opts.data, `context="${mountLabel}"`] : opts.data));
    if (opts.attrSet || opts.attrClr) {
      ops.push(
        Op.mountSetattr(`set recursive attributes on ${m.destination} (${m.options!.filter((o) => /^r(?!bind$|private$|shared$|slave$|unbindable$)/.test(o)).join(',')})`, {
          path: m.destination,
          attrSet: opts.attrSet,
          attrClr: opts.attrClr,
        }),
      );
    }
    for (const p of opts.propagation) {
      ops.push(Op.mount(`set propagation ${describeMountFlags(p)} on ${m.destination}`, { source: '', target: m.destination, fstype: '', flags: p, data: '' }, { targetInRoot: true }));
    }
  });
  return ops;
}

/** The host's /sys, recursively bound, read-only, with the sysfs mount's other flags (runc 1.2's fallback). */
function sysfsAsBind(m: Mount): Mount {
  const kept = (m.options ?? []).filter((o) => ['nosuid', 'nodev', 'noexec', 'relatime', 'norelatime', 'noatime', 'strictatime'].includes(o));
  return { ...m, type: 'bind', source: '/sys', options: ['rbind', ...new Set([...kept, 'nosuid', 'nodev', 'noexec', 'ro'])] };
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
    ops.push(
      Op.mount(
        `remount ${m.destination} read-only (${describeMountFlags(opts.flags)})`,
        { source: '', target: m.destination, fstype: '', flags: opts.flags | MS.REMOUNT, data: opts.data.join(',') },
        { targetInRoot: true },
      ),
    );
  });
  return ops;
}

function fsMount(m: Mount, flags: number, data: string[]): Op[] {
  const type = m.type ?? 'none';
  return [
    Op.mkdirInRoot(`mkdir ${m.destination}`, { path: m.destination, mode: 0o755 }),
    Op.mount(
      `mount ${type} on ${m.destination} (${describeMountFlags(flags)}${data.length ? ', ' + data.join(',') : ''})`,
      { source: m.source ?? type, target: m.destination, fstype: type, flags, data: data.join(',') },
      { targetInRoot: true },
    ),
  ];
}

/**
 * tmpcopyup: the executor keeps a handle on the image's directory, mounts
 * the tmpfs over it, then copies the directory's entries (modes, owners,
 * times, symlinks, device nodes, xattrs) into the tmpfs, as runc does.
 */
function tmpCopyUp(m: Mount, i: number, flags: number, data: string[]): Op[] {
  if (m.type !== 'tmpfs') throw configError(`/mounts/${i}/options`, `tmpcopyup needs a tmpfs mount, not ${JSON.stringify(m.type ?? 'none')}`);
  const [mkdir, mount] = fsMount(m, flags, data) as [Op, Op];
  return [
    mkdir,
    Op.copyup(`keep the image's ${m.destination} for tmpcopyup`, { path: m.destination, phase: 0 }),
    mount,
    Op.copyup(`copy the image's ${m.destination} into the tmpfs (tmpcopyup)`, { path: m.destination, phase: 1 }),
  ];
}

/** tree: the op that took the source before clone (mount-trees.ts), if one did. */
function bindMount(m: Mount, i: number, opts: ParsedMountOptions, ctx: RootfsPlanContext, tree?: { index: number; kind: 'tree' | 'fd' }): Op[] {
  const source = bindSource(m, i, ctx);
  const kind = ctx.host.pathKind(source);
  const bindFlags = MS.BIND | (opts.recursive ? MS.REC : 0);
  const ops = [
    kind === 'dir' ? Op.mkdirInRoot(`mkdir ${m.destination}`, { path: m.destination, mode: 0o755 }) : Op.mkfileInRoot(`create file ${m.destination}`, { path: m.destination, mode: 0o644 }),
    !tree
      ? Op.mount(`bind ${source} on ${m.destination}${opts.recursive ? ' (recursive)' : ''}`, { source, target: m.destination, fstype: '', flags: bindFlags, data: '' }, { targetInRoot: true })
      : tree.kind === 'fd'
        ? Op.mount(
            `bind ${source} (opened at op ${tree.index}) on ${m.destination}${opts.recursive ? ' (recursive)' : ''}`,
            { source: String(tree.index), target: m.destination, fstype: '', flags: bindFlags, data: '' },
            { targetInRoot: true, srcFd: true },
          )
        : Op.moveMount(`attach the copy of ${source} (op ${tree.index}) on ${m.destination}`, { treeOp: tree.index, target: m.destination }),
  ];
  // A bind mount ignores every flag but MS_BIND|MS_REC: the rest needs a remount.
  const extra = opts.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
  if (extra) {
    ops.push(
      Op.mount(
        `remount ${m.destination} (${describeMountFlags(extra)})`,
        { source: '', target: m.destination, fstype: '', flags: extra | MS.BIND | MS.REMOUNT, data: '' },
        { targetInRoot: true, keepLocked: true },
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
function cgroupMount(m: Mount, flags: number, ctx: RootfsPlanContext, ownNs: boolean, inUserNs: boolean, sysBound: boolean): Op[] {
  const dest = m.destination;
  const cg = ctx.host.cgroup;
  if (!cg) return [];
  const mkdir = (d: string) => Op.mkdirInRoot(`mkdir ${d}`, { path: d, mode: 0o755 });
  // cgroup2 can be mounted only by the user namespace that owns the cgroup
  // namespace: in a user namespace (rootless) without a cgroup namespace of
  // its own, the container's (or, without one, the caller's) cgroup is bound
  // instead, as runc does. (v1 without one is bound anyway, below.) The same
  // with the host's /sys bound in: its /sys/fs/cgroup is the host's cgroup2
  // mount, and mount(2) refuses the same superblock on top of itself (EBUSY);
  // runc then binds the container's cgroup too, which shows what its own
  // cgroup namespace would.
  if (cg.mode === 'v2' && ((inUserNs && !ownNs) || sysBound)) {
    const dir = cg.sources[0]!.hostDir;
    const extra = flags & ~(MS.BIND | MS.REC);
    return [
      mkdir(dest),
      Op.mount(`bind ${dir} on ${dest} (user namespace)`, { source: dir, target: dest, fstype: '', flags: MS.BIND, data: '' }, { targetInRoot: true }),
      ...(extra
        ? [
            Op.mount(
              `remount ${dest} (${describeMountFlags(extra)})`,
              { source: '', target: dest, fstype: '', flags: extra | MS.BIND | MS.REMOUNT, data: '' },
              { targetInRoot: true, keepLocked: true },
            ),
          ]
        : []),
    ];
  }
  if (cg.mode === 'v2') {
    return [mkdir(dest), Op.mount(`mount cgroup2 on ${dest} (${describeMountFlags(flags)})`, { source: 'cgroup2', target: dest, fstype: 'cgroup2', flags, data: '' }, { targetInRoot: true })];
  }
  const ops = [
    mkdir(dest),
    Op.mount(`mount tmpfs on ${dest} for cgroup hierarchies`, { source: 'tmpfs', target: dest, fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: 'mode=755' }, { targetInRoot: true }),
  ];
  for (const s of cg.sources) {
    const d = `${dest}/${s.name}`;
    ops.push(mkdir(d));
    if (ownNs) {
      ops.push(Op.mount(`mount cgroup (${s.data}) on ${d}`, { source: 'cgroup', target: d, fstype: 'cgroup', flags, data: s.data }, { targetInRoot: true }));
    } else {
      ops.push(Op.mount(`bind ${s.hostDir} on ${d}`, { source: s.hostDir, target: d, fstype: '', flags: MS.BIND, data: '' }, { targetInRoot: true }));
      const extra = flags & ~(MS.BIND | MS.REC);
      if (extra)
        ops.push(
          Op.mount(`remount ${d} (${describeMountFlags(extra)})`, { source: '', target: d, fstype: '', flags: extra | MS.BIND | MS.REMOUNT, data: '' }, { targetInRoot: true, keepLocked: true }),
        );
    }
  }
  if (flags & MS.RDONLY) {
    ops.push(
      Op.mount(`remount ${dest} read-only`, { source: '', target: dest, fstype: '', flags: MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, data: 'mode=755' }, { targetInRoot: true }),
    );
  }
  return ops;
}
