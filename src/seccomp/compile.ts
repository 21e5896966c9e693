// linux.seccomp -> a classic BPF program for seccomp(SECCOMP_SET_MODE_FILTER).
//
// Layout of the program:
//   ld arch; jeq AUDIT_ARCH_<native> ...; jeq <other listed> ...; ret BAD_ARCH
//   per architecture: ld nr; binary search over syscall numbers (codegen.ts);
//                     argument tests; the return instructions
// The executor loads it with OP_SECCOMP (bytes, flags).
import { archSections, hostArch, type NativeArch } from './arch.js';
import { Assembler, INSN_SIZE, OP } from './bpf.js';
import { collect, emitSection, type CodegenContext } from './codegen.js';
import { BPF, SECCOMP } from './generated/syscalls.js';
import { parseProfile } from './rules.js';
import type { Seccomp } from '../spec/types.js';
import { configError } from '../errors.js';

export type { NativeArch };

export interface CompileOptions {
  /** The architecture the filter runs on; defaults to this host's. */
  nativeArch?: NativeArch;
}

export interface CompiledSeccomp {
  /** struct sock_filter[], little endian: OP_SECCOMP's first argument. */
  filter: Buffer;
  /** SECCOMP_FILTER_FLAG_* for seccomp(2): OP_SECCOMP's second argument. */
  flags: number;
  warnings: string[];
  /** SCMP_ACT_NOTIFY is used: seccomp(2) returns a listener fd (FILTER_FLAG_NEW_LISTENER is in flags). */
  notify: boolean;
}

/**
 * What a syscall from an architecture the filter does not cover gets.
 * libseccomp's default bad-architecture action is SCMP_ACT_KILL, which is
 * KILL_THREAD, and runc never changes it; so do we.
 */
export const BAD_ARCH_RET = SECCOMP.RET_KILL_THREAD;

const ARCH_OFF = 4; // offsetof(struct seccomp_data, arch)

/** Compiles a runtime-spec seccomp profile. Throws an Error naming the field on what cannot be compiled. */
export function compileSeccomp(seccomp: Seccomp, opts: CompileOptions = {}): CompiledSeccomp {
  const warnings: string[] = [];
  const profile = parseProfile(seccomp, warnings);
  const sections = archSections(seccomp.architectures, opts.nativeArch ?? hostArch(), warnings);

  const late = new Set<string>();
  const { byAbi, unknown } = collect(
    profile,
    sections.flatMap((s) => s.abis),
    late,
  );
  const ctx: CodegenContext = { profile, badArchRet: BAD_ARCH_RET, warnings: late, byAbi };
  const asm = new Assembler();
  asm.load(ARCH_OFF);
  const starts = sections.map(() => asm.label());
  const bad = asm.label();
  sections.forEach((s, i) => {
    const last = i === sections.length - 1;
    const next = last ? bad : asm.label();
    asm.branch(OP.JEQ, s.audit, starts[i], next);
    if (!last) asm.bind(next);
  });
  asm.bind(bad);
  asm.ret(BAD_ARCH_RET);
  sections.forEach((s, i) => {
    asm.bind(starts[i]);
    emitSection(asm, s, ctx);
  });
  const filter = asm.assemble();

  // Like runc: a name no table of ours knows is skipped, not an error.
  for (const [i, names] of unknown) warnings.push(`/linux/seccomp/syscalls/${i}/names: unknown syscalls skipped: ${names.join(', ')}`);
  warnings.push(...late);

  const n = filter.length / INSN_SIZE;
  if (n > BPF.MAXINSNS) throw configError('/linux/seccomp', `the filter needs ${n} instructions, more than the kernel's limit of ${BPF.MAXINSNS}`);
  return { filter, flags: profile.flags, warnings, notify: profile.notify };
}
