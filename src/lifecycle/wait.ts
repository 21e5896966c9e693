import { isAlive } from '../linux/proc.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps the thread without spinning (commands are short-lived; there is nothing else to run). */
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Polls until the process is gone or a zombie; false on timeout. */
export function waitGone(pid: number, startTime: string | undefined, timeoutMs = 10_000): boolean {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (isAlive(pid, startTime)) {
    if (Date.now() > deadline) return false;
    sleepMs(delay);
    delay = Math.min(delay * 2, 20);
  }
  return true;
}

/** SIGKILL then wait; ESRCH is fine (already gone). */
export function killAndWait(pid: number, startTime: string | undefined): void {
  if (!isAlive(pid, startTime)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
  waitGone(pid, startTime);
}
