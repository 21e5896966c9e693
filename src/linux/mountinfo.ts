// /proc/self/mountinfo, read once per create and shared by the cgroup
// detection and the plan's host facts. Reading it takes the kernel's
// namespace_sem for reading, which every clone(CLONE_NEWNS) and every mount
// of a container being set up takes for writing: with many creates at once
// each read can wait behind them, on the caller's thread.
import { readFileSync } from 'node:fs';

export function readMountinfo(): string {
  return readFileSync('/proc/self/mountinfo', 'utf8');
}

/** Undoes mountinfo's octal escapes (\040 for a space, ...). */
export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
