// Process helpers shared by bench.mjs and lib-worker.mjs.
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export const sleepMs = (ms) => Atomics.wait(sleeper, 0, 0, ms);

/** True once pid is gone or a zombie (the container's process has exited). */
export function exited(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return true;
  }
  const s = stat[stat.lastIndexOf(')') + 2];
  return s === 'Z' || s === 'X';
}

/** Polls every 0.2 ms (blocking the thread: nothing else runs meanwhile). */
export function waitExitSync(pid, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!exited(pid)) {
    if (Date.now() > end) throw new Error(`pid ${pid} still running after ${timeoutMs} ms`);
    sleepMs(0.2);
  }
}

/** Polls every ms without blocking the event loop (for the parallel runs). */
export async function waitExitAsync(pid, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!exited(pid)) {
    if (Date.now() > end) throw new Error(`pid ${pid} still running after ${timeoutMs} ms`);
    await delay(1);
  }
}

/** VmRSS of pid in KiB, or null. */
export function vmRssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
