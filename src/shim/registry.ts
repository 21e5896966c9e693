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
import { isAlive, readProcStat } from '../linux/proc.js';

export interface Registration {
  pid: number;
  startTime: string;
  address: string;
  containerdAddress: string;
}

export function registryPath(bundle: string, namespace: string): string {
  return join(dirname(bundle), `.tsrun-shim-${namespace}`);
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
  return isAlive(r.pid, r.startTime) ? r : null; // the same process: not a reused pid, not a zombie
}

export function register(path: string, address: string, containerdAddress: string): void {
  const tmp = `${path}.${process.pid}`;
  writeFileSync(tmp, `${process.pid} ${readProcStat(process.pid)!.startTime} ${address} ${containerdAddress}\n`);
  renameSync(tmp, path);
}

/** Removes the file if it still names this process (a newer daemon may have replaced it). */
export function unregister(path: string): void {
  if (readRegistration(path)?.pid === process.pid) rmSync(path, { force: true });
}
