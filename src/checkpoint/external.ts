/**
 * What of a container lies outside it and CRIU must be told about: mounts
 * whose source is on the host (bind mounts, cgroup v1 directories bound
 * without a cgroup namespace, device nodes bound in a user namespace) and namespaces joined by path. On dump
 * each mount gets a label (ext_mnt key = mount point, value = label); on
 * restore each label is mapped to the host source of the new container.
 */
import { statSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { detectCgroups } from '../cgroups/detect.js';
import type { CgroupRecord } from '../cgroups/types.js';
import { cgroupMountSources } from '../plan/cgroup-sources.js';
import { DEFAULT_DEVICES } from '../rootfs/devices.js';
import type { Spec } from '../spec/types.js';
import { ext_mount_mapSchema, type ext_mount_map } from './generated/rpc_pb.js';

const MASK_LABEL = '/dev/null';

interface External {
  /** Mount point inside the container (the dump key). */
  target: string;
  /** Label stored in the image (dump value, restore key). */
  label: string;
  /** Host path the restored container gets. */
  source: string;
}

function isBind(m: NonNullable<Spec['mounts']>[number]): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

function mountsOf(spec: Spec, bundle: string, cgroup: CgroupRecord | null | undefined): External[] {
  const out: External[] = [];
  const ownCgroupNs = (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup' && !n.path);
  for (const m of spec.mounts ?? []) {
    const target = posix.normalize(m.destination);
    if (isBind(m) && m.source) {
      out.push({ target, label: target, source: isAbsolute(m.source) ? m.source : join(bundle, m.source) });
    } else if (m.type === 'cgroup' && cgroup && cgroup.mode !== 'v2' && !ownCgroupNs) {
      for (const s of cgroupMountSources(cgroup, detectCgroups())) {
        out.push({ target: `${target}/${s.name}`, label: `${target}/${s.name}`, source: s.hostDir });
      }
    }
  }
  const devices = new Map<string, string>();
  for (const d of [...DEFAULT_DEVICES, ...(spec.linux?.devices ?? [])]) devices.set(d.path, d.path);
  for (const p of devices.keys()) out.push({ target: p, label: p, source: p });
  return out;
}

/**
 * ext_mnt for a dump. Masked files are left to CRIU: tsrun binds the
 * container's own /dev/null over them (runc labels them external and
 * restores them from the host's /dev/null, a devtmpfs mount).
 */
export function dumpMounts(spec: Spec, bundle: string, cgroup: CgroupRecord | null | undefined): ext_mount_map[] {
  return mountsOf(spec, bundle, cgroup).map((e) => create(ext_mount_mapSchema, { key: e.target, val: e.label }));
}

/** ext_mnt for a restore: each label to the host path the new container uses. */
export function restoreMounts(spec: Spec, bundle: string, cgroup: CgroupRecord | null | undefined): ext_mount_map[] {
  const maps = mountsOf(spec, bundle, cgroup).map((e) => create(ext_mount_mapSchema, { key: e.label, val: e.source }));
  // Images from runc label masked files so.
  if (spec.linux?.maskedPaths?.length) maps.push(create(ext_mount_mapSchema, { key: MASK_LABEL, val: '/dev/null' }));
  return maps;
}

/** Namespaces CRIU treats as external when joined by path (the others it can join itself on restore). */
export const EXTERNAL_NS: Record<string, string> = { network: 'net', pid: 'pid' };

/** The key runc uses for an external namespace, so images move between the two. */
export function externalNsKey(type: string): string {
  const name = EXTERNAL_NS[type]!;
  return `extRoot${name[0]!.toUpperCase()}${name.slice(1)}NS`;
}

/** `--external net[INODE]:extRootNetNS` entries for namespaces joined by path. */
export function dumpExternalNamespaces(spec: Spec): string[] {
  const out: string[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (!ns.path || !EXTERNAL_NS[ns.type]) continue;
    out.push(`${EXTERNAL_NS[ns.type]}[${statSync(ns.path).ino}]:${externalNsKey(ns.type)}`);
  }
  return out;
}
