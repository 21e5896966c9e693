// The shape of runc's stats event data (runc types/events.go), shared by the
// v1 and v2 readers.
export interface PsiData {
  avg10: number;
  avg60: number;
  avg300: number;
  total: number;
}
export interface PsiStats {
  some?: PsiData;
  full?: PsiData;
}
export interface MemoryEntry {
  limit: number;
  usage?: number;
  max?: number;
  failcnt: number;
}
export interface BlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: number;
}
export interface RuncStats {
  cpu: {
    usage: { total?: number; percpu?: number[]; percpu_kernel?: number[]; percpu_user?: number[]; kernel: number; user: number };
    throttling: { periods?: number; throttledPeriods?: number; throttledTime?: number };
    psi?: PsiStats;
  };
  cpuset: {
    cpus?: number[];
    cpu_exclusive: number;
    mems?: number[];
    mem_hardwall: number;
    mem_exclusive: number;
    memory_migrate: number;
    memory_spread_page: number;
    memory_spread_slab: number;
    memory_pressure: number;
    sched_load_balance: number;
    sched_relax_domain_level: number;
  };
  memory: {
    cache?: number;
    usage: MemoryEntry;
    swap: MemoryEntry;
    kernel: MemoryEntry;
    kernelTCP: MemoryEntry;
    raw?: Record<string, number>;
    psi?: PsiStats;
  };
  pids: { current?: number; limit?: number };
  blkio: {
    ioServiceBytesRecursive?: BlkioEntry[];
    ioServicedRecursive?: BlkioEntry[];
    ioQueueRecursive?: BlkioEntry[];
    ioServiceTimeRecursive?: BlkioEntry[];
    ioWaitTimeRecursive?: BlkioEntry[];
    ioMergedRecursive?: BlkioEntry[];
    ioTimeRecursive?: BlkioEntry[];
    sectorsRecursive?: BlkioEntry[];
    psi?: PsiStats;
  };
  hugetlb: Record<string, { usage?: number; max?: number; failcnt: number }>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

/** An empty stats object, every non-omitempty field present (as runc prints it). */
export function emptyStats(): RuncStats {
  const mem = (): MemoryEntry => ({ limit: 0, failcnt: 0 });
  return {
    cpu: { usage: { kernel: 0, user: 0 }, throttling: {} },
    cpuset: {
      cpu_exclusive: 0,
      mem_hardwall: 0,
      mem_exclusive: 0,
      memory_migrate: 0,
      memory_spread_page: 0,
      memory_spread_slab: 0,
      memory_pressure: 0,
      sched_load_balance: 0,
      sched_relax_domain_level: 0,
    },
    memory: { usage: mem(), swap: mem(), kernel: mem(), kernelTCP: mem() },
    pids: {},
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** Sets obj[key] only when value is non-zero / non-empty (runc's omitempty). */
export function setNZ<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value === undefined || value === 0 || (Array.isArray(value) && value.length === 0)) return;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) return;
  obj[key] = value;
}
