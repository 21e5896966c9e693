import { problem, type Problem } from './problem.js';
import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { capabilityNumber } from './capabilities.js';
import { refusedProblems } from './coverage.js';
import type { Process, Spec } from './types.js';

export const RLIMITS = [
  'RLIMIT_CPU',
  'RLIMIT_FSIZE',
  'RLIMIT_DATA',
  'RLIMIT_STACK',
  'RLIMIT_CORE',
  'RLIMIT_RSS',
  'RLIMIT_NPROC',
  'RLIMIT_NOFILE',
  'RLIMIT_MEMLOCK',
  'RLIMIT_AS',
  'RLIMIT_LOCKS',
  'RLIMIT_SIGPENDING',
  'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE',
  'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME',
] as const;

/**
 * The rules of the runtime-spec that its JSON Schema cannot express.
 * Returns "/pointer: problem" strings; empty when the config is sound.
 */
export function checkSemantics(spec: Spec, bundle?: string): Problem[] {
  const out: Problem[] = [];
  if (!/^1\.\d+\.\d+(-[0-9A-Za-z.+-]+)?$/.test(spec.ociVersion)) {
    out.push(problem('/ociVersion', `${JSON.stringify(spec.ociVersion)} is not a 1.x version this runtime implements`));
  }
  if (!spec.root) out.push(problem('/root', 'required on Linux'));
  else if (bundle !== undefined) {
    const p = isAbsolute(spec.root.path) ? spec.root.path : join(bundle, spec.root.path);
    let st;
    try {
      st = statSync(p);
    } catch {
      out.push(problem('/root/path', `${p} does not exist`));
    }
    if (st && !st.isDirectory()) out.push(problem('/root/path', `${p} is not a directory`));
  }
  (spec.mounts ?? []).forEach((m, i) => {
    if (!m.destination.startsWith('/')) out.push(problem(`/mounts/${i}/destination`, `${JSON.stringify(m.destination)} must be an absolute path`));
  });
  // config.md: a hook's path is absolute; a relative one would run from the caller's cwd.
  for (const [kind, hooks] of Object.entries(spec.hooks ?? {})) {
    (hooks as { path: string }[] | undefined)?.forEach((h, i) => {
      if (!isAbsolute(h.path)) out.push(problem(`/hooks/${kind}/${i}/path`, `${JSON.stringify(h.path)} must be an absolute path`));
    });
  }
  // The process is checked by checkProcess, the annotations reach no C string.
  out.push(...nulBytes({ ...spec, process: undefined, annotations: undefined }, ''));
  if (spec.process) out.push(...checkProcess(spec.process));
  // Fields this build does not apply are refused here, before anything is made (process ones in checkProcess).
  out.push(...refusedProblems(spec).filter((f) => !f.pointer.startsWith('/process/')));

  const linux = spec.linux ?? {};
  const seenNs = new Set<string>();
  (linux.namespaces ?? []).forEach((ns, i) => {
    if (seenNs.has(ns.type)) out.push(problem(`/linux/namespaces/${i}/type`, `namespace ${ns.type} is given twice`));
    seenNs.add(ns.type);
    if (ns.path !== undefined && !isAbsolute(ns.path)) out.push(problem(`/linux/namespaces/${i}/path`, 'must be an absolute path'));
  });
  const newNs = (t: string) => (linux.namespaces ?? []).some((n) => n.type === t && !n.path);
  const hasNs = (t: string) => seenNs.has(t);
  // The offsets are written into a time namespace before anything enters it:
  // only a new one can take them.
  if (linux.timeOffsets && !newNs('time')) {
    out.push(problem('/linux/timeOffsets', `offsets need a new time namespace in /linux/namespaces${hasNs('time') ? ' (one joined by path already has its offsets)' : ''}`));
  }
  if (spec.hostname && !hasNs('uts')) out.push(problem('/hostname', 'needs a uts namespace in /linux/namespaces'));
  if (spec.domainname && !hasNs('uts')) out.push(problem('/domainname', 'needs a uts namespace in /linux/namespaces'));
  if ((linux.uidMappings?.length || linux.gidMappings?.length) && !newNs('user')) {
    out.push(problem('/linux/uidMappings', 'mappings need a new user namespace in /linux/namespaces'));
  }
  if (newNs('user') && !(linux.uidMappings?.length && linux.gidMappings?.length)) {
    out.push(problem('/linux/namespaces', 'a new user namespace needs /linux/uidMappings and /linux/gidMappings'));
  }
  for (const key of Object.keys(linux.sysctl ?? {})) {
    const need = sysctlNamespace(key);
    if (need && !hasNs(need)) out.push(problem(`/linux/sysctl/${key}`, `needs a ${need} namespace in /linux/namespaces`));
    if (!need) out.push(problem(`/linux/sysctl/${key}`, 'not a namespaced sysctl; it would change the host'));
  }
  (linux.devices ?? []).forEach((d, i) => {
    if (!isAbsolute(d.path)) out.push(problem(`/linux/devices/${i}/path`, 'must be an absolute path'));
    if (!['c', 'b', 'u', 'p'].includes(d.type)) out.push(problem(`/linux/devices/${i}/type`, 'must be one of c, b, u, p'));
    if (d.type !== 'p' && (d.major === undefined || d.minor === undefined)) out.push(problem(`/linux/devices/${i}`, `type ${d.type} needs major and minor`));
  });
  return out;
}

/** The rules for a process object (config.json's, or one given to exec). */
export function checkProcess(proc: Process, at = '/process'): Problem[] {
  const out: Problem[] = [];
  for (const [set, names] of Object.entries(proc.capabilities ?? {})) {
    (names as string[] | undefined)?.forEach((n, i) => {
      if (capabilityNumber(n) === undefined) out.push(problem(`${at}/capabilities/${set}/${i}`, `unknown capability ${JSON.stringify(n)}`));
    });
  }
  const seenLimits = new Set<string>();
  (proc.rlimits ?? []).forEach((r, i) => {
    if (!(RLIMITS as readonly string[]).includes(r.type)) out.push(problem(`${at}/rlimits/${i}/type`, `unknown rlimit ${JSON.stringify(r.type)}`));
    if (seenLimits.has(r.type)) out.push(problem(`${at}/rlimits/${i}/type`, `${r.type} is given twice`));
    if (r.soft > r.hard) out.push(problem(`${at}/rlimits/${i}`, `soft limit ${r.soft} is above hard limit ${r.hard}`));
    seenLimits.add(r.type);
  });
  out.push(...nulBytes(proc, at));
  if (!isAbsolute(proc.cwd)) out.push(problem(`${at}/cwd`, `${JSON.stringify(proc.cwd)} must be an absolute path`));
  if (!(proc.args?.length || proc.commandLine)) out.push(problem(`${at}/args`, 'must name the program to run'));
  for (const f of refusedProblems({ process: proc }, '/process')) out.push(problem(at + f.pointer.slice('/process'.length), f.why));
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

/**
 * "/pointer: contains a NUL byte" for each string (or key) under value that
 * has one: the executor and the kernel take C strings, which would end at
 * the NUL and mean something else ("/mnt\0x" would mount on /mnt).
 * Iterative, as a config may nest deep under keys nobody reads.
 */
function nulBytes(value: unknown, at: string): Problem[] {
  // Pointers are made only for what is reported: a frame knows its parent and key.
  type Frame = { v: unknown; parent: Frame | null; key: string };
  const pointer = (f: Frame): string => {
    const keys: string[] = [];
    for (let p: Frame | null = f; p?.parent; p = p.parent) keys.push(p.key);
    // The NUL itself is shown escaped: a raw one in a message would end it too.
    const escaped = keys.reverse().map((k) => '/' + k.replace(/~/g, '~0').replace(/\//g, '~1').replace(/\0/g, '\\u0000'));
    return at + escaped.join('');
  };
  const out: Problem[] = [];
  const todo: Frame[] = [{ v: value, parent: null, key: '' }];
  while (todo.length && out.length < 8) {
    const f = todo.pop()!;
    const v = f.v;
    if (typeof v === 'string') {
      if (v.includes('\0')) out.push(problem(pointer(f) || '/', 'contains a NUL byte'));
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (typeof v[i] === 'string' || (typeof v[i] === 'object' && v[i] !== null)) todo.push({ v: v[i], parent: f, key: String(i) });
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i];
        const x = (v as Record<string, unknown>)[k];
        const child = { v: x, parent: f, key: k };
        if (k.includes('\0')) out.push(problem(pointer(child), 'the key contains a NUL byte'));
        if (typeof x === 'string' || (typeof x === 'object' && x !== null)) todo.push(child);
      }
    }
  }
  return out;
}
