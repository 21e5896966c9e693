// Which seccomp architectures a filter covers, and how the kernel names them.
//
// The kernel reports every syscall with an AUDIT_ARCH_* value in
// seccomp_data.arch. x86_64 and x32 share AUDIT_ARCH_X86_64; an x32 call is
// told apart by bit 30 (__X32_SYSCALL_BIT) of the syscall number.
import { ABIS, AUDIT_ARCH, SYSCALLS } from './generated/syscalls.js';
import { TsrunError, configError } from '../errors.js';

export type NativeArch = 'x86_64' | 'aarch64';
/** The ABIs we have syscall tables for. */
export type Abi = (typeof ABIS)[number];

/** Column of an ABI in SYSCALLS' rows. */
export const abiColumn = (abi: Abi): number => ABIS.indexOf(abi);

/** [lowest, highest] syscall number of each ABI column: x32 numbers all carry bit 30. */
export const ABI_RANGE: readonly (readonly [number, number])[] = ABIS.map((_, col) => {
  let lo = Infinity;
  let hi = -1;
  for (const row of SYSCALLS.values()) {
    if (row[col] < 0) continue;
    if (row[col] < lo) lo = row[col];
    if (row[col] > hi) hi = row[col];
  }
  return [lo, hi] as const;
});

/** A syscall's number on an ABI, or undefined. */
export function syscallNumber(abi: Abi, name: string): number | undefined {
  const nr = SYSCALLS.get(name)?.[abiColumn(abi)];
  return nr === undefined || nr < 0 ? undefined : nr;
}

interface ArchInfo {
  /** Our syscall table, or null when we have none (32-bit ARM). */
  abi: Abi | null;
  audit: number;
}

/** The SCMP_ARCH_* names the runtime-spec allows, for those a host of ours can run. */
const KNOWN: Record<string, ArchInfo> = {
  SCMP_ARCH_X86_64: { abi: 'x86_64', audit: AUDIT_ARCH.X86_64 },
  SCMP_ARCH_X86: { abi: 'x86', audit: AUDIT_ARCH.I386 },
  SCMP_ARCH_X32: { abi: 'x32', audit: AUDIT_ARCH.X86_64 },
  SCMP_ARCH_AARCH64: { abi: 'aarch64', audit: AUDIT_ARCH.AARCH64 },
  SCMP_ARCH_ARM: { abi: null, audit: AUDIT_ARCH.ARM },
};

/** Every name the runtime-spec v1.3.0 schema accepts (libseccomp 2.6). */
const SPEC_ARCHES = new Set([
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
]);

/** The ABIs a kernel of this architecture can run: anything else never reaches the filter. */
const RUNNABLE: Record<NativeArch, string[]> = {
  x86_64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  aarch64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
};

const NATIVE_NAME: Record<NativeArch, string> = { x86_64: 'SCMP_ARCH_X86_64', aarch64: 'SCMP_ARCH_AARCH64' };

export function hostArch(): NativeArch {
  if (process.arch === 'x64') return 'x86_64';
  if (process.arch === 'arm64') return 'aarch64';
  throw new TsrunError(`seccomp: unsupported host architecture ${process.arch}`, { code: 'ERR_UNSUPPORTED' });
}

/** One AUDIT_ARCH_* value the filter checks, with the ABIs that arrive under it. */
export interface ArchSection {
  audit: number;
  /** The ABIs compiled into this section (x86_64 and maybe x32 share one). */
  abis: Abi[];
}

/**
 * The sections of the filter, native first (the common path). As with
 * libseccomp, which runc uses, the native architecture is always included
 * and `architectures` only adds to it. Listed architectures this host cannot
 * run are dropped (the kernel never reports them); a runnable one without a
 * syscall table of ours (32-bit ARM) is left out with a warning, so its calls
 * get the bad-architecture action.
 */
export function archSections(listed: readonly string[] | undefined, native: NativeArch, warnings: string[]): ArchSection[] {
  const names = [NATIVE_NAME[native]];
  if (listed !== undefined && !Array.isArray(listed)) throw configError('/linux/seccomp/architectures', 'must be an array');
  (listed ?? []).forEach((name, i) => {
    if (!SPEC_ARCHES.has(name)) throw configError(`/linux/seccomp/architectures/${i}`, `unknown architecture ${JSON.stringify(name)}`);
    if (!RUNNABLE[native].includes(name)) return;
    if (KNOWN[name].abi === null) {
      warnings.push(`/linux/seccomp/architectures/${i}: ${name} is not supported by tsrun's seccomp compiler; its syscalls get the bad-architecture action`);
      return;
    }
    if (!names.includes(name)) names.push(name);
  });
  const sections: ArchSection[] = [];
  for (const name of names) {
    const info = KNOWN[name];
    let s = sections.find((x) => x.audit === info.audit);
    if (!s) sections.push((s = { audit: info.audit, abis: [] }));
    s.abis.push(info.abi as Abi);
  }
  return sections;
}
