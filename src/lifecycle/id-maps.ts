// Writing a new user namespace's uid_map and gid_map, between the clone and
// the init's going on (the executor's WAIT_GO), as runc's nsexec does.
//
// A privileged caller (euid 0: root, or root of the user namespace it runs
// in, as under rootless podman) writes both files itself. An unprivileged
// caller may write only one line mapping its own euid (and its own egid, once
// setgroups is denied: the kernel's rule since Linux 3.19); anything more goes
// through the setuid helpers newuidmap/newgidmap (Debian package uidmap),
// which allow the ranges /etc/subuid and /etc/subgid delegate to the user.
// Everything is checked before the container is made, so a missing tool or
// range is a clear error that leaves nothing behind.
// child_process only for newuidmap/newgidmap: most creates write their maps directly.
import { childProcess } from '../builtins.js';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TsrunError } from '../errors.js';
import { covered, subIdRanges, userNameOf } from '../linux/subid.js';
import type { Spec } from '../spec/types.js';

type Mapping = { containerID: number; hostID: number; size: number };

/** How each map is written: by us, or by the helper at this path. */
export interface IdMapPlan {
  uidTool?: string;
  gidTool?: string;
  /** "deny" goes to /proc/PID/setgroups first (needed to write gid_map unprivileged); the init then cannot call setgroups. */
  denySetgroups: boolean;
}

export interface Caller {
  euid: number;
  egid: number;
  /** PATH to find newuidmap/newgidmap in. */
  path: string;
}

const self = (): Caller => ({ euid: process.geteuid?.() ?? 0, egid: process.getegid?.() ?? 0, path: process.env.PATH ?? '/usr/bin:/bin' });

/**
 * Decides how the maps of the container's new user namespace get written,
 * and checks the unprivileged case fully: a user namespace at all, the
 * helpers on PATH, the ranges in /etc/subuid and /etc/subgid.
 */
export function planIdMaps(spec: Spec, newUserNs: boolean, caller: Caller = self()): IdMapPlan {
  const linux = spec.linux ?? {};
  if (caller.euid === 0) return { denySetgroups: false };
  if (!newUserNs) {
    // runc: "rootless container requires user namespaces" (joining one by path is fine).
    if (!(linux.namespaces ?? []).some((n) => n.type === 'user')) {
      throw new TsrunError(
        `a container run by an unprivileged user (uid ${caller.euid}) needs a user namespace: add {"type": "user"} with /linux/uidMappings and /linux/gidMappings (tsrun spec --rootless writes such a config)`,
        {
          code: 'ERR_CONFIG_INVALID',
          pointer: '/linux/namespaces',
        },
      );
    }
    return { denySetgroups: false };
  }
  const name = userNameOf(caller.euid);
  const uidTool = helperFor('uid', linux.uidMappings, caller.euid, caller, name);
  const gidTool = helperFor('gid', linux.gidMappings, caller.egid, caller, name);
  return { uidTool, gidTool, denySetgroups: gidTool === undefined };
}

/** undefined when the caller may write the map itself, else the helper's path (after checking the ranges). */
function helperFor(kind: 'uid' | 'gid', maps: Mapping[] | undefined, own: number, caller: Caller, name: string | undefined): string | undefined {
  const field = `/linux/${kind}Mappings`;
  if (!maps?.length) {
    throw new TsrunError(`${field}: a rootless container needs at least one ${kind} mapping (its own ${kind} ${own}: {"containerID": 0, "hostID": ${own}, "size": 1})`, {
      code: 'ERR_CONFIG_INVALID',
      pointer: field,
    });
  }
  if (maps.length === 1 && maps[0]!.hostID === own && maps[0]!.size === 1) return undefined;
  const tool = `new${kind}map`;
  const file = `/etc/sub${kind}`;
  const ranges = subIdRanges(file, name, caller.euid);
  maps.forEach((m, i) => {
    if (m.size === 1 && m.hostID === own) return; // the helpers allow one's own id
    if (ranges && covered(ranges, m.hostID, m.size)) return;
    const who = `${name ?? 'the user'} (uid ${caller.euid})`;
    const why =
      ranges === undefined
        ? `${file} does not exist`
        : ranges.length === 0
          ? `${file} has no range for ${who}`
          : `${file} gives ${who} only ${ranges.map((r) => `${r.start}-${r.start + r.count - 1}`).join(', ')}`;
    throw new TsrunError(`${field}/${i}: host ${kind}s ${m.hostID}-${m.hostID + m.size - 1} are not delegated to ${who}: ${why}`, {
      code: 'ERR_CONFIG_INVALID',
      pointer: `${field}/${i}`,
      path: file,
    });
  });
  const path = findOnPath(tool, caller.path);
  if (!path) {
    throw new TsrunError(`${tool} not found in PATH: an unprivileged user needs it to map more than its own ${kind} (${field}); install it (Debian package uidmap)`, {
      code: 'ERR_UNSUPPORTED',
      pointer: field,
    });
  }
  return path;
}

function findOnPath(tool: string, path: string): string | undefined {
  for (const dir of path.split(':')) {
    if (!dir) continue;
    const p = join(dir, tool);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Writes the maps of the init's new user namespace as planned. */
export function applyIdMaps(pid: number, spec: Spec, plan: IdMapPlan): void {
  const uid = spec.linux?.uidMappings ?? [];
  const gid = spec.linux?.gidMappings ?? [];
  if (plan.uidTool) runHelper(plan.uidTool, pid, uid);
  else writeMap(pid, 'uid_map', uid);
  if (plan.denySetgroups) writeProcFile(pid, 'setgroups', 'deny');
  if (plan.gidTool) runHelper(plan.gidTool, pid, gid);
  else writeMap(pid, 'gid_map', gid);
}

function writeMap(pid: number, file: string, maps: Mapping[]): void {
  writeProcFile(pid, file, maps.map((x) => `${x.containerID} ${x.hostID} ${x.size}`).join('\n') + '\n');
}

function writeProcFile(pid: number, file: string, text: string): void {
  const path = `/proc/${pid}/${file}`;
  try {
    writeFileSync(path, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TsrunError(`write ${path} (${text.trim().replace(/\n/g, ', ')}): ${code}`, { code: 'ERR_SYSCALL', syscall: 'write', path, errno: code, cause: e });
  }
}

/** newuidmap PID CONTAINER-ID HOST-ID SIZE ...; its own message says what it refused. */
function runHelper(tool: string, pid: number, maps: Mapping[]): void {
  const args = [String(pid), ...maps.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)])];
  try {
    childProcess().execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    throw new TsrunError(`${tool} ${args.join(' ')} failed: ${stderr || (e as Error).message}`, { code: 'ERR_SYSCALL', path: tool, cause: e });
  }
}
