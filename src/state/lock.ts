import { closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { TsrunError, errnoName, formatErrno, sysError } from '../errors.js';
import { flock } from '../linux/libc.js';

/**
 * An exclusive lock per container, so that commands on one container run one
 * at a time: flock(2) on ROOT/ID/lock (mode 0600).
 *
 * Why this lock (docs/bench.md, "The lock"):
 * - Only the runtime can reach it: the file is root's, in the state root. An
 *   abstract unix socket (the lock before) is visible to every process in
 *   the network namespace, so a container with host networking could bind
 *   a guessable id's name and block create, start and delete of that id.
 * - One directory has one lock whatever the path to it: the lock is on an
 *   inode, so /run/tsrun and /var/run/tsrun (a symlink) exclude each other.
 * - The kernel frees it when the holder dies: no stale locks, no owner
 *   check by pid and start time, no race between two breakers of a stale
 *   lock (what an O_EXCL lock file needs). Node opens files close-on-exec,
 *   so no container process inherits it.
 * - Node has no flock: it comes through koffi, as every native call does
 *   (the executor is the project's only C). Loading koffi costs a locking
 *   command a few ms (docs/bench.md, "The lock").
 */
export async function lockDir(dir: string, timeoutMs = 30_000): Promise<() => void> {
  const file = join(dir, 'lock');
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const fd = openLockFile(file);
    let held = false;
    try {
      for (;;) {
        const err = flock(fd, LOCK_EX | LOCK_NB);
        if (err === 0) break;
        if (err !== -EWOULDBLOCK) throw new TsrunError(`flock ${file}: ${formatErrno(err)}`, { code: 'ERR_SYSCALL', syscall: 'flock', path: file, errno: errnoName(err) });
        if (Date.now() > deadline) throw new TsrunError(`${dir}: another tsrun command holds the container's lock`, { code: 'ERR_TIMEOUT', path: dir });
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 50);
      }
      // The holder may have deleted the container (and the file) meanwhile:
      // a lock on a file no longer at the path excludes nobody.
      held = sameFile(fd, file);
    } finally {
      if (!held) closeSync(fd);
    }
    if (held) return () => closeSync(fd);
  }
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = osConstants.errno.EWOULDBLOCK; // EAGAIN, by its Linux name

function openLockFile(file: string): number {
  try {
    return openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TsrunError('container does not exist', { code: 'ERR_NOT_FOUND', path: file });
    throw sysError('open', file, e);
  }
}

function sameFile(fd: number, file: string): boolean {
  const held = fstatSync(fd);
  try {
    const now = statSync(file);
    return now.ino === held.ino && now.dev === held.dev;
  } catch {
    return false;
  }
}
