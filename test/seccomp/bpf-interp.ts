// A classic-BPF interpreter for seccomp programs, written from the kernel's
// rules (linux/filter.h encoding, seccomp_check_filter and
// bpf_check_classic) and independent of the compiler's own constants, so
// the tests check the compiler against a second reading of the ABI.

export interface SeccompData {
  nr: number;
  arch: number;
  ip?: bigint;
  /** Up to six 64-bit arguments; missing ones are 0. */
  args?: (bigint | number)[];
}

export interface Verdict {
  /** The full 32-bit return value. */
  ret: number;
  action: 'KILL_PROCESS' | 'KILL_THREAD' | 'TRAP' | 'ERRNO' | 'USER_NOTIF' | 'TRACE' | 'LOG' | 'ALLOW' | 'UNKNOWN';
  /** The low 16 bits (errno for ERRNO). */
  data: number;
  /** Instructions executed. */
  steps: number;
}

// Instruction classes, sizes, modes, operations (include/uapi/linux/filter.h, bpf_common.h).
const LD = 0x00,
  LDX = 0x01,
  ST = 0x02,
  STX = 0x03,
  ALU = 0x04,
  JMP = 0x05,
  RET = 0x06,
  MISC = 0x07;
const W = 0x00,
  ABS = 0x20,
  IMM = 0x00,
  MEM = 0x60,
  LEN = 0x80;
const SRC_X = 0x08,
  RVAL_A = 0x10;
const JA = 0x00,
  JEQ = 0x10,
  JGT = 0x20,
  JGE = 0x30,
  JSET = 0x40;
const SECCOMP_DATA_SIZE = 64;

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export function decode(prog: Buffer): Insn[] {
  if (prog.length % 8 !== 0) throw new Error('program length is not a multiple of 8');
  const out: Insn[] = [];
  for (let o = 0; o < prog.length; o += 8) out.push({ code: prog.readUInt16LE(o), jt: prog[o + 2], jf: prog[o + 3], k: prog.readUInt32LE(o + 4) });
  return out;
}

/** The kernel's load-time checks; throws what it would refuse. */
export function validate(prog: Buffer): Insn[] {
  const insns = decode(prog);
  const n = insns.length;
  if (n === 0 || n > 4096) throw new Error(`bad program length ${n}`);
  insns.forEach((i, pc) => {
    const cls = i.code & 0x07;
    switch (cls) {
      case LD:
        if (i.code === (LD | W | ABS)) {
          if (i.k >= SECCOMP_DATA_SIZE || i.k & 3) throw new Error(`pc ${pc}: bad load offset ${i.k}`);
        } else if (![LD | W | LEN, LD | IMM, LD | MEM].includes(i.code)) throw new Error(`pc ${pc}: load 0x${i.code.toString(16)} not allowed`);
        if ((i.code & 0xe0) === MEM && i.k >= 16) throw new Error(`pc ${pc}: bad scratch slot`);
        break;
      case LDX:
        if (![LDX | W | LEN, LDX | IMM, LDX | MEM].includes(i.code)) throw new Error(`pc ${pc}: ldx 0x${i.code.toString(16)} not allowed`);
        break;
      case ST:
      case STX:
        if (i.k >= 16) throw new Error(`pc ${pc}: bad scratch slot`);
        break;
      case ALU:
        if ((i.code & 0xf0) === 0x30 && !(i.code & SRC_X) && i.k === 0) throw new Error(`pc ${pc}: division by zero`);
        break;
      case JMP:
        if ((i.code & 0xf0) === JA) {
          if (i.k >= n - pc - 1) throw new Error(`pc ${pc}: ja out of range`);
        } else if (pc + i.jt + 1 >= n || pc + i.jf + 1 >= n) throw new Error(`pc ${pc}: jump out of range`);
        break;
      case RET:
      case MISC:
        break;
    }
  });
  const last = insns[n - 1].code;
  if (last !== (RET | 0x00) && last !== (RET | RVAL_A)) throw new Error('program does not end with a return');
  return insns;
}

function dataBytes(d: SeccompData): Buffer {
  const b = Buffer.alloc(SECCOMP_DATA_SIZE);
  b.writeUInt32LE(d.nr >>> 0, 0);
  b.writeUInt32LE(d.arch >>> 0, 4);
  b.writeBigUInt64LE(d.ip ?? 0n, 8);
  (d.args ?? []).forEach((a, i) => b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 16 + 8 * i));
  return b;
}

export function actionOf(ret: number): Verdict['action'] {
  switch ((ret & 0xffff0000) >>> 0) {
    case 0x80000000:
      return 'KILL_PROCESS';
    case 0x00000000:
      return 'KILL_THREAD';
    case 0x00030000:
      return 'TRAP';
    case 0x00050000:
      return 'ERRNO';
    case 0x7fc00000:
      return 'USER_NOTIF';
    case 0x7ff00000:
      return 'TRACE';
    case 0x7ffc0000:
      return 'LOG';
    case 0x7fff0000:
      return 'ALLOW';
  }
  return 'UNKNOWN';
}

/** Runs a (validated) program on one syscall. */
export function run(prog: Buffer | Insn[], d: SeccompData): Verdict {
  const insns = Array.isArray(prog) ? prog : validate(prog);
  const data = dataBytes(d);
  const mem = new Uint32Array(16);
  let A = 0,
    X = 0,
    pc = 0,
    steps = 0;
  for (;;) {
    if (pc >= insns.length) throw new Error('fell off the end of the program');
    const i = insns[pc++];
    steps++;
    const cls = i.code & 0x07;
    const src = i.code & SRC_X ? X : i.k;
    switch (cls) {
      case LD:
        if ((i.code & 0xe0) === ABS) A = data.readUInt32LE(i.k);
        else if ((i.code & 0xe0) === LEN) A = SECCOMP_DATA_SIZE;
        else if ((i.code & 0xe0) === MEM) A = mem[i.k];
        else A = i.k;
        break;
      case LDX:
        if ((i.code & 0xe0) === LEN) X = SECCOMP_DATA_SIZE;
        else if ((i.code & 0xe0) === MEM) X = mem[i.k];
        else X = i.k;
        break;
      case ST:
        mem[i.k] = A;
        break;
      case STX:
        mem[i.k] = X;
        break;
      case ALU:
        switch (i.code & 0xf0) {
          case 0x00:
            A = (A + src) >>> 0;
            break;
          case 0x10:
            A = (A - src) >>> 0;
            break;
          case 0x20:
            A = Number((BigInt(A) * BigInt(src)) & 0xffffffffn);
            break;
          case 0x30:
            A = src === 0 ? 0 : Math.floor(A / src);
            break;
          case 0x40:
            A = (A | src) >>> 0;
            break;
          case 0x50:
            A = (A & src) >>> 0;
            break;
          case 0x60:
            A = src >= 32 ? 0 : (A << src) >>> 0;
            break;
          case 0x70:
            A = src >= 32 ? 0 : A >>> src;
            break;
          case 0x80:
            A = -A >>> 0;
            break;
          case 0x90:
            A = src === 0 ? 0 : A % src;
            break;
          case 0xa0:
            A = (A ^ src) >>> 0;
            break;
          default:
            throw new Error(`pc ${pc - 1}: bad alu op`);
        }
        break;
      case JMP: {
        const op = i.code & 0xf0;
        if (op === JA) {
          pc += i.k;
          break;
        }
        let c: boolean;
        if (op === JEQ) c = A === src;
        else if (op === JGT) c = A > src;
        else if (op === JGE) c = A >= src;
        else if (op === JSET) c = (A & src) !== 0;
        else throw new Error(`pc ${pc - 1}: bad jump op`);
        pc += c ? i.jt : i.jf;
        break;
      }
      case RET: {
        const ret = (i.code & RVAL_A ? A : i.k) >>> 0;
        return { ret, action: actionOf(ret), data: ret & 0xffff, steps };
      }
      case MISC:
        if (i.code & 0x80) A = X;
        else X = A;
        break;
    }
  }
}
