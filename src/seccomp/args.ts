// Argument comparisons as steps on 32-bit words.
//
// seccomp_data.args[i] is 64 bits but classic BPF loads 32 at a time, so a
// comparison becomes a few tests on the high word, then the low one, all
// unsigned, as libseccomp does. Each test ends in NEXT (go on with the
// following test), PASS or FAIL. Steps whose outcome is known at compile
// time are folded away: on a 32-bit ABI (i386) the kernel zero-extends the
// arguments, so the high word is 0 there, and a mask of 0 yields 0.
import { OP, type JumpOp } from './bpf.js';
import type { Cmp } from './rules.js';

export const NEXT = 0;
export const PASS = 1;
export const FAIL = 2;
export type Outcome = typeof NEXT | typeof PASS | typeof FAIL;

export interface Step {
  /** Byte offset of the word in struct seccomp_data. */
  off: number;
  /** A &= mask before the test, when not null. */
  mask: number | null;
  op: JumpOp;
  k: number;
  t: Outcome;
  f: Outcome;
}

/** The folded form of a comparison: always true, always false, or steps to run. */
export type Folded = true | false | Step[];

const ARGS_OFF = 16; // offsetof(struct seccomp_data, args): nr, arch, instruction_pointer

function test(op: JumpOp, a: number, k: number): boolean {
  switch (op) {
    case OP.JEQ:
      return a === k;
    case OP.JGT:
      return a > k;
    case OP.JGE:
      return a >= k;
    default:
      return (a & k) !== 0;
  }
}

const swap = (o: Outcome): Outcome => (o === PASS ? FAIL : o === FAIL ? PASS : o);

/** The unfolded steps: high word first, then low word. Little-endian layout. */
function rawSteps(c: Cmp): { hi: boolean; step: Step }[] {
  const lo = ARGS_OFF + 8 * c.index;
  const hi = lo + 4;
  const vh = Number(c.value >> 32n);
  const vl = Number(c.value & 0xffffffffn);
  const s = (isHi: boolean, op: JumpOp, k: number, t: Outcome, f: Outcome, mask: number | null = null) => ({
    hi: isHi,
    step: { off: isHi ? hi : lo, mask, op, k, t, f },
  });
  // hi > vh decides at once; hi == vh defers to the low word; else the other way.
  const order = (loOp: JumpOp) => [
    s(true, OP.JGT, vh, PASS, NEXT),
    ...(vh === 0 ? [] : [s(true, OP.JEQ, vh, NEXT, FAIL)]), // hi <= 0 means hi == 0
    s(false, loOp, vl, PASS, FAIL),
  ];
  const negate = (steps: { hi: boolean; step: Step }[]) => steps.map(({ hi: h, step }) => ({ hi: h, step: { ...step, t: swap(step.t), f: swap(step.f) } }));
  switch (c.op) {
    case 'EQ':
      return [s(true, OP.JEQ, vh, NEXT, FAIL), s(false, OP.JEQ, vl, PASS, FAIL)];
    case 'NE':
      return [s(true, OP.JEQ, vh, NEXT, PASS), s(false, OP.JEQ, vl, FAIL, PASS)];
    case 'GT':
      return order(OP.JGT);
    case 'GE':
      return order(OP.JGE);
    case 'LE':
      return negate(order(OP.JGT));
    case 'LT':
      return negate(order(OP.JGE));
    case 'MASKED_EQ': {
      const mh = Number(c.value >> 32n);
      const ml = Number(c.value & 0xffffffffn);
      const dh = Number(c.valueTwo >> 32n);
      const dl = Number(c.valueTwo & 0xffffffffn);
      const m = (x: number) => (x === 0xffffffff ? null : x);
      return [s(true, OP.JEQ, dh, NEXT, FAIL, m(mh)), s(false, OP.JEQ, dl, PASS, FAIL, m(ml))];
    }
  }
}

/** The outcome of a step known at compile time, or null when it depends on the argument. */
function staticOutcome(step: Step, hi: boolean, wide: boolean): Outcome | null {
  // (A & mask) == k never holds when k has bits outside the mask.
  if (step.mask !== null && step.op === OP.JEQ && (step.k & ~step.mask) !== 0) return step.f;
  if (step.mask === 0 || (hi && !wide)) return test(step.op, 0, step.k) ? step.t : step.f;
  return null;
}

/**
 * Folds a comparison for an ABI whose arguments are 64 bits (`wide`) or
 * 32 bits zero-extended. A step decided at compile time disappears when it
 * leads on (NEXT); when it decides the comparison before any runtime test,
 * the whole comparison is constant; after one, it becomes a plain jump
 * (a step with t === f, which loads nothing).
 */
export function foldCmp(c: Cmp, wide: boolean): Folded {
  const out: Step[] = [];
  for (const { hi, step } of rawSteps(c)) {
    const o = staticOutcome(step, hi, wide);
    if (o === null) {
      out.push(step);
      continue;
    }
    if (o === NEXT) continue;
    if (out.length === 0) return o === PASS;
    out.push({ ...step, mask: null, t: o, f: o });
    break;
  }
  return out.length === 0 ? true : out;
}
