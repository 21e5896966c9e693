import { fstatSync } from 'node:fs';
import { closeFd, dupAbove, sealedMemfdOf } from '../linux/libc.js';
import { executorPath } from './executor-path.js';

/**
 * The path to spawn the executor from: a sealed in-memory copy of it, made
 * once per process and kept open (close-on-exec, so no other child of the
 * program inherits it). CVE-2019-5736: the image a container could reach
 * through /proc/PID/exe must not be the host's file, and must not be
 * writable. The executor already runs from such a copy, but made its own
 * at every start (a copy of itself and a second execve per container, and a
 * private copy of its pages in every monitor that stays). Started from this
 * one, it sees that it runs from the sealed copy and goes on, and every
 * monitor of a long-lived program shares the same pages.
 */
export function sealedExecutorPath(childFds: number): string {
  const source = executorPath();
  let ours = sealed && stillOurs(sealed) ? sealed : undefined;
  if (ours && ours.source !== source) {
    closeFd(ours.fd); // a copy of another executor ($TSRUN_EXECUTOR changed)
    ours = undefined;
  }
  if (!ours) {
    // The executor's name for its own copy: it checks /proc/self/exe for it (executor.c, run_from_sealed_copy).
    const fd = sealedMemfdOf('tsrun-executor', source);
    const st = fstatSync(fd);
    ours = sealed = { source, fd, dev: st.dev, ino: st.ino };
  }
  // The child's fds 0..childFds-1 are set before its execve resolves this path: the copy must be above them.
  if (ours.fd < childFds) {
    const high = dupAbove(ours.fd, childFds);
    closeFd(ours.fd);
    ours.fd = high;
  }
  return `/proc/self/fd/${ours.fd}`;
}

let sealed: { source: string; fd: number; dev: number; ino: number } | undefined;

/**
 * The fd still names our copy: the program may have closed it (a library
 * that closes every fd it does not know) and the number may have been
 * reused for another file, which must never be run as the executor.
 */
function stillOurs(s: { fd: number; dev: number; ino: number }): boolean {
  try {
    const st = fstatSync(s.fd);
    return st.dev === s.dev && st.ino === s.ino;
  } catch {
    return false;
  }
}
