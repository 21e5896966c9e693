// linux.resources.devices: rule normalisation and an emulator of the v1
// devices controller, ported in semantics from runc's
// libcontainer/cgroups/devices/devices_emulator.go. The emulator turns an
// ordered allow/deny list into the equivalent "default + exceptions" state,
// which is what the v2 eBPF program encodes and what lets a v1 update move to
// the new state without a disruptive "deny all" when none is needed.
import type { DeviceCgroup } from '../spec/types.js';
import { CgroupError } from './errors.js';

export type DevType = 'a' | 'b' | 'c';

/** A rule with defaults filled in: major/minor -1 means any ("*"). */
export interface DeviceRule {
  type: DevType;
  major: number;
  minor: number;
  /** Some of "rwm", in that order, never empty. */
  access: string;
  allow: boolean;
}

/** The spec's rule -> DeviceRule; type defaults to "a", major/minor to any, access to "rwm". */
export function normalizeRule(d: DeviceCgroup, index: number): DeviceRule {
  const field = `/linux/resources/devices/${index}`;
  const type = d.type ?? 'a';
  if (type !== 'a' && type !== 'b' && type !== 'c') {
    throw new CgroupError(`${field}/type: ${JSON.stringify(type)} is not a, b or c`, undefined, undefined, `${field}/type`);
  }
  const access = d.access ?? 'rwm';
  // runc accepts "rwa" (engines write it) and drops the "a", which grants
  // nothing; an access with no r, w or m fails there too.
  if (/[^rwma]/.test(access) || normAccess(access) === '') {
    throw new CgroupError(`${field}/access: ${JSON.stringify(access)} must be a non-empty combination of r, w and m`, undefined, undefined, `${field}/access`);
  }
  const num = (v: number | undefined, name: string) => {
    if (v === undefined || v === -1) return -1;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new CgroupError(`${field}/${name}: ${v} is not a device number`, undefined, undefined, `${field}/${name}`);
    return v;
  };
  return { type, major: num(d.major, 'major'), minor: num(d.minor, 'minor'), access: normAccess(access), allow: d.allow };
}

export function normalizeRules(list: DeviceCgroup[] | undefined): DeviceRule[] {
  return (list ?? []).map(normalizeRule);
}

function normAccess(a: string): string {
  return ['r', 'w', 'm'].filter((c) => a.includes(c)).join('');
}
const union = (a: string, b: string) => normAccess(a + b);
const minus = (a: string, b: string) => normAccess([...a].filter((c) => !b.includes(c)).join(''));
const intersect = (a: string, b: string) => normAccess([...a].filter((c) => b.includes(c)).join(''));

/** "c 1:3 rwm" as devices.allow / devices.list write it. */
export function ruleText(r: DeviceRule): string {
  if (r.type === 'a') return 'a *:* rwm';
  const n = (v: number) => (v < 0 ? '*' : String(v));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

/** The state of a devices cgroup: default policy plus exceptions (type b/c, with perms). */
export class DeviceEmulator {
  /** true: everything allowed except the exceptions (a "blacklist"). */
  defaultAllow = true;
  /** "type major minor" -> access, all with action !defaultAllow. */
  readonly rules = new Map<string, { type: 'b' | 'c'; major: number; minor: number; access: string }>();

  static from(rules: DeviceRule[]): DeviceEmulator {
    const e = new DeviceEmulator();
    for (const r of rules) e.apply(r);
    return e;
  }

  /** Parses devices.list (an allow list; "a *:* rwm" means allow-all). */
  static fromList(text: string): DeviceEmulator {
    const e = new DeviceEmulator();
    e.defaultAllow = false;
    for (const line of text.split('\n')) {
      const m = /^([abc]) (\d+|\*):(\d+|\*) ([rwm]+)$/.exec(line.trim());
      if (!m) continue;
      const n = (s: string) => (s === '*' ? -1 : Number(s));
      e.apply({ type: m[1] as DevType, major: n(m[2]), minor: n(m[3]), access: normAccess(m[4]), allow: true });
    }
    return e;
  }

  apply(r: DeviceRule): void {
    if (r.type === 'a') {
      // A wildcard type resets the cgroup to allow-all or deny-all, whatever the numbers say.
      this.defaultAllow = r.allow;
      this.rules.clear();
      return;
    }
    // An allow in allow-all mode removes a deny exception; in deny-all mode it adds an allow exception.
    if (r.allow === this.defaultAllow) this.remove(r);
    else this.add(r);
  }

  private key(type: string, major: number, minor: number): string {
    return `${type} ${major} ${minor}`;
  }

  private add(r: DeviceRule): void {
    const k = this.key(r.type, r.major, r.minor);
    const old = this.rules.get(k);
    this.rules.set(k, { type: r.type as 'b' | 'c', major: r.major, minor: r.minor, access: union(old?.access ?? '', r.access) });
  }

  private remove(r: DeviceRule): void {
    // v1 silently ignores removing part of a wildcard exception (it cannot
    // split "c *:* rwm"); runc refuses such rules rather than let a user
    // believe a hole was punched. So do we.
    for (const [maj, min] of [
      [-1, r.minor],
      [r.major, -1],
      [-1, -1],
    ]) {
      if (maj === r.major && min === r.minor) continue;
      const wild = this.rules.get(this.key(r.type, maj, min));
      if (wild && intersect(wild.access, r.access) !== '') {
        throw new CgroupError(
          `/linux/resources/devices: rule "${ruleText(r)}" (${r.allow ? 'allow' : 'deny'}) cannot punch a hole in the wildcard rule "${ruleText({ ...wild, allow: !r.allow })}"`,
          undefined,
          undefined,
          '/linux/resources/devices',
        );
      }
    }
    const k = this.key(r.type, r.major, r.minor);
    const old = this.rules.get(k);
    if (!old) return;
    const left = minus(old.access, r.access);
    if (left === '') this.rules.delete(k);
    else this.rules.set(k, { ...old, access: left });
  }

  /** Exceptions sorted by (major, minor, type), each with action !defaultAllow. */
  exceptions(): DeviceRule[] {
    return [...this.rules.values()].sort((a, b) => a.major - b.major || a.minor - b.minor || a.type.localeCompare(b.type)).map((r) => ({ ...r, allow: !this.defaultAllow }));
  }

  /**
   * The rules that move a cgroup from this state to target with the least
   * disruption (runc's Transition). A disruptive "a" rule is needed when the
   * default changes, or when this is an allow-all cgroup (its deny list cannot
   * be read back from devices.list).
   */
  transitionTo(target: DeviceEmulator): DeviceRule[] {
    const out: DeviceRule[] = [];
    let old = this.rules;
    if (this.defaultAllow || this.defaultAllow !== target.defaultAllow) {
      out.push({ type: 'a', major: -1, minor: -1, access: 'rwm', allow: target.defaultAllow });
      old = new Map();
    }
    const sorted = (m: DeviceEmulator['rules']) => [...m.entries()].sort(([, a], [, b]) => a.major - b.major || a.minor - b.minor || a.type.localeCompare(b.type));
    for (const [k, r] of sorted(old)) {
      const dropped = minus(r.access, target.rules.get(k)?.access ?? '');
      if (dropped) out.push({ ...r, access: dropped, allow: target.defaultAllow });
    }
    for (const [k, r] of sorted(target.rules)) {
      const gained = minus(r.access, old.get(k)?.access ?? '');
      if (gained) out.push({ ...r, access: gained, allow: !target.defaultAllow });
    }
    return out;
  }
}

/**
 * runc's default allow list (libcontainer/specconv AllowedDevices), which runc
 * appends after the config's own rules: mknod of any device, /dev/null,
 * random, full, tty, zero, urandom, /dev/pts/*, /dev/ptmx and /dev/net/tun.
 * Exported for the lifecycle code; setResources() applies exactly the rules
 * it is given.
 */
export function runcDefaultDeviceRules(): DeviceCgroup[] {
  const c = (major: number | undefined, minor: number | undefined, access: string): DeviceCgroup => ({ allow: true, type: 'c', major, minor, access });
  return [
    c(undefined, undefined, 'm'),
    { allow: true, type: 'b', access: 'm' },
    c(1, 3, 'rwm'),
    c(1, 8, 'rwm'),
    c(1, 7, 'rwm'),
    c(5, 0, 'rwm'),
    c(1, 5, 'rwm'),
    c(1, 9, 'rwm'),
    c(136, undefined, 'rwm'),
    c(5, 2, 'rwm'),
    c(10, 200, 'rwm'),
  ];
}
