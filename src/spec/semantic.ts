import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { capabilityNumber } from './capabilities.js';
import type { Process, Spec } from './types.js';

export const RLIMITS = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC',
  'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
] as const;

/**
 * The rules of the runtime-spec that its JSON Schema cannot express.
 * Returns "/pointer: problem" strings; empty when the config is sound.
 */
export function checkSemantics(spec: Spec, bundle?: string): string[] {
  const out: string[] = [];
  if (!/^1\.\d+\.\d+(-[0-9A-Za-z.+-]+)?$/.test(spec.ociVersion)) {
    out.push(`/ociVersion: ${JSON.stringify(spec.ociVersion)} is not a 1.x version this runtime implements`);
  }
  if (!spec.root) out.push('/root: required on Linux');
  else if (bundle !== undefined) {
    const p = isAbsolute(spec.root.path) ? spec.root.path : join(bundle, spec.root.path);
    let st;
    try {
      st = statSync(p);
    } catch {
      out.push(`/root/path: ${p} does not exist`);
    }
    if (st && !st.isDirectory()) out.push(`/root/path: ${p} is not a directory`);
  }
  (spec.mounts ?? []).forEach((m, i) => {
    if (!m.destination.startsWith('/')) out.push(`/mounts/${i}/destination: ${JSON.stringify(m.destination)} must be an absolute path`);
  });
  if (spec.process) out.push(...checkProcess(spec.process));

  const linux = spec.linux ?? {};
  const seenNs = new Set<string>();
  (linux.namespaces ?? []).forEach((ns, i) => {
    if (seenNs.has(ns.type)) out.push(`/linux/namespaces/${i}/type: namespace ${ns.type} is given twice`);
    seenNs.add(ns.type);
    if (ns.path !== undefined && !isAbsolute(ns.path)) out.push(`/linux/namespaces/${i}/path: must be an absolute path`);
  });
  const newNs = (t: string) => (linux.namespaces ?? []).some((n) => n.type === t && !n.path);
  const hasNs = (t: string) => seenNs.has(t);
  // The offsets are written into a time namespace before anything enters it:
  // only a new one can take them.
  if (linux.timeOffsets && !newNs('time')) {
    out.push(`/linux/timeOffsets: offsets need a new time namespace in /linux/namespaces${hasNs('time') ? ' (one joined by path already has its offsets)' : ''}`);
  }
  if (spec.hostname && !hasNs('uts')) out.push('/hostname: needs a uts namespace in /linux/namespaces');
  if (spec.domainname && !hasNs('uts')) out.push('/domainname: needs a uts namespace in /linux/namespaces');
  if ((linux.uidMappings?.length || linux.gidMappings?.length) && !newNs('user')) {
    out.push('/linux/uidMappings: mappings need a new user namespace in /linux/namespaces');
  }
  if (newNs('user') && !(linux.uidMappings?.length && linux.gidMappings?.length)) {
    out.push('/linux/namespaces: a new user namespace needs /linux/uidMappings and /linux/gidMappings');
  }
  for (const key of Object.keys(linux.sysctl ?? {})) {
    const need = sysctlNamespace(key);
    if (need && !hasNs(need)) out.push(`/linux/sysctl/${key}: needs a ${need} namespace in /linux/namespaces`);
    if (!need) out.push(`/linux/sysctl/${key}: not a namespaced sysctl; it would change the host`);
  }
  (linux.devices ?? []).forEach((d, i) => {
    if (!isAbsolute(d.path)) out.push(`/linux/devices/${i}/path: must be an absolute path`);
    if (!['c', 'b', 'u', 'p'].includes(d.type)) out.push(`/linux/devices/${i}/type: must be one of c, b, u, p`);
    if (d.type !== 'p' && (d.major === undefined || d.minor === undefined)) out.push(`/linux/devices/${i}: type ${d.type} needs major and minor`);
  });
  return out;
}

/** The rules for a process object (config.json's, or one given to exec). */
export function checkProcess(proc: Process, at = '/process'): string[] {
  const out: string[] = [];
  for (const [set, names] of Object.entries(proc.capabilities ?? {})) {
    (names as string[] | undefined)?.forEach((n, i) => {
      if (capabilityNumber(n) === undefined) out.push(`${at}/capabilities/${set}/${i}: unknown capability ${JSON.stringify(n)}`);
    });
  }
  const seenLimits = new Set<string>();
  (proc.rlimits ?? []).forEach((r, i) => {
    if (!(RLIMITS as readonly string[]).includes(r.type)) out.push(`${at}/rlimits/${i}/type: unknown rlimit ${JSON.stringify(r.type)}`);
    if (seenLimits.has(r.type)) out.push(`${at}/rlimits/${i}/type: ${r.type} is given twice`);
    if (r.soft > r.hard) out.push(`${at}/rlimits/${i}: soft limit ${r.soft} is above hard limit ${r.hard}`);
    seenLimits.add(r.type);
  });
  if (!isAbsolute(proc.cwd)) out.push(`${at}/cwd: ${JSON.stringify(proc.cwd)} must be an absolute path`);
  if (!(proc.args?.length || proc.commandLine)) out.push(`${at}/args: must name the program to run`);
  return out;
}

/** Which namespace a sysctl belongs to (as runc decides), or null when it is not namespaced. */
function sysctlNamespace(key: string): 'ipc' | 'network' | 'uts' | null {
  if (['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'].includes(key)) return 'ipc';
  if (key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'network';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  return null;
}
