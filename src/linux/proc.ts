import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

export interface ProcStat {
  /** One-letter state: R, S, D, Z, T, X, ... */
  state: string;
  ppid: number;
  /** Start time in clock ticks since boot (field 22): with the pid, it names one process. */
  startTime: string;
}

/** Parses /proc/PID/stat; undefined when the process does not exist. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readStatLine(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0]!, ppid: Number(rest[1]), startTime: rest[19]! };
}

/**
 * True while pid names the same live (not zombie) process that started at
 * startTime. Without a start time the pid's identity cannot be confirmed (it
 * may have been reused, or edited into a state file): false, so that nothing
 * signals it.
 */
export function isAlive(pid: number, startTime: string | undefined): boolean {
  if (pid <= 0 || startTime === undefined) return false;
  const st = readProcStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return st.startTime === startTime;
}

/**
 * The one line of a /proc/PID/stat file: one read(2) where readFileSync
 * takes four calls (it cannot know the size of a /proc file). The kernel
 * returns the whole line in one read; a line that fills the buffer is read again whole.
 */
function readStatLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, statBuffer, 0, statBuffer.length, null);
    if (n < statBuffer.length) return statBuffer.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
  }
  return readFileSync(path, 'latin1');
}

const statBuffer = Buffer.allocUnsafe(2048);
