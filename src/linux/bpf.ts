// bpf(2) for the cgroup v2 device filter, through koffi's syscall(). Written
// for src/cgroups (devices on cgroup v2); koffi is loaded on first use only.
//
// attachDeviceFilter(dir, insns) does what runc's
// LoadAttachCgroupDeviceFilter does:
//   1. open(dir, O_RDONLY | O_DIRECTORY)                       -> dirfd
//   2. BPF_PROG_QUERY { target_fd: dirfd, attach_type: BPF_CGROUP_DEVICE,
//      prog_ids, prog_cnt }                                     -> ids already attached
//   3. BPF_PROG_LOAD { prog_type: BPF_PROG_TYPE_CGROUP_DEVICE, insn_cnt,
//      insns, license: "GPL" } (retried with log_level 1 and a log buffer
//      when the verifier refuses, so the error carries its log) -> progfd
//   4. BPF_PROG_ATTACH { target_fd: dirfd, attach_bpf_fd: progfd,
//      attach_type: BPF_CGROUP_DEVICE, attach_flags: BPF_F_ALLOW_MULTI }
//   5. for each old id: BPF_PROG_GET_FD_BY_ID { prog_id } -> fd, then
//      BPF_PROG_DETACH { target_fd: dirfd, attach_bpf_fd: fd,
//      attach_type: BPF_CGROUP_DEVICE } (the new filter is attached first,
//      so there is no moment without one; on update the old one goes)
//   6. close progfd and dirfd: the attachment keeps the program alive.
// The attr layouts are those of union bpf_attr in include/uapi/linux/bpf.h.
import { closeSync, constants, openSync } from 'node:fs';
import { TsrunError, errnoName, formatErrno } from '../errors.js';
import { type Koffi, loadKoffi, loadLibc } from './koffi.js';

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;
/** Larger than any attr we fill; the kernel accepts a longer attr if the tail is zero. */
const ATTR_SIZE = 128;

const SYS_BPF: Record<string, number> = { x64: 321, arm64: 280, riscv64: 280, ppc64: 361, s390x: 351 };

interface Sys {
  koffi: Koffi;
  syscall: (...args: unknown[]) => number | bigint;
  nr: number;
}
let sys: Sys | undefined;

function load(): Sys {
  if (sys) return sys;
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new TsrunError(`bpf: unsupported architecture ${process.arch}`);
  sys = { koffi: loadKoffi(), syscall: loadLibc().func('long syscall(long number, ...)'), nr };
  return sys;
}

export class BpfError extends TsrunError {
  constructor(
    message: string,
    readonly errnoNumber: number,
  ) {
    super(message, { syscall: 'bpf', errno: errnoName(errnoNumber) });
  }
}

/** bpf(cmd, attr, size); returns the result or throws naming the command. */
function bpf(cmd: number, attr: Buffer, what: string): number {
  const s = load();
  const ret = Number(s.syscall(s.nr, 'int', cmd, 'void *', attr, 'unsigned int', attr.length));
  if (ret < 0) {
    const errno = s.koffi.errno();
    throw new BpfError(`${what}: ${formatErrno(errno)}`, errno);
  }
  return ret;
}

function openDir(dir: string): number {
  try {
    return openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TsrunError(`open ${dir}: ${e.code} (${e.message})`);
  }
}

/** Ids of the BPF_CGROUP_DEVICE programs attached to a cgroup2 directory fd. */
function queryIds(dirFd: number, dir: string): number[] {
  let cap = 64;
  for (let tries = 0; tries < 4; tries++) {
    const ids = Buffer.alloc(cap * 4);
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(dirFd, 0); // target_fd
    attr.writeUInt32LE(BPF_CGROUP_DEVICE, 4); // attach_type
    attr.writeBigUInt64LE(load().koffi.address(ids), 16); // prog_ids
    attr.writeUInt32LE(cap, 24); // prog_cnt (in: room, out: count)
    try {
      bpf(BPF_PROG_QUERY, attr, `bpf(BPF_PROG_QUERY, BPF_CGROUP_DEVICE) on ${dir}`);
    } catch (err) {
      // ENOSPC: more programs than room; prog_cnt now holds the count.
      if ((err as BpfError).errnoNumber === 28) {
        cap = attr.readUInt32LE(24) + 8;
        continue;
      }
      throw err;
    }
    const n = attr.readUInt32LE(24);
    return Array.from({ length: n }, (_, i) => ids.readUInt32LE(i * 4));
  }
  throw new TsrunError(`bpf(BPF_PROG_QUERY) on ${dir}: the list of device programs kept changing`);
}

/** Device-filter program ids attached to a cgroup2 directory (for tests and diagnostics). */
export function deviceFilterIds(dir: string): number[] {
  const fd = openDir(dir);
  try {
    return queryIds(fd, dir);
  } finally {
    closeSync(fd);
  }
}

function progLoad(insns: Buffer, license: string, log?: Buffer): number {
  const lic = Buffer.from(license + '\0');
  const attr = Buffer.alloc(ATTR_SIZE);
  const k = load().koffi;
  attr.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0); // prog_type
  attr.writeUInt32LE(insns.length / 8, 4); // insn_cnt
  attr.writeBigUInt64LE(k.address(insns), 8); // insns
  attr.writeBigUInt64LE(k.address(lic), 16); // license
  if (log) {
    attr.writeUInt32LE(1, 24); // log_level
    attr.writeUInt32LE(log.length, 28); // log_size
    attr.writeBigUInt64LE(k.address(log), 32); // log_buf
  }
  Buffer.from('tsrun_devices').copy(attr, 48); // prog_name (shows in bpftool)
  return bpf(BPF_PROG_LOAD, attr, 'bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE)');
}

/**
 * Loads insns (struct bpf_insn[]) as the device filter of the cgroup2
 * directory dir, replacing any device filter attached there before.
 */
export function attachDeviceFilter(dir: string, insns: Buffer, license = 'GPL'): void {
  const dirFd = openDir(dir);
  let progFd = -1;
  try {
    const oldIds = queryIds(dirFd, dir);
    try {
      progFd = progLoad(insns, license);
    } catch (err) {
      const errno = (err as BpfError).errnoNumber;
      if (errno !== 13 && errno !== 22) throw err; // EACCES / EINVAL: the verifier said no
      const log = Buffer.alloc(64 * 1024);
      try {
        progFd = progLoad(insns, license, log);
      } catch {
        const text = log.toString('utf8', 0, Math.max(0, log.indexOf(0))).trim();
        throw new BpfError(`${(err as Error).message}; verifier log:\n${text}`, errno);
      }
    }
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(dirFd, 0); // target_fd
    attr.writeUInt32LE(progFd, 4); // attach_bpf_fd
    attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8); // attach_type
    attr.writeUInt32LE(BPF_F_ALLOW_MULTI, 12); // attach_flags
    bpf(BPF_PROG_ATTACH, attr, `bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI) on ${dir}`);
    for (const id of oldIds) detachId(dirFd, dir, id);
  } finally {
    if (progFd >= 0) closeSync(progFd);
    closeSync(dirFd);
  }
}

function detachId(dirFd: number, dir: string, id: number): void {
  const get = Buffer.alloc(ATTR_SIZE);
  get.writeUInt32LE(id, 0); // prog_id
  let fd: number;
  try {
    fd = bpf(BPF_PROG_GET_FD_BY_ID, get, `bpf(BPF_PROG_GET_FD_BY_ID, ${id})`);
  } catch (err) {
    if ((err as BpfError).errnoNumber === 2) return; // ENOENT: already gone
    throw err;
  }
  try {
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(dirFd, 0); // target_fd
    attr.writeUInt32LE(fd, 4); // attach_bpf_fd
    attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8); // attach_type
    bpf(BPF_PROG_DETACH, attr, `bpf(BPF_PROG_DETACH, BPF_CGROUP_DEVICE, prog ${id}) on ${dir}`);
  } finally {
    closeSync(fd);
  }
}
