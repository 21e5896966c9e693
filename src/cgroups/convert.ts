// The runtime-spec describes resources in cgroup v1 terms; these are the
// conversions runc (opencontainers/cgroups utils.go, runc >= 1.3.2) applies
// on cgroup v2, so the same config.json gives the same limits as under runc.

/**
 * cpu.shares [2, 262144] -> cpu.weight [1, 10000]. runc >= 1.3.2 uses a
 * quadratic fit in log2 space that maps the three landmarks exactly: 2 -> 1,
 * 1024 (the v1 default) -> 100 (the v2 default), 262144 -> 10000. (Older
 * runc used the linear 1 + (shares - 2) * 9999 / 262142, which gave 39 for
 * the default 1024.) 0 means unset.
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(10 ** exponent);
}

/** blkio.weight [10, 1000] -> io.weight [1, 10000], linearly; 0 means unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * memory.swap in the spec is memory+swap (v1 memsw); v2's memory.swap.max is
 * swap alone, so it is swap - limit. Returns the value to write, or undefined
 * for nothing to write. Mirrors ConvertMemorySwapToCgroupV2Value:
 *   limit -1 and swap unset   -> "max" (both unlimited)
 *   swap -1                   -> "max"
 *   limit -1                  -> swap as is
 *   limit unset               -> error: cannot compute
 *   swap < limit              -> error
 *   swap == limit             -> "0" (no swap)
 */
export function swapToV2(swap: number | undefined, limit: number | undefined): { value?: string; error?: string } {
  const s = swap ?? 0;
  const m = limit ?? 0;
  if (m === -1 && s === 0) return { value: 'max' };
  if (s === -1) return { value: 'max' };
  if (s === 0) return {};
  if (m === -1) return { value: String(s) };
  if (m === 0) return { error: 'cannot set a swap limit without a memory limit on cgroup v2 (memory.swap.max is swap only)' };
  if (m < 0) return { error: `invalid memory limit ${m}` };
  if (s < m) return { error: `memory+swap limit ${s} is lower than the memory limit ${m}` };
  return { value: String(s - m) };
}

/** "2MB" -> 2097152 per the spec (1024-based, <size><K|M|G|T|P>B). */
export function pageSizeBytes(pageSize: string): number | undefined {
  const m = /^(\d+)([KMGTP])B$/.exec(pageSize);
  if (!m) return undefined;
  return Number(m[1]) * 1024 ** ('KMGTP'.indexOf(m[2]) + 1);
}

/** The hugetlb file name part for a size in kB, as the kernel names it (2048 -> "2MB", 1048576 -> "1GB"). */
export function hugePageName(kB: number): string {
  if (kB >= 1 << 20) return `${kB >> 20}GB`;
  if (kB >= 1 << 10) return `${kB >> 10}MB`;
  return `${kB}KB`;
}
