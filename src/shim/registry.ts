/**
 * Where a running shim daemon says it serves a containerd namespace: the
 * file `.tsrun-shim-<namespace>` next to the namespace's bundles (containerd
 * runs `start` in <state>/io.containerd.runtime.v2.task/<namespace>/<id>, so
 * `../` is per containerd and namespace; containerd skips files there). One
 * line: `PID STARTTIME ADDRESS CONTAINERD-ADDRESS`. `start` (the POSIX sh
 * front end, src/shim/front.sh, or start.ts) reuses the daemon when the pid
 * still runs with that start time (not a reused pid) and serves the same
 * containerd. Only the daemon writes it, and removes it (when it is still
 * its own) before it stops accepting.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Registration {
  pid: number;
  startTime: string;
  address: string;
  containerdAddress: string;
}

export function registryPath(bundle: string, namespace: string): string {
  return join(dirname(bundle), `.tsrun-shim-${namespace}`);
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot): tells a live daemon from a reused pid. */
export function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function readRegistration(path: string): Registration | null {
  let line: string;
  try {
    line = readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
  const m = /^(\d+) (\d+) (\S+) (.*)$/.exec(line);
  return m ? { pid: Number(m[1]), startTime: m[2]!, address: m[3]!, containerdAddress: m[4]! } : null;
}

/** The daemon serving containerdAddress's namespace, if one runs. */
export function liveDaemon(path: string, containerdAddress: string): Registration | null {
  const r = readRegistration(path);
  if (!r || r.containerdAddress !== containerdAddress) return null;
  return startTime(r.pid) === r.startTime ? r : null;
}

export function register(path: string, address: string, containerdAddress: string): void {
  const tmp = `${path}.${process.pid}`;
  writeFileSync(tmp, `${process.pid} ${startTime(process.pid)} ${address} ${containerdAddress}\n`);
  renameSync(tmp, path);
}

/** Removes the file if it still names this process (a newer daemon may have replaced it). */
export function unregister(path: string): void {
  if (readRegistration(path)?.pid === process.pid) rmSync(path, { force: true });
}
