// What talking to CRIU needs from libc and Node lacks: a SOCK_SEQPACKET
// socketpair (libuv cannot wrap one), recvmsg with the fds CRIU sends in
// SCM_RIGHTS, sending an fd to a console socket, and waitpid for a child
// Node did not spawn (CRIU restores the init as our child).
import { errnoName } from '../native/errno.js';
import { TsrunError } from '../errors.js';
import { lazyFunctions, loadKoffi, loadLibc } from './koffi.js';

const libc = lazyFunctions(loadLibc, {
  socketpair: 'int socketpair(int domain, int type, int protocol, _Out_ int *sv)',
  socket: 'int socket(int domain, int type, int protocol)',
  connect: 'int connect(int fd, const uint8_t *addr, uint32_t len)',
  recvmsg: 'intptr_t recvmsg(int fd, void *msg, int flags)',
  sendmsg: 'intptr_t sendmsg(int fd, void *msg, int flags)',
  close: 'int close(int fd)',
  waitpid: 'int waitpid(int pid, _Out_ int *status, int options)',
});

function check(ret: number, call: string): number {
  if (ret < 0) {
    const errno = errnoName(loadKoffi().errno());
    throw new TsrunError(`${call}: ${errno}`, { code: 'ERR_SYSCALL', syscall: call.split(' ')[0], errno });
  }
  return ret;
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const EINTR = 4;
const ECONNRESET = 104;

/** A connected pair of SOCK_SEQPACKET unix sockets (close-on-exec): message boundaries kept, as CRIU's RPC needs. */
export function seqpacketPair(): [number, number] {
  const sv = new Int32Array(2);
  check(libc.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 'socketpair AF_UNIX SOCK_SEQPACKET');
  return [sv[0]!, sv[1]!];
}

export interface Received {
  /** Empty at end of stream (the peer closed, or reset the connection). */
  data: Buffer;
  /** Descriptors that came with the message (SCM_RIGHTS). The caller owns them. */
  fds: number[];
}

/**
 * One message, blocking until it comes. struct msghdr, iovec and cmsghdr as
 * laid out on 64-bit Linux; recvmsg writes into memory given by address, so
 * the buffers are allocated natively.
 */
export function receiveMessage(fd: number, max = 64 * 1024): Received {
  const koffi = loadKoffi();
  const data = koffi.alloc('uint8_t', max);
  const control = koffi.alloc('uint8_t', 128);
  const iov = koffi.alloc('uint64_t', 2);
  const msg = koffi.alloc('uint64_t', 7);
  try {
    koffi.encode(iov, 'uint64_t', [koffi.address(data), BigInt(max)], 2);
    koffi.encode(msg, 'uint64_t', [0n, 0n, koffi.address(iov), 1n, koffi.address(control), 128n, 0n], 7);
    let n: number;
    for (;;) {
      n = Number(libc.recvmsg(fd, msg, 0));
      if (n >= 0 || koffi.errno() !== EINTR) break;
    }
    // The peer closed with our last message unread: that too is the end.
    if (n < 0 && koffi.errno() === ECONNRESET) return { data: Buffer.alloc(0), fds: [] };
    check(n, 'recvmsg');
    const fields = koffi.decode(msg, 'uint64_t', 7) as unknown as bigint[];
    const controlLen = Number(fields[5]);
    const fds: number[] = [];
    if (controlLen >= 16) {
      const c = Buffer.from(koffi.decode(control, 'uint8_t', controlLen));
      // struct cmsghdr { size_t len; int level; int type; } then the fds.
      for (let off = 0; off + 16 <= controlLen; ) {
        const len = Number(c.readBigUInt64LE(off));
        if (len < 16) break;
        if (c.readInt32LE(off + 8) === SOL_SOCKET && c.readInt32LE(off + 12) === SCM_RIGHTS) {
          for (let p = off + 16; p + 4 <= off + len; p += 4) fds.push(c.readInt32LE(p));
        }
        off += (len + 7) & ~7;
      }
    }
    return { data: n > 0 ? Buffer.from(koffi.decode(data, 'uint8_t', n)) : Buffer.alloc(0), fds };
  } finally {
    for (const p of [data, control, iov, msg]) koffi.free(p);
  }
}

/**
 * Connects to the unix stream socket at path and sends fd with SCM_RIGHTS,
 * `name` as the data (runc sends the file's name, e.g. "/dev/ptmx").
 */
export function sendFdTo(path: string, fd: number, name: string): void {
  const koffi = loadKoffi();
  const sock = check(libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), 'socket AF_UNIX');
  const bytes = Buffer.from(name);
  const data = koffi.alloc('uint8_t', Math.max(bytes.length, 1));
  const control = koffi.alloc('uint8_t', 24);
  const iov = koffi.alloc('uint64_t', 2);
  const msg = koffi.alloc('uint64_t', 7);
  try {
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    if (Buffer.byteLength(path) > 107) throw new TsrunError(`console socket path ${path}: longer than 107 bytes`, { code: 'ERR_INVALID_ARGUMENT', path });
    addr.write(path, 2);
    check(libc.connect(sock, addr, 2 + Buffer.byteLength(path) + 1), `connect ${path}`);
    koffi.encode(data, 'uint8_t', [...bytes], bytes.length);
    const cmsg = Buffer.alloc(24);
    cmsg.writeBigUInt64LE(20n, 0); // CMSG_LEN(sizeof(int))
    cmsg.writeInt32LE(SOL_SOCKET, 8);
    cmsg.writeInt32LE(SCM_RIGHTS, 12);
    cmsg.writeInt32LE(fd, 16);
    koffi.encode(control, 'uint8_t', [...cmsg], 24);
    koffi.encode(iov, 'uint64_t', [koffi.address(data), BigInt(bytes.length)], 2);
    koffi.encode(msg, 'uint64_t', [0n, 0n, koffi.address(iov), 1n, koffi.address(control), 24n, 0n], 7);
    check(Number(libc.sendmsg(sock, msg, 0)), `sendmsg to ${path}`);
  } finally {
    for (const p of [data, control, iov, msg]) koffi.free(p);
    libc.close(sock);
  }
}

const WNOHANG = 1;

/**
 * waitpid(pid, WNOHANG): the exit status (128+signal when killed) once the
 * child has ended, else undefined. Only for children Node's own
 * child_process does not know (it would reap them itself).
 */
export function reapIfExited(pid: number): number | undefined {
  const status = new Int32Array(1);
  const r = check(libc.waitpid(pid, status, WNOHANG), `waitpid ${pid}`);
  if (r === 0) return undefined;
  const s = status[0]!;
  const sig = s & 0x7f;
  return sig === 0 ? (s >> 8) & 0xff : 128 + sig;
}
