// Which cgroup a container gets when the caller may not own the cgroup
// hierarchy (runc's --rootless, "auto" by default). As runc's rootless
// cgroupfs manager: if the cgroup can be made (cgroup v2 delegated to the
// caller, or a caller that can write there anyway), it is used as usual;
// otherwise (cgroup v1, which is never delegated, or v2 without delegation)
// the container runs in the caller's cgroup, without one of its own. Then a
// limit cannot be applied: asking for one is an error naming the field.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { TsrunError } from '../errors.js';
import { openCgroup, parseProcCgroup, type CgroupHost } from '../cgroups/index.js';
import { v1Dirs } from '../cgroups/paths.js';
import { RootlessCgroup } from '../cgroups/rootless-devices.js';
import type { CgroupManager, CgroupRecord } from '../cgroups/types.js';
import { runningInUserNs } from '../linux/userns.js';
import type { Resources, Spec } from '../spec/types.js';
import type { RuntimeContext } from './context.js';

export interface ContainerCgroup {
  /** The container's own cgroup, or null when a rootless container runs without one. */
  cgroup: CgroupManager | null;
  /** Without one: the caller's own cgroup, which the container stays in (its /sys/fs/cgroup shows it). */
  own: CgroupRecord | null;
  warnings: string[];
}

/** runc's --rootless: true/false as given; auto is true unless we are root in the initial user namespace. */
export function isRootless(flag: RuntimeContext['rootless']): boolean {
  if (typeof flag === 'boolean') return flag;
  return (process.geteuid?.() ?? 0) !== 0 || runningInUserNs();
}

/** The cgroup create uses for the container; throws (naming the field) when rootless and a limit cannot be applied. */
export function containerCgroup(ctx: RuntimeContext, spec: Spec, id: string, host: CgroupHost, warn?: (w: string) => void): ContainerCgroup {
  const cgroup = openCgroup({ cgroupsPath: spec.linux?.cgroupsPath, id, systemd: ctx.systemdCgroup, warn, host });
  if (!isRootless(ctx.rootless)) return { cgroup, own: null, warnings: [] };
  const blocked = unwritableDir(cgroup.record);
  // Delegated: its own cgroup, without the device rules an unprivileged caller cannot enforce.
  if (blocked === undefined) return { cgroup: isRootless('auto') ? new RootlessCgroup(cgroup) : cgroup, own: null, warnings: [] };
  const uid = process.geteuid?.() ?? 0;
  const why = cgroup.mode === 'v2' ? `cgroup v2 is not delegated to uid ${uid} here: ${blocked} is not writable` : `cgroup v1 is never delegated to uid ${uid}: ${blocked} is not writable`;
  // As runc: a path that was asked for must be used; only the default may be dropped.
  if (spec.linux?.cgroupsPath) {
    throw new TsrunError(`rootless container: cannot create or join its cgroup ${cgroup.record.path}: ${why}; leave /linux/cgroupsPath empty to run without a cgroup of its own`, {
      code: 'ERR_UNSUPPORTED',
      pointer: '/linux/cgroupsPath',
      path: blocked,
    });
  }
  return { cgroup: null, own: ownCgroup(cgroup.mode === 'v2', host), warnings: checkNoLimits(spec.linux?.resources, why) };
}

/**
 * The first directory of the cgroup that we could not make or join, or
 * undefined when every one can be: an existing one needs a writable
 * cgroup.procs, a missing one a writable nearest existing parent.
 */
function unwritableDir(rec: CgroupRecord): string | undefined {
  for (const dir of new Set(Object.values(rec.dirs))) {
    let d = dir;
    while (!existsSync(d) && d !== '/') d = posix.dirname(d);
    const target = d === dir ? posix.join(d, 'cgroup.procs') : d;
    try {
      accessSync(target, constants.W_OK);
    } catch {
      return target;
    }
  }
  return undefined;
}

/**
 * runc (rootless, no cgroup path of its own): a limit is an error, "cannot
 * set <controller> limit: container could not join or create cgroup"; device
 * rules are skipped, since in a user namespace no device can be created and
 * only the host nodes bound in are reachable. We say so in a warning.
 * A field counts as asked for when runc would write it: non-zero, non-empty.
 */
function checkNoLimits(resources: Resources | undefined, why: string): string[] {
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(resources ?? {})) {
    if (key === 'devices') {
      if (Array.isArray(value) && value.length) {
        warnings.push(`linux.resources.devices: not applied: this rootless container has no cgroup of its own (${why}); in its user namespace it reaches only the device nodes bound in`);
      }
      continue;
    }
    const pointer = firstSet(value, `/linux/resources/${key}`);
    if (pointer !== undefined) {
      throw new TsrunError(`${pointer.slice(1).replace(/\//g, '.')}: cannot be applied: this rootless container has no cgroup of its own (${why})`, {
        code: 'ERR_UNSUPPORTED',
        pointer,
      });
    }
  }
  return warnings;
}

/** JSON pointer of the first leaf that is set (not 0, false, "", null, [] or {}). */
function firstSet(value: unknown, pointer: string): string | undefined {
  if (value === null || value === undefined || value === 0 || value === false || value === '') return undefined;
  if (Array.isArray(value)) return value.length ? `${pointer}/0` : undefined;
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const p = firstSet(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  return pointer;
}

/** The caller's own cgroup as a record (never created nor removed): what the container's /sys/fs/cgroup binds. */
function ownCgroup(v2: boolean, host: CgroupHost): CgroupRecord {
  const own = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'));
  if (v2) {
    const m = host.unified!;
    const rel = posix.relative(m.root, own[''] ?? '/');
    const dir = posix.join(m.mountpoint, rel.startsWith('..') ? '' : rel);
    return { mode: 'v2', path: own[''] ?? '/', dirs: { unified: dir }, created: [] };
  }
  return { mode: host.mode, path: own.devices ?? '/', dirs: v1Dirs(host, '.', own), created: [] };
}
