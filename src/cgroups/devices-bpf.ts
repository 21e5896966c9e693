// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program built
// from linux.resources.devices, with the semantics of runc's
// libcontainer/cgroups/devices/devicefilter.go (itself from crun's ebpf.c):
//
//   1. The rules go through the v1 emulator (devices.ts), so v2 behaves as
//      v1 would, including refusing to "punch holes" in wildcard rules. That
//      leaves a default (allow or deny) and exceptions that all have the
//      opposite action, so their order does not matter.
//   2. The program loads the context (struct bpf_cgroup_dev_ctx: u32
//      access_type = type | access << 16, u32 major, u32 minor) into R2..R5,
//      then has one block per exception: on a match it returns the
//      exception's verdict, otherwise it jumps to the next block. The last
//      block returns the default. Returning 1 allows the access, 0 denies it
//      (EPERM to the caller).
//   3. What "match" means on access follows the v1 kernel
//      (security/device_cgroup.c): an allow exception must cover every
//      requested bit (match_exception), a deny exception matches when it
//      shares any bit with the request (match_exception_partial). runc's
//      program uses the subset test for both, so under an allow-all default
//      with "deny w" it lets an O_RDWR open through; we deny it, as v1 does.
//
// Output is the raw instruction array (8 bytes per struct bpf_insn, host
// little-endian) that BPF_PROG_LOAD takes as attr.insns.
import { DeviceEmulator, type DeviceRule } from './devices.js';

// struct bpf_insn opcodes used here (include/uapi/linux/bpf.h, bpf_common.h).
const LDX_MEM_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
const ALU32_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K: dst &= imm (32-bit)
const ALU32_RSH_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K: dst >>= imm (32-bit)
const ALU32_MOV_X = 0xbc; // BPF_ALU | BPF_MOV | BPF_X: dst = src (32-bit)
const ALU32_MOV_K = 0xb4; // BPF_ALU | BPF_MOV | BPF_K: dst = imm (32-bit)
const JNE_K = 0x55; // BPF_JMP | BPF_JNE | BPF_K: if dst != imm goto pc + off
const JNE_X = 0x5d; // BPF_JMP | BPF_JNE | BPF_X: if dst != src goto pc + off
const JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K: if dst == imm goto pc + off
const EXIT = 0x95; // BPF_JMP | BPF_EXIT: return R0

/** BPF_DEVCG_DEV_* and BPF_DEVCG_ACC_* (the kernel's encoding of the request). */
export const DEVCG = { DEV_BLOCK: 1, DEV_CHAR: 2, ACC_MKNOD: 1, ACC_READ: 2, ACC_WRITE: 4 } as const;

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** The license string BPF_PROG_LOAD gets; no GPL-only helper is used, any string works. */
export const DEVICE_FILTER_LICENSE = 'GPL';

function accessBits(access: string): number {
  let bits = 0;
  if (access.includes('r')) bits |= DEVCG.ACC_READ;
  if (access.includes('w')) bits |= DEVCG.ACC_WRITE;
  if (access.includes('m')) bits |= DEVCG.ACC_MKNOD;
  return bits;
}

/** The device-filter program for these rules, as instructions. */
export function deviceFilterInsns(rules: DeviceRule[]): BpfInsn[] {
  const emu = DeviceEmulator.from(rules);
  const insns: BpfInsn[] = [];
  const ins = (code: number, dst: number, src: number, off: number, imm: number) => insns.push({ code, dst, src, off, imm });

  // R2 = type (low 16 bits of access_type), R3 = access (high 16 bits), R4 = major, R5 = minor.
  ins(LDX_MEM_W, 2, 1, 0, 0);
  ins(ALU32_AND_K, 2, 0, 0, 0xffff);
  ins(LDX_MEM_W, 3, 1, 0, 0);
  ins(ALU32_RSH_K, 3, 0, 0, 16);
  ins(LDX_MEM_W, 4, 1, 4, 0);
  ins(LDX_MEM_W, 5, 1, 8, 0);

  for (const r of emu.exceptions()) {
    // Each block ends with "mov r0, verdict; exit"; its jumps skip to the next
    // block, so they are patched once the block's length is known.
    const jumps: number[] = [];
    const jumpToNext = (code: number, dst: number, src: number, imm: number) => {
      jumps.push(insns.length);
      ins(code, dst, src, 0, imm);
    };
    jumpToNext(JNE_K, 2, 0, r.type === 'b' ? DEVCG.DEV_BLOCK : DEVCG.DEV_CHAR);
    const bits = accessBits(r.access);
    // With all of rwm in the rule, any request matches either way.
    if (bits !== (DEVCG.ACC_READ | DEVCG.ACC_WRITE | DEVCG.ACC_MKNOD)) {
      // R1 (the context pointer) is no longer needed, so it is the scratch register.
      ins(ALU32_MOV_X, 1, 3, 0, 0);
      ins(ALU32_AND_K, 1, 0, 0, bits);
      // allow: every requested bit in the rule, (R3 & bits) == R3;
      // deny: some requested bit in the rule, (R3 & bits) != 0.
      if (r.allow) jumpToNext(JNE_X, 1, 3, 0);
      else jumpToNext(JEQ_K, 1, 0, 0);
    }
    if (r.major >= 0) jumpToNext(JNE_K, 4, 0, r.major | 0);
    if (r.minor >= 0) jumpToNext(JNE_K, 5, 0, r.minor | 0);
    ins(ALU32_MOV_K, 0, 0, 0, r.allow ? 1 : 0);
    ins(EXIT, 0, 0, 0, 0);
    const next = insns.length;
    for (const j of jumps) insns[j].off = next - (j + 1);
  }
  ins(ALU32_MOV_K, 0, 0, 0, emu.defaultAllow ? 1 : 0);
  ins(EXIT, 0, 0, 0, 0);
  return insns;
}

/** Encodes instructions as struct bpf_insn[] (little-endian, as on x86-64 and arm64). */
export function encodeInsns(insns: BpfInsn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((i, n) => {
    buf.writeUInt8(i.code, n * 8);
    buf.writeUInt8((i.src << 4) | i.dst, n * 8 + 1);
    buf.writeInt16LE(i.off, n * 8 + 2);
    buf.writeInt32LE(i.imm | 0, n * 8 + 4);
  });
  return buf;
}

/** The program bytes for BPF_PROG_LOAD. */
export function deviceFilterProgram(rules: DeviceRule[]): Buffer {
  return encodeInsns(deviceFilterInsns(rules));
}
