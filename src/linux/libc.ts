// With bpf.ts, the only place that loads koffi (src/linux is the layer that
// talks to the kernel through libc). Each wrapper turns a -1 return into an
// error naming the call, its argument and errno.
import { createRequire } from 'node:module';
import { errnoName } from '../native/errno.js';
import { TsrunError } from '../errors.js';

type Fn = (...args: unknown[]) => number;
interface Libc {
  umount2: Fn;
  socket: Fn;
  bind: Fn;
  listen: Fn;
  accept4: Fn;
  recvmsg: Fn;
  close: Fn;
  ioctlWinsize: Fn;
  mount: Fn;
  dup: Fn;
  dup2: Fn;
  prctl: Fn;
  waitpid: Fn;
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
    umount2: lib.func('int umount2(const char *target, int flags)'),
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    bind: lib.func('int bind(int fd, const uint8_t *addr, uint32_t len)'),
    listen: lib.func('int listen(int fd, int backlog)'),
    accept4: lib.func('int accept4(int fd, void *addr, void *len, int flags)'),
    recvmsg: lib.func('intptr_t recvmsg(int fd, uint8_t *msg, int flags)'),
    close: lib.func('int close(int fd)'),
    ioctlWinsize: lib.func('int ioctl(int fd, unsigned long req, const uint16_t *ws)'),
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    dup: lib.func('int dup(int fd)'),
    dup2: lib.func('int dup2(int oldfd, int newfd)'),
    prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
    waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)'),
    errno: () => koffi.errno() as number,
  };
  return libc;
}

function check(ret: number, call: string): number {
  if (ret < 0) {
    const errno = load().errno();
    throw new TsrunError(`${call}: ${errnoName(errno)}`, { syscall: call.split(' ')[0], errno: errnoName(errno) });
  }
  return ret;
}


const MNT_DETACH = 2;

/** Lazily detaches the mount at target. */
export function umountDetach(target: string): void {
  check(load().umount2(target, MNT_DETACH) as number, `umount2 ${target}`);
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;

/** A listening unix stream socket bound at path. */
export function listenUnix(path: string): number {
  const l = load();
  const fd = check(l.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) as number, 'socket AF_UNIX');
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  addr.write(path, 2);
  try {
    check(l.bind(fd, addr, 2 + Buffer.byteLength(path) + 1) as number, `bind ${path}`);
    check(l.listen(fd, 1) as number, `listen ${path}`);
  } catch (e) {
    l.close(fd);
    throw e;
  }
  return fd;
}

/** Accepts one connection and receives one fd sent with SCM_RIGHTS. */
export function acceptFd(listenFd: number): number {
  const l = load();
  const conn = check(l.accept4(listenFd, null, null, SOCK_CLOEXEC) as number, 'accept4 console socket');
  try {
    // recvmsg writes into memory it is given by address: allocate it natively.
    const koffi = createRequire(import.meta.url)('koffi');
    const data = koffi.alloc('uint8_t', 256);
    const control = koffi.alloc('uint8_t', 64);
    try {
      // struct iovec { void *base; size_t len } then struct msghdr, as laid out on 64-bit Linux.
      const iov = koffi.alloc('uint64_t', 2);
      koffi.encode(iov, 'uint64_t', [koffi.address(data), 256n], 2);
      const msg = Buffer.alloc(56);
      msg.writeBigUInt64LE(koffi.address(iov), 16);
      msg.writeBigUInt64LE(1n, 24);
      msg.writeBigUInt64LE(koffi.address(control), 32);
      msg.writeBigUInt64LE(64n, 40);
      check(Number(l.recvmsg(conn, msg, 0)), 'recvmsg console socket');
      koffi.free(iov);
      // struct cmsghdr { size_t len; int level; int type; } then the fd.
      const c = Buffer.from(koffi.decode(control, 'uint8_t', 64) as number[]);
      if (c.readInt32LE(8) !== 1 || c.readInt32LE(12) !== 1) throw new TsrunError('console socket: no fd received');
      return c.readInt32LE(16);
    } finally {
      koffi.free(data);
      koffi.free(control);
    }
  } finally {
    l.close(conn);
  }
}

export function closeFd(fd: number): void {
  load().close(fd);
}

const TIOCSWINSZ = 0x5414;

export function setWindowSize(fd: number, rows: number, cols: number): void {
  check(load().ioctlWinsize(fd, TIOCSWINSZ, new Uint16Array([rows, cols, 0, 0])) as number, 'ioctl TIOCSWINSZ');
}

/** mount(2): a host mount (the shim mounts the rootfs containerd hands it). */
export function mount(source: string, target: string, fstype: string, flags: number, data: string): void {
  check(load().mount(source, target, fstype, flags, data || null) as number, `mount ${target}`);
}

export function dup(fd: number): number {
  return check(load().dup(fd) as number, `dup ${fd}`);
}

export function dup2(oldfd: number, newfd: number): void {
  check(load().dup2(oldfd, newfd) as number, `dup2 ${oldfd} ${newfd}`);
}

const PR_SET_CHILD_SUBREAPER = 36;

/** Orphaned descendants (a container's init once its executor exits) become this process's children. */
export function setChildSubreaper(): void {
  check(load().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) as number, 'prctl PR_SET_CHILD_SUBREAPER');
}

const WNOHANG = 1;

/**
 * Reaps pid if it has exited (WNOHANG): null while it runs, else its exit
 * code or the signal that ended it. Only for pids known to be ours: a
 * waitpid(-1) would steal the statuses of libuv's own children.
 */
export function reapPid(pid: number): { exitCode: number | null; signal: number | null } | null {
  const status = [0];
  const r = load().waitpid(pid, status, WNOHANG) as number;
  if (r === 0) return null;
  check(r, `waitpid ${pid}`);
  const st = status[0]!;
  const sig = st & 0x7f;
  return sig === 0 ? { exitCode: (st >> 8) & 0xff, signal: null } : { exitCode: null, signal: sig };
}
