// Emits the code for one AUDIT_ARCH_* section of the filter.
//
// The syscall number space 0..2^32-1 is cut into intervals that share one
// outcome (a return value, or a block of argument tests), and a binary
// search over the interval starts (one `jge` per node) picks the outcome.
// An allow-list has long runs of allowed numbers, so a Docker-like profile
// needs about a hundred intervals per ABI and a syscall is decided after
// ~7 comparisons. The tree loads only nr, so the kernel's per-syscall action
// cache can still mark plainly allowed syscalls as always allowed.
//
// Numbers above the highest one the profile names get ENOSYS when the
// default action would refuse them (runc's "-ENOSYS stub"), so a program
// can fall back from a syscall newer than its profile. Here that is just
// one more interval at the top of each ABI's range.
import { FAIL, PASS, foldCmp, type Outcome, type Step } from './args.js';
import { ABI_RANGE, abiColumn, type Abi, type ArchSection } from './arch.js';
import { OP, type Assembler, type Label } from './bpf.js';
import { AUDIT_ARCH, SECCOMP, SYSCALLS, X32_SYSCALL_BIT } from './generated/syscalls.js';
import { ENOSYS, type Profile, type Rule } from './rules.js';

/** A rule after folding for one argument width; no cmps: always matches. */
interface WRule {
  ret: number;
  cmps: Step[][];
  key: string;
}

interface Entry {
  cond: WRule[];
  uncond: number | undefined;
}

/** The rules of one ABI, by syscall number: slots[nr - base]. Dense, so no sorting. */
export interface AbiRules {
  base: number;
  slots: (Entry | undefined)[];
  /** The highest number the profile names on this ABI; -1 when none. */
  max: number;
}

/** What all sections of one compilation share. */
export interface CodegenContext {
  profile: Profile;
  badArchRet: number;
  warnings: Set<string>;
  byAbi: Map<Abi, AbiRules>;
}

const NR_OFF = 0; // offsetof(struct seccomp_data, nr)
const ENOSYS_RET = (SECCOMP.RET_ERRNO | ENOSYS) >>> 0;

function fold(rule: Rule, wide: boolean): WRule | null {
  const cmps: Step[][] = [];
  for (const c of rule.cmps) {
    const f = foldCmp(c, wide);
    if (f === false) return null;
    if (f !== true) cmps.push(f);
  }
  const key = `${rule.ret}:${cmps.map((s) => s.map((x) => `${x.off},${x.mask},${x.op},${x.k},${x.t},${x.f}`).join(';')).join('&')}`;
  return { ret: rule.ret, cmps, key };
}

/**
 * Resolves every name once (one lookup gives its number on each ABI) and
 * files the rules under each compiled ABI's syscall numbers. Returns, per
 * entry of linux.seccomp.syscalls, the names no table knows.
 */
export function collect(profile: Profile, abis: Abi[], warnings: Set<string>): { byAbi: Map<Abi, AbiRules>; unknown: Map<number, string[]> } {
  // Indexed loops: this runs once per `tsrun create`, mostly as cold code,
  // where for-of and callbacks cost more than the work itself.
  const n = abis.length;
  const cols: number[] = [];
  const wide: boolean[] = [];
  const out: AbiRules[] = [];
  for (let a = 0; a < n; a++) {
    const c = abiColumn(abis[a]);
    const [lo, hi] = ABI_RANGE[c];
    cols.push(c);
    wide.push(abis[a] !== 'x86'); // i386 arguments are 32 bits
    out.push({ base: lo, slots: new Array<Entry | undefined>(hi - lo + 1).fill(undefined), max: -1 });
  }
  const unknown = new Map<number, string[]>();
  const rules = profile.rules;
  for (let ri = 0; ri < rules.length; ri++) {
    const rule = rules[ri];
    const names = rule.names;
    const plain = rule.cmps.length === 0;
    let narrowRule: WRule | null | undefined;
    let wideRule: WRule | null | undefined;
    for (let ni = 0; ni < names.length; ni++) {
      const name = names[ni];
      const row = SYSCALLS.get(name);
      if (row === undefined) {
        const u = unknown.get(rule.entry);
        if (!u) unknown.set(rule.entry, [name]);
        else if (!u.includes(name)) u.push(name);
        continue;
      }
      for (let a = 0; a < n; a++) {
        const nr = row[cols[a]];
        if (nr < 0) continue;
        const r = out[a];
        if (nr > r.max) r.max = nr;
        let e = r.slots[nr - r.base];
        if (e === undefined) r.slots[nr - r.base] = e = { cond: [], uncond: undefined };
        if (plain) {
          if (e.uncond === undefined) e.uncond = rule.ret;
          else if (e.uncond !== rule.ret) warnings.add(`${rule.where}: ${name} already has an unconditional rule with another action; the first one applies`);
          continue;
        }
        let f: WRule | null;
        if (wide[a]) f = wideRule === undefined ? (wideRule = fold(rule, true)) : wideRule;
        else f = narrowRule === undefined ? (narrowRule = fold(rule, false)) : narrowRule;
        if (f && e.cond[e.cond.length - 1] !== f) e.cond.push(f); // a name listed twice: once
      }
    }
  }
  const byAbi = new Map<Abi, AbiRules>();
  for (let a = 0; a < n; a++) byAbi.set(abis[a], out[a]);
  return { byAbi, unknown };
}

export function emitSection(asm: Assembler, sec: ArchSection, ctx: CodegenContext): void {
  const p = ctx.profile;
  const rets = new Map<number, Label>();
  const retLabel = (v: number): Label => {
    let l = rets.get(v);
    if (l === undefined) rets.set(v, (l = asm.label()));
    return l;
  };
  const chains = new Map<string, { label: Label; rules: WRule[]; fallback: number }>();
  const defaultLabel = retLabel(p.defaultRet);

  // Intervals as their start and outcome; each ends where the next starts.
  const starts: number[] = [];
  const targets: Label[] = [];
  const push = (lo: number, target: Label) => {
    if (targets.length && targets[targets.length - 1] === target) return;
    starts.push(lo);
    targets.push(target);
  };

  const targetOf = (e: Entry): Label => {
    let fallback = e.uncond ?? p.defaultRet;
    if (e.cond.length === 0) return fallback === p.defaultRet ? defaultLabel : retLabel(fallback);
    let rules = e.cond;
    const always = rules.findIndex((r) => r.cmps.length === 0);
    if (always >= 0) {
      fallback = rules[always].ret;
      rules = rules.slice(0, always);
    }
    let n = rules.length;
    while (n > 0 && rules[n - 1].ret === fallback) n--; // they change nothing
    if (n === 0) return retLabel(fallback);
    rules = rules.slice(0, n);
    const key = `${rules.map((r) => r.key).join('|')}>${fallback}`;
    let c = chains.get(key);
    if (!c) chains.set(key, (c = { label: asm.label(), rules, fallback }));
    return c.label;
  };

  const region = (abi: Abi | null, lo: number, hi: number) => {
    if (abi === null) return push(lo, retLabel(ctx.badArchRet));
    const { base, slots, max } = ctx.byAbi.get(abi) as AbiRules;
    let cur = lo;
    for (let i = 0; i < slots.length; i++) {
      const e = slots[i];
      if (e === undefined) continue;
      const nr = base + i;
      if (nr < lo || nr > hi) continue; // cannot happen with the kernel's tables
      const t = targetOf(e);
      if (t === defaultLabel) continue;
      if (nr > cur) push(cur, defaultLabel);
      push(nr, t);
      cur = nr + 1;
    }
    if (p.enosysAboveKnown && max >= 0 && max < hi) {
      if (cur <= max) push(cur, defaultLabel);
      push(max + 1, retLabel(ENOSYS_RET));
    } else if (cur <= hi) push(cur, defaultLabel);
  };

  if (sec.audit === AUDIT_ARCH.X86_64) {
    // Below bit 30: x86_64 calls; from it up: x32 calls, or a foreign ABI
    // when x32 is not listed (libseccomp also splits at 0x40000000).
    region('x86_64', 0, X32_SYSCALL_BIT - 1);
    region(sec.abis.includes('x32') ? 'x32' : null, X32_SYSCALL_BIT, 0xffffffff);
  } else region(sec.abis[0], 0, 0xffffffff);

  asm.load(NR_OFF);
  emitTree(asm, starts, targets, 0, starts.length - 1);
  for (const c of chains.values()) {
    asm.bind(c.label);
    emitChain(asm, c.rules, c.fallback, retLabel);
  }
  for (const [v, l] of rets) {
    asm.bind(l);
    asm.ret(v);
  }
}

/** Binary search over intervals lo..hi: each node sends A >= start(mid) right. */
function emitTree(asm: Assembler, starts: number[], targets: Label[], lo: number, hi: number): void {
  if (lo === hi) return asm.jump(targets[lo]);
  const mid = (lo + hi + 1) >> 1;
  const left = mid - 1 === lo ? targets[lo] : asm.label();
  const right = mid === hi ? targets[hi] : asm.label();
  asm.branch(OP.JGE, starts[mid], right, left);
  if (mid - 1 > lo) {
    asm.bind(left);
    emitTree(asm, starts, targets, lo, mid - 1);
  }
  if (hi > mid) {
    asm.bind(right);
    emitTree(asm, starts, targets, mid, hi);
  }
}

/** Rules in order; the first whose comparisons all pass returns its action. */
function emitChain(asm: Assembler, rules: WRule[], fallback: number, retLabel: (v: number) => Label): void {
  rules.forEach((rule, r) => {
    const lastRule = r === rules.length - 1;
    const fail = lastRule ? retLabel(fallback) : asm.label();
    const pass = retLabel(rule.ret);
    rule.cmps.forEach((steps, c) => {
      const lastCmp = c === rule.cmps.length - 1;
      const cmpPass = lastCmp ? pass : asm.label();
      emitSteps(asm, steps, cmpPass, fail);
      if (!lastCmp) asm.bind(cmpPass);
    });
    if (!lastRule) asm.bind(fail);
  });
}

function emitSteps(asm: Assembler, steps: Step[], pass: Label, fail: Label): void {
  let inA = -1; // offset of the unmasked word A holds, -1 when unknown
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const next = i < steps.length - 1 ? asm.label() : -1;
    const to = (o: Outcome): Label => (o === PASS ? pass : o === FAIL ? fail : next);
    if (s.t === s.f) {
      asm.jump(to(s.t)); // decided at compile time (see foldCmp)
      return;
    }
    if (inA !== s.off) {
      asm.load(s.off);
      inA = s.off;
    }
    if (s.mask !== null) {
      asm.and(s.mask);
      inA = -1;
    }
    asm.branch(s.op, s.k, to(s.t), to(s.f));
    if (next !== -1) asm.bind(next);
  }
}
