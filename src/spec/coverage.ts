// What this runtime does with each field of the runtime-spec config: applies
// it, refuses it before any side effect, or (only for host security modules
// this host lacks) runs without it and says so. test/spec/coverage.test.ts
// walks schema/ and fails on a field in none of these lists, so a field a
// new spec version adds cannot be silently ignored.
//
// Entries are JSON pointer templates: `*` is any array index or map key, and
// an entry covers everything below it.
import { problem, problemText, type Problem } from './problem.js';

/** Fields the plan builder, the cgroup drivers, the hooks or the lifecycle apply. */
export const HANDLED: readonly string[] = [
  '/ociVersion',
  '/root',
  '/hostname',
  '/domainname',
  '/annotations',
  '/hooks',
  '/mounts/*/destination',
  '/mounts/*/source',
  '/mounts/*/type',
  '/mounts/*/options',
  '/mounts/*/uidMappings',
  '/mounts/*/gidMappings',
  '/process/terminal',
  '/process/consoleSize',
  '/process/cwd',
  '/process/env',
  '/process/args',
  '/process/user/uid',
  '/process/user/gid',
  '/process/user/umask',
  '/process/user/additionalGids',
  '/process/capabilities',
  '/process/rlimits',
  '/process/noNewPrivileges',
  '/process/oomScoreAdj',
  '/process/scheduler',
  '/process/ioPriority',
  '/process/execCPUAffinity',
  '/linux/personality',
  '/linux/memoryPolicy',
  '/linux/netDevices',
  '/linux/namespaces',
  '/linux/uidMappings',
  '/linux/gidMappings',
  '/linux/timeOffsets',
  '/linux/devices',
  '/linux/cgroupsPath',
  '/linux/resources',
  '/linux/sysctl',
  '/linux/seccomp',
  '/linux/rootfsPropagation',
  '/linux/maskedPaths',
  '/linux/readonlyPaths',
  // Applied where the host has the module; refused, naming the field, where it has not (process/lsm.ts).
  '/process/apparmorProfile',
  '/process/selinuxLabel',
  '/linux/mountLabel',
];

/** Fields this build does not apply: a config that sets one is refused, naming it. */
export const REFUSED: Readonly<Record<string, string>> = {
  '/process/user/username': 'a Windows field: Linux processes are named by uid',
  '/process/commandLine': 'a Windows field: give /process/args',
  '/linux/intelRdt': 'linux.intelRdt is not supported by this build (and this host has no resctrl)',
  '/solaris': 'a section for Solaris: this runtime runs Linux containers',
  '/windows': 'a section for Windows: this runtime runs Linux containers',
  '/vm': 'a section for virtual-machine runtimes: this runtime runs Linux containers',
  '/zos': 'a section for z/OS: this runtime runs Linux containers',
  '/freebsd': 'a section for FreeBSD: this runtime runs Linux containers',
};

/**
 * Fields run without, with a warning naming them. None today: a security
 * label the host cannot apply is refused (issue 13: confinement asked for
 * must never be silently dropped), as runc refuses it.
 */
export const WARNED: Readonly<Record<string, string>> = {};

/** Concrete pointers in `doc` that match `template` and hold a value that is set (not undefined, null or ""). */
export function pointersSet(doc: unknown, template: string): string[] {
  const out: string[] = [];
  const walk = (node: unknown, parts: string[], at: string) => {
    if (node === undefined || node === null || node === '') return;
    if (!parts.length) {
      out.push(at);
      return;
    }
    if (typeof node !== 'object') return;
    const [head, ...rest] = parts as [string, ...string[]];
    const keys = head === '*' ? Object.keys(node) : Object.hasOwn(node, head) ? [head] : [];
    for (const k of keys) walk((node as Record<string, unknown>)[k], rest, `${at}/${k}`);
  };
  walk(doc, template.split('/').slice(1), '');
  return out;
}

/** "/pointer: reason" for each refused field the config sets; with a prefix ("/process", doc then { process }) only those below it. */
export function refusedFields(doc: unknown, prefix = ''): string[] {
  return matching(doc, REFUSED, prefix).map(problemText);
}

/** The same as problems: the pointer kept apart from the reason. */
export function refusedProblems(doc: unknown, prefix = ''): Problem[] {
  return matching(doc, REFUSED, prefix);
}

/** "/pointer: reason" for each warned-about field the config sets. */
export function warnedFields(doc: unknown, prefix = ''): string[] {
  return matching(doc, WARNED, prefix).map(problemText);
}

function matching(doc: unknown, table: Readonly<Record<string, string>>, prefix: string): Problem[] {
  const out: Problem[] = [];
  for (const [template, reason] of Object.entries(table)) {
    if (prefix && !template.startsWith(prefix + '/')) continue;
    for (const p of pointersSet(doc, template)) out.push(problem(p, reason));
  }
  return out;
}
