// What Node lacks from libc, through koffi (src/linux is the layer that talks
// to the kernel; koffi.ts loads it). Each wrapper turns a -1 return into an
// error naming the call, its argument and errno.
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { errnoName } from '../native/errno.js';
import { TsrunError } from '../errors.js';
import { lazyFunctions, loadKoffi, loadLibc } from './koffi.js';

// Declared on first use (koffi.ts): `start` needs flock, `create` a dozen, none all.
const libc = lazyFunctions(loadLibc, {
  umount2: 'int umount2(const char *target, int flags)',
  socket: 'int socket(int domain, int type, int protocol)',
  bind: 'int bind(int fd, const uint8_t *addr, uint32_t len)',
  listen: 'int listen(int fd, int backlog)',
  accept4: 'int accept4(int fd, void *addr, void *len, int flags)',
  recvmsg: 'intptr_t recvmsg(int fd, uint8_t *msg, int flags)',
  close: 'int close(int fd)',
  ioctlWinsize: 'int ioctl(int fd, unsigned long req, const uint16_t *ws)',
  pipe2: 'int pipe2(_Out_ int *fds, int flags)',
  pidfdOpen: 'int pidfd_open(int pid, unsigned int flags)',
  flock: 'int flock(int fd, int operation)',
  mount: 'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
  socketpair: 'int socketpair(int domain, int type, int protocol, _Out_ int *fds)',
  // fcntl is variadic; an int third argument is passed as a fixed one on x86-64 and arm64 Linux.
  fcntlInt: 'int fcntl(int fd, int cmd, int arg)',
  openRw: 'int open(const char *path, int flags)',
  posixSpawn: 'int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attr, const char **argv, const char **envp)',
  waitpid: 'int waitpid(int pid, _Out_ int *status, int options)',
  faInit: 'int posix_spawn_file_actions_init(void *actions)',
  faAddDup2: 'int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)',
  faDestroy: 'int posix_spawn_file_actions_destroy(void *actions)',
  attrInit: 'int posix_spawnattr_init(void *attr)',
  attrSetFlags: 'int posix_spawnattr_setflags(void *attr, short flags)',
  attrSetSigDefault: 'int posix_spawnattr_setsigdefault(void *attr, const void *set)',
  attrSetSigMask: 'int posix_spawnattr_setsigmask(void *attr, const void *set)',
  attrDestroy: 'int posix_spawnattr_destroy(void *attr)',
  memfdCreate: 'int memfd_create(const char *name, unsigned int flags)',
  clockGettime: 'int clock_gettime(int clock, _Out_ int64_t *ts)',
  sendfile: 'intptr_t sendfile(int out_fd, int in_fd, void *offset, size_t count)',
});
const errno = (): number => loadKoffi().errno();

function check(ret: number, call: string): number {
  if (ret < 0) {
    const e = errno();
    throw new TsrunError(`${call}: ${errnoName(e)}`, { syscall: call.split(' ')[0], errno: errnoName(e) });
  }
  return ret;
}

const MNT_DETACH = 2;

/** Lazily detaches the mount at target. */
export function umountDetach(target: string): void {
  check(libc.umount2(target, MNT_DETACH) as number, `umount2 ${target}`);
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;

/** A listening unix stream socket bound at path. */
export function listenUnix(path: string): number {
  const fd = check(libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) as number, 'socket AF_UNIX');
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  addr.write(path, 2);
  try {
    check(libc.bind(fd, addr, 2 + Buffer.byteLength(path) + 1) as number, `bind ${path}`);
    check(libc.listen(fd, 1) as number, `listen ${path}`);
  } catch (e) {
    libc.close(fd);
    throw e;
  }
  return fd;
}

const MFD_CLOEXEC = 1;
const MFD_ALLOW_SEALING = 2;
const F_ADD_SEALS = 1033;
const F_SEAL_ALL = 1 | 2 | 4 | 8; // F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE

/**
 * A close-on-exec memfd named NAME holding a copy of the file at source,
 * sealed: nobody, whoever holds or opens it, can change its contents or
 * size again. The kernel copies (sendfile): reading the file into a Buffer
 * and writing it out cost a CLI create ~2.5 ms more for the executor (700 KB
 * when it was linked with glibc) on this VM, mostly faulting in the Buffer's pages.
 */
export function sealedMemfdOf(name: string, source: string): number {
  const fd = check(libc.memfdCreate(name, MFD_CLOEXEC | MFD_ALLOW_SEALING) as number, `memfd_create ${name}`);
  let src: number | undefined;
  try {
    src = openSync(source, constants.O_RDONLY); // close-on-exec, as libuv opens every file
    for (let left = fstatSync(src).size; left > 0; ) {
      const n = check(Number(libc.sendfile(fd, src, null, left)), `sendfile ${source}`);
      if (n === 0) throw new TsrunError(`sendfile ${source}: the file shrank while it was copied`, { code: 'ERR_SYSCALL', syscall: 'sendfile', path: source });
      left -= n;
    }
    check(libc.fcntlInt(fd, F_ADD_SEALS, F_SEAL_ALL) as number, `fcntl F_ADD_SEALS ${name}`);
  } catch (e) {
    libc.close(fd);
    throw e;
  } finally {
    if (src !== undefined) closeSync(src);
  }
  return fd;
}

/** Accepts one connection and receives one fd sent with SCM_RIGHTS. */
export function acceptFd(listenFd: number): number {
  const conn = check(libc.accept4(listenFd, null, null, SOCK_CLOEXEC) as number, 'accept4 console socket');
  try {
    // recvmsg writes into memory it is given by address: allocate it natively.
    const koffi = loadKoffi();
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
      check(Number(libc.recvmsg(conn, msg, 0)), 'recvmsg console socket');
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
    libc.close(conn);
  }
}

export function closeFd(fd: number): void {
  libc.close(fd);
}

const TIOCSWINSZ = 0x5414;

export function setWindowSize(fd: number, rows: number, cols: number): void {
  check(libc.ioctlWinsize(fd, TIOCSWINSZ, new Uint16Array([rows, cols, 0, 0])) as number, 'ioctl TIOCSWINSZ');
}

const O_CLOEXEC = 0o2000000;

/** A pipe, both ends close-on-exec: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = [0, 0];
  check(libc.pipe2(fds, O_CLOEXEC) as number, 'pipe2');
  return [fds[0]!, fds[1]!];
}

const CLOCK_REALTIME = 0;

/**
 * The wall clock to the nanosecond: [seconds, nanoseconds] since the epoch.
 * Date has milliseconds; performance.timeOrigin has more, but the global
 * `performance` loads perf_hooks and ten more of Node's modules (~2 ms).
 */
export function realtime(): [number, number] {
  const ts = [0, 0];
  check(libc.clockGettime(CLOCK_REALTIME, ts) as number, 'clock_gettime');
  return [ts[0]!, ts[1]!];
}

/** A pidfd for pid (close-on-exec, as pidfd_open makes them). */
export function pidfdOpen(pid: number): number {
  return check(libc.pidfdOpen(pid, 0) as number, `pidfd_open ${pid}`);
}

/** mount(2) on the host (containerd-shim-tsrun-v2 mounts the rootfs containerd hands it). */
export function mount(source: string, target: string, fstype: string, flags: number, data: string): void {
  check(libc.mount(source, target, fstype, flags, data || null) as number, `mount ${target}`);
}

const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_PRIVATE = 1 << 18;

/** Binds source (recursively) on target, then makes target private so nothing propagates to or from it (restore: the rootfs where CRIU wants a mount point). */
export function rbindPrivate(source: string, target: string): void {
  const fail = (what: string) => {
    const e = errnoName(errno());
    return new TsrunError(`${what}: ${e}`, { code: 'ERR_SYSCALL', syscall: 'mount', path: target, errno: e });
  };
  if (libc.mount(source, target, null, MS_BIND | MS_REC, null) < 0) throw fail(`bind ${source} on ${target}`);
  if (libc.mount('', target, null, MS_PRIVATE | MS_REC, null) < 0) throw fail(`make ${target} private`);
}

/** flock(2): 0, or -errno (-EWOULDBLOCK when another holds the lock and LOCK_NB was asked). */
export function flock(fd: number, operation: number): number {
  return (libc.flock(fd, operation) as number) < 0 ? -errno() : 0;
}

/** A connected pair of unix stream sockets, both close-on-exec. */
export function socketPair(): [number, number] {
  const fds = [0, 0];
  check(libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) as number, 'socketpair');
  return [fds[0]!, fds[1]!];
}

const F_DUPFD_CLOEXEC = 1030;

/** A close-on-exec copy of fd numbered at least min. */
export function dupAbove(fd: number, min: number): number {
  return check(libc.fcntlInt(fd, F_DUPFD_CLOEXEC, min) as number, `fcntl F_DUPFD_CLOEXEC ${fd}`);
}

const O_RDWR = 2;
let devNull: number | undefined;

/** One /dev/null fd for the process (close-on-exec), for stdio entries that are 'ignore'. */
export function devNullFd(): number {
  devNull ??= check(libc.openRw('/dev/null', O_RDWR | O_CLOEXEC) as number, 'open /dev/null');
  return devNull;
}

// glibc's posix_spawn flags and the sizes of its opaque types (allocated with room to spare).
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const SPAWN_STRUCT_BYTES = 1024;
const SIGSET_BYTES = 128;
/** A sigset_t of signals 1..64, minus SIGKILL and SIGSTOP (no handler to reset) and glibc's own 32 and 33. */
const EVERY_SIGNAL = Buffer.alloc(SIGSET_BYTES, 0);
for (let sig = 1; sig <= 64; sig++) if (![9, 19, 32, 33].includes(sig)) EVERY_SIGNAL[(sig - 1) >> 3]! |= 1 << ((sig - 1) & 7);
const NO_SIGNAL = Buffer.alloc(SIGSET_BYTES, 0);

export interface SpawnOptions {
  /** The new process's fds: fds[i] becomes its fd i. Each must stay open until the returned promise settles. */
  fds: number[];
  env: string[];
  /** Start it in a new session (and so process group) of its own. */
  setsid?: boolean;
}

/**
 * posix_spawn(3) on libuv's thread pool: glibc spawns with CLONE_VM and
 * CLONE_VFORK, so the cost does not grow with this process's address space
 * (child_process.spawn forks, copying the page tables of a large Node heap
 * on the event loop). As libuv does for its children, the new process
 * starts with every signal at its default and none blocked. Nobody reaps it
 * but waitProcess().
 */
export function spawnProcess(path: string, argv: string[], opts: SpawnOptions): Promise<number> {
  const { actions, attr, release } = spawnAttributes(opts);
  const pid = [0];
  return new Promise((resolve, reject) => {
    libc.posixSpawn.async(pid, path, actions, attr, [...argv, null], [...opts.env, null], (err: Error | null, ret: number) => {
      release();
      if (err) reject(err);
      else if (ret !== 0) reject(spawnError(ret, `posix_spawn ${path}`));
      else resolve(pid[0]!);
    });
  });
}

/** spawnProcess on the calling thread, for a caller that waits anyway (ExecutorOptions.blocking). */
export function spawnProcessSync(path: string, argv: string[], opts: SpawnOptions): number {
  const { actions, attr, release } = spawnAttributes(opts);
  const pid = [0];
  try {
    const ret = libc.posixSpawn(pid, path, actions, attr, [...argv, null], [...opts.env, null]) as number;
    if (ret !== 0) throw spawnError(ret, `posix_spawn ${path}`);
    return pid[0]!;
  } finally {
    release();
  }
}

/** posix_spawn's file actions (opts.fds) and attributes (signals, session); release() frees them. */
function spawnAttributes(opts: SpawnOptions): { actions: Buffer; attr: Buffer; release: () => void } {
  // Copy every source above the highest target first, so that no dup2 overwrites a source still to be copied.
  const copies = opts.fds.map((fd) => dupAbove(fd, opts.fds.length));
  const actions = Buffer.alloc(SPAWN_STRUCT_BYTES);
  const attr = Buffer.alloc(SPAWN_STRUCT_BYTES);
  libc.faInit(actions);
  libc.attrInit(attr);
  const release = () => {
    libc.faDestroy(actions);
    libc.attrDestroy(attr);
    for (const fd of copies) libc.close(fd);
  };
  try {
    copies.forEach((fd, target) => {
      const err = libc.faAddDup2(actions, fd, target) as number;
      if (err) throw spawnError(err, 'posix_spawn_file_actions_adddup2');
    });
    libc.attrSetSigDefault(attr, EVERY_SIGNAL);
    libc.attrSetSigMask(attr, NO_SIGNAL);
    libc.attrSetFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (opts.setsid ? POSIX_SPAWN_SETSID : 0));
  } catch (e) {
    release();
    throw e;
  }
  return { actions, attr, release };
}

function spawnError(errno: number, call: string): TsrunError {
  return new TsrunError(`${call}: ${errnoName(errno)}`, { code: 'ERR_SYSCALL', syscall: call.split(' ')[0], errno: errnoName(errno) });
}

/**
 * waitpid(pid) on libuv's thread pool: the raw wait status. Call it once
 * the process is known to be exiting (its end of a socket closed), so that
 * no pool thread waits long.
 */
export function waitProcess(pid: number): Promise<number> {
  const status = [0];
  return new Promise((resolve, reject) => {
    libc.waitpid.async(pid, status, 0, (err: Error | null, ret: number) => {
      if (err) reject(err);
      // errno belongs to the pool's thread; for a child of ours the one failure is ECHILD (reaped already).
      else if (ret < 0) reject(spawnError(10, `waitpid ${pid}`));
      else resolve(status[0]!);
    });
  });
}

/** waitpid(pid) on the calling thread (ExecutorOptions.blocking): the raw wait status. */
export function waitProcessSync(pid: number): number {
  const status = [0];
  if ((libc.waitpid(pid, status, 0) as number) < 0) throw spawnError(10, `waitpid ${pid}`);
  return status[0]!;
}
