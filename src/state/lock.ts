import { closeSync, openSync, constants } from 'node:fs';
import { flock, LOCK_EX } from '../linux/libc.js';
import { sysError } from '../errors.js';

/**
 * An exclusive flock(2) on the container's directory, so that commands on
 * one container run one at a time. The kernel drops it if we die.
 */
export function lockDir(dir: string): () => void {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (e) {
    throw sysError('open', dir, e);
  }
  try {
    flock(fd, LOCK_EX, dir);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return () => closeSync(fd);
}
