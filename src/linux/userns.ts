// Whether this process runs in a user namespace other than the initial one:
// runc's userns.RunningInUserNS, which decides --rootless auto and the
// default --root for a caller whose euid is 0.
import { readFileSync } from 'node:fs';

let cached: boolean | undefined;

/** True unless /proc/self/uid_map is the initial namespace's identity map "0 0 4294967295". */
export function runningInUserNs(): boolean {
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return (cached = false); // no user namespaces in this kernel
  }
  const lines = text.trim().split('\n');
  const f = lines[0]!.trim().split(/\s+/);
  return (cached = !(lines.length === 1 && f[0] === '0' && f[1] === '0' && f[2] === '4294967295'));
}

/** /proc/PID/setgroups says "deny": setgroups(2) fails in that process's user namespace. */
export function setgroupsDenied(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'deny';
  } catch {
    return false; // gone (the exec then fails on its own) or a kernel without the file
  }
}
