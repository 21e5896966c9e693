// What a profile should do to one syscall, computed straight from the
// documented semantics with BigInt arithmetic and no BPF at all. The unit
// tests compare the compiled program, run in bpf-interp.ts, against this.
//
//  - architectures: the native one plus the listed ones this host runs;
//    anything else gets KILL_THREAD (libseccomp's default bad-arch action).
//    On x86_64 a number with bit 30 set is an x32 call.
//  - for one syscall: the first conditional rule (in profile order) whose
//    comparisons all hold decides, then the first unconditional rule, then
//    the default action. A rule comparing one argument twice is split into
//    one rule per comparison (runc).
//  - unless the default action is ALLOW, LOG or TRACE, numbers above the
//    highest one the profile names on that ABI return ENOSYS.
import { constants } from 'node:os';
import { syscallNumber, type Abi, type NativeArch } from '../../src/seccomp/arch.js';
import { AUDIT_ARCH } from '../../src/seccomp/generated/syscalls.js';
import type { Seccomp } from '../../src/spec/types.js';

const { EPERM, ENOSYS } = constants.errno;
const X32_BIT = 0x40000000;

const RET: Record<string, number> = {
  SCMP_ACT_KILL: 0,
  SCMP_ACT_KILL_THREAD: 0,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
  SCMP_ACT_NOTIFY: 0x7fc00000,
};

export function retOf(action: string, errnoRet?: number): number {
  const base = RET[action];
  if (action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE') return (base | (errnoRet ?? EPERM)) >>> 0;
  return base;
}

function holds(op: string, a: bigint, v: bigint, v2: bigint): boolean {
  switch (op) {
    case 'SCMP_CMP_NE':
      return a !== v;
    case 'SCMP_CMP_LT':
      return a < v;
    case 'SCMP_CMP_LE':
      return a <= v;
    case 'SCMP_CMP_EQ':
      return a === v;
    case 'SCMP_CMP_GE':
      return a >= v;
    case 'SCMP_CMP_GT':
      return a > v;
    case 'SCMP_CMP_MASKED_EQ':
      return (a & v) === v2;
  }
  throw new Error(op);
}

/** Which ABI a call (arch, nr) is, or null for one the filter does not cover. */
export function abiOf(profile: Seccomp, native: NativeArch, arch: number, nr: number): Abi | null {
  const listed = new Set<string>(profile.architectures ?? []);
  listed.add(native === 'x86_64' ? 'SCMP_ARCH_X86_64' : 'SCMP_ARCH_AARCH64');
  if (native === 'x86_64') {
    if (arch === AUDIT_ARCH.X86_64) {
      if (nr >>> 0 >= X32_BIT) return listed.has('SCMP_ARCH_X32') ? 'x32' : null;
      return 'x86_64';
    }
    if (arch === AUDIT_ARCH.I386) return listed.has('SCMP_ARCH_X86') ? 'x86' : null;
    return null;
  }
  return arch === AUDIT_ARCH.AARCH64 ? 'aarch64' : null;
}

export function expected(profile: Seccomp, native: NativeArch, arch: number, nr: number, args: bigint[] = []): number {
  const abi = abiOf(profile, native, arch, nr);
  if (abi === null) return 0; // KILL_THREAD
  const a = (i: number) => BigInt.asUintN(64, args[i] ?? 0n); // what the kernel stores
  let max = -1;
  const cond: { ret: number; cmps: { index: number; op: string; value: bigint; valueTwo: bigint }[] }[] = [];
  let uncond: number | undefined;
  for (const s of profile.syscalls ?? []) {
    const ret = retOf(s.action, s.errnoRet);
    for (const name of s.names) {
      const n = syscallNumber(abi, name);
      if (n === undefined) continue;
      if (n > max) max = n;
      if (n !== nr >>> 0) continue;
      const cmps = (s.args ?? []).map((c) => ({ index: c.index, op: c.op, value: BigInt(c.value), valueTwo: BigInt(c.valueTwo ?? 0) }));
      if (cmps.length === 0) {
        uncond ??= ret;
        continue;
      }
      const idx = cmps.map((c) => c.index);
      if (new Set(idx).size !== idx.length) for (const c of cmps) cond.push({ ret, cmps: [c] });
      else cond.push({ ret, cmps });
    }
  }
  const d = profile.defaultAction;
  const stub = d !== 'SCMP_ACT_ALLOW' && d !== 'SCMP_ACT_LOG' && d !== 'SCMP_ACT_TRACE';
  if (stub && max >= 0 && nr >>> 0 > max) return (0x00050000 | ENOSYS) >>> 0;
  for (const r of cond) if (r.cmps.every((c) => holds(c.op, a(c.index), c.value, c.valueTwo))) return r.ret;
  return uncond ?? retOf(d, profile.defaultErrnoRet);
}
