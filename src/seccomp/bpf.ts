// A small classic-BPF assembler for seccomp programs.
//
// Code is emitted with symbolic labels and assembled in one go. Classic BPF
// only jumps forward, and a conditional jump reaches at most 255
// instructions ahead (jt and jf are u8). A conditional whose target is
// further away gets a trampoline: an unconditional `ja` (32-bit offset)
// placed right after it. Trampolines shift later code, which can push other
// jumps out of range, so offsets are recomputed until nothing changes; a
// jump only ever goes from short to long, so this ends.
import { BPF } from './generated/syscalls.js';

export type Label = number;

/** One struct sock_filter: u16 code, u8 jt, u8 jf, u32 k, in host byte order (little endian on x86_64 and aarch64). */
export const INSN_SIZE = 8;

export const OP = {
  LD_ABS: BPF.LD | BPF.W | BPF.ABS,
  AND_K: BPF.ALU | BPF.AND | BPF.K,
  JA: BPF.JMP | BPF.JA,
  JEQ: BPF.JMP | BPF.JEQ | BPF.K,
  JGT: BPF.JMP | BPF.JGT | BPF.K,
  JGE: BPF.JMP | BPF.JGE | BPF.K,
  JSET: BPF.JMP | BPF.JSET | BPF.K,
  RET: BPF.RET | BPF.K,
} as const;

export type JumpOp = typeof OP.JEQ | typeof OP.JGT | typeof OP.JGE | typeof OP.JSET;

const NONE = -1;

/**
 * The program under construction, as parallel arrays (no object per
 * instruction: compiling must stay well under a millisecond).
 */
export class Assembler {
  private code: number[] = [];
  private k: number[] = [];
  /** Label ids of a conditional's targets, or of a `ja`'s target in jt; NONE otherwise. */
  private jt: number[] = [];
  private jf: number[] = [];
  /** Instruction index each label is bound to; NONE while unbound. */
  private labelAt: number[] = [];

  get length(): number {
    return this.code.length;
  }

  label(): Label {
    this.labelAt.push(NONE);
    return this.labelAt.length - 1;
  }

  /** The label names the next instruction emitted. */
  bind(l: Label): void {
    if (this.labelAt[l] !== NONE) throw new Error(`bpf: label ${l} bound twice`);
    this.labelAt[l] = this.code.length;
  }

  isBound(l: Label): boolean {
    return this.labelAt[l] !== NONE;
  }

  private push(code: number, k: number, jt: number, jf: number): void {
    this.code.push(code);
    this.k.push(k >>> 0);
    this.jt.push(jt);
    this.jf.push(jf);
  }

  /** A = 32-bit word at offset `off` of struct seccomp_data. */
  load(off: number): void {
    this.push(OP.LD_ABS, off, NONE, NONE);
  }

  and(k: number): void {
    this.push(OP.AND_K, k, NONE, NONE);
  }

  ret(k: number): void {
    this.push(OP.RET, k, NONE, NONE);
  }

  jump(to: Label): void {
    this.push(OP.JA, 0, to, NONE);
  }

  /** if (A op k) goto t else goto f */
  branch(op: JumpOp, k: number, t: Label, f: Label): void {
    this.push(op, k, t, f);
  }

  /** Resolves labels, inserts trampolines and returns the program bytes. */
  assemble(): Buffer {
    const n = this.code.length;
    const { code, k, jt, jf, labelAt } = this;
    const check = (i: number, l: number) => {
      const at = labelAt[l];
      if (at === NONE || at === undefined) throw new Error(`bpf: instruction ${i} jumps to an unbound label`);
      if (at <= i) throw new Error(`bpf: instruction ${i} jumps backwards`);
      if (at >= n) throw new Error(`bpf: instruction ${i} jumps past the end`);
    };
    for (let i = 0; i < n; i++) {
      if (jt[i] !== NONE) check(i, jt[i]);
      if (jf[i] !== NONE) check(i, jf[i]);
    }
    // extra[i]: trampolines after instruction i (bit 1: for jt, bit 2: for jf).
    const extra = new Uint8Array(n);
    const pos = new Int32Array(n + 1);
    for (;;) {
      let p = 0;
      for (let i = 0; i < n; i++) {
        pos[i] = p;
        p += 1 + (extra[i] & 1) + ((extra[i] >> 1) & 1);
      }
      pos[n] = p;
      let changed = false;
      for (let i = 0; i < n; i++) {
        if (code[i] === OP.JA || jt[i] === NONE) continue;
        const from = pos[i] + 1;
        if (!(extra[i] & 1) && pos[labelAt[jt[i]]] - from > 255) {
          extra[i] |= 1;
          changed = true;
        }
        if (!(extra[i] & 2) && pos[labelAt[jf[i]]] - from > 255) {
          extra[i] |= 2;
          changed = true;
        }
      }
      if (!changed) break;
    }
    // Two u32 per instruction in host byte order, which is what the kernel
    // reads (code | jt << 16 | jf << 24, then k): little endian on our hosts.
    const out = new Uint32Array(pos[n] * 2);
    const put = (at: number, c: number, t: number, f: number, kk: number) => {
      out[2 * at] = c | (t << 16) | (f << 24);
      out[2 * at + 1] = kk;
    };
    for (let i = 0; i < n; i++) {
      const at = pos[i];
      if (code[i] === OP.JA) {
        put(at, OP.JA, 0, 0, pos[labelAt[jt[i]]] - (at + 1));
      } else if (jt[i] === NONE) {
        put(at, code[i], 0, 0, k[i]);
      } else {
        let slot = at + 1;
        let t: number, f: number;
        if (extra[i] & 1) {
          t = slot - (at + 1);
          put(slot, OP.JA, 0, 0, pos[labelAt[jt[i]]] - (slot + 1));
          slot++;
        } else t = pos[labelAt[jt[i]]] - (at + 1);
        if (extra[i] & 2) {
          f = slot - (at + 1);
          put(slot, OP.JA, 0, 0, pos[labelAt[jf[i]]] - (slot + 1));
        } else f = pos[labelAt[jf[i]]] - (at + 1);
        put(at, code[i], t, f, k[i]);
      }
    }
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }
}
