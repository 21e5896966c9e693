import { isAlive } from '../linux/proc.js';
import { sleep } from '../linux/async-fs.js';

/**
 * Polls until the process is gone or a zombie; false on timeout. With
 * timers, not a blocking sleep: a process killed with a lot of memory can
 * take a while to die, and the library's event loop must not wait for it.
 */
export async function waitGone(pid: number, startTime: string | undefined, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (isAlive(pid, startTime)) {
    if (Date.now() > deadline) return false;
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
  return true;
}

/** SIGKILL then wait; ESRCH is fine (already gone). False if it is still alive after 10 s. */
export async function killAndWait(pid: number, startTime: string | undefined): Promise<boolean> {
  if (!isAlive(pid, startTime)) return true;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
  return waitGone(pid, startTime);
}
