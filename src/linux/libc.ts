// The only place that loads koffi. Each wrapper turns a -1 return into an
// error naming the call, its argument and errno.
import { createRequire } from 'node:module';
import { errnoName } from '../native/errno.js';
import { TsrunError } from '../errors.js';

type Fn = (...args: unknown[]) => number;
interface Libc {
  flock: Fn;
  umount2: Fn;
  prctl: Fn;
  errno: () => number;
}
let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  // koffi is CommonJS with a native addon: load it on first use only, so
  // commands that never call libc do not pay for it.
  const koffi = createRequire(import.meta.url)('koffi');
  const lib = koffi.load('libc.so.6');
  libc = {
    flock: lib.func('int flock(int fd, int op)'),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
    errno: () => koffi.errno() as number,
  };
  return libc;
}

function check(ret: number, call: string): number {
  if (ret < 0) {
    const errno = load().errno();
    throw new TsrunError(`${call}: ${errnoName(errno)}`);
  }
  return ret;
}

export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

export function flock(fd: number, operation: number, what: string): void {
  check(load().flock(fd, operation) as number, `flock ${what}`);
}

export function setChildSubreaper(): void {
  check(load().prctl(36, 1, 0, 0, 0) as number, 'prctl PR_SET_CHILD_SUBREAPER');
}

const MNT_DETACH = 2;

/** Lazily detaches the mount at target. */
export function umountDetach(target: string): void {
  check(load().umount2(target, MNT_DETACH) as number, `umount2 ${target}`);
}
