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
  pipe2: Fn;
  pidfdOpen: Fn;
  flock: Fn;
  mount: Fn;
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
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)'),
    pidfdOpen: lib.func('int pidfd_open(int pid, unsigned int flags)'),
    flock: lib.func('int flock(int fd, int operation)'),
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
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

const O_CLOEXEC = 0o2000000;

/** A pipe, both ends close-on-exec: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = [0, 0];
  check(load().pipe2(fds, O_CLOEXEC) as number, 'pipe2');
  return [fds[0]!, fds[1]!];
}

/** A pidfd for pid (close-on-exec, as pidfd_open makes them). */
export function pidfdOpen(pid: number): number {
  return check(load().pidfdOpen(pid, 0) as number, `pidfd_open ${pid}`);
}

/** mount(2) on the host (containerd-shim-tsrun-v2 mounts the rootfs containerd hands it). */
export function mount(source: string, target: string, fstype: string, flags: number, data: string): void {
  check(load().mount(source, target, fstype, flags, data || null) as number, `mount ${target}`);
}

/** flock(2): 0, or -errno (-EWOULDBLOCK when another holds the lock and LOCK_NB was asked). */
export function flock(fd: number, operation: number): number {
  const l = load();
  return (l.flock(fd, operation) as number) < 0 ? -l.errno() : 0;
}
