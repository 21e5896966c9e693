// Stats from cgroup v1 files (runc libcontainer/cgroups/fs/*.go GetStats).
import { readdirSync } from 'node:fs';
import { hasFile, parseFlatKeyed, parseU64, readCg, readCgOpt } from './fsutil.js';
import { hugePageName } from './convert.js';
import { emptyStats, setNZ, type BlkioEntry, type MemoryEntry, type RuncStats } from './stats-shape.js';

/** USER_HZ: cpuacct.stat counts in these ticks (100 on every Linux ABI in use). */
const CLOCK_TICKS = 100;

export function statsV1(dirs: Record<string, string>): RuncStats {
  const s = emptyStats();
  if (dirs.cpu) cpu(dirs.cpu, s);
  if (dirs.cpuacct) cpuacct(dirs.cpuacct, s);
  if (dirs.cpuset) cpuset(dirs.cpuset, s);
  if (dirs.memory) memory(dirs.memory, s);
  if (dirs.pids) pids(dirs.pids, s);
  if (dirs.blkio) blkio(dirs.blkio, s);
  if (dirs.hugetlb) hugetlb(dirs.hugetlb, s);
  return s;
}

const nums = (text: string) => text.trim().split(/\s+/).filter(Boolean).map(Number);

function cpu(dir: string, s: RuncStats): void {
  const st = parseFlatKeyed(readCgOpt(dir, 'cpu.stat') ?? '');
  setNZ(s.cpu.throttling, 'periods', st.nr_periods);
  setNZ(s.cpu.throttling, 'throttledPeriods', st.nr_throttled);
  setNZ(s.cpu.throttling, 'throttledTime', st.throttled_time);
}

function cpuacct(dir: string, s: RuncStats): void {
  const u = s.cpu.usage;
  setNZ(u, 'total', parseU64(readCg(dir, 'cpuacct.usage')));
  setNZ(u, 'percpu', nums(readCg(dir, 'cpuacct.usage_percpu')));
  const st = parseFlatKeyed(readCg(dir, 'cpuacct.stat'));
  u.kernel = ((st.system ?? 0) * 1e9) / CLOCK_TICKS;
  u.user = ((st.user ?? 0) * 1e9) / CLOCK_TICKS;
  // cpuacct.usage_all: "cpu user system" then one line per cpu (Linux >= 4.7).
  const all = readCgOpt(dir, 'cpuacct.usage_all');
  if (all) {
    const rows = all.trim().split('\n').slice(1).map(nums);
    setNZ(
      u,
      'percpu_kernel',
      rows.map((r) => r[2]),
    );
    setNZ(
      u,
      'percpu_user',
      rows.map((r) => r[1]),
    );
  }
}

/** "0-2,5" -> [0, 1, 2, 5]. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

function cpuset(dir: string, s: RuncStats): void {
  const c = s.cpuset;
  const num = (file: string) => {
    const t = readCgOpt(dir, file);
    return t === undefined ? 0 : Number(t.trim());
  };
  setNZ(c, 'cpus', parseCpuList(readCgOpt(dir, 'cpuset.cpus') ?? ''));
  setNZ(c, 'mems', parseCpuList(readCgOpt(dir, 'cpuset.mems') ?? ''));
  c.cpu_exclusive = num('cpuset.cpu_exclusive');
  c.mem_hardwall = num('cpuset.mem_hardwall');
  c.mem_exclusive = num('cpuset.mem_exclusive');
  c.memory_migrate = num('cpuset.memory_migrate');
  c.memory_spread_page = num('cpuset.memory_spread_page');
  c.memory_spread_slab = num('cpuset.memory_spread_slab');
  c.memory_pressure = num('cpuset.memory_pressure');
  c.sched_load_balance = num('cpuset.sched_load_balance');
  c.sched_relax_domain_level = num('cpuset.sched_relax_domain_level');
}

/** memory.<name>.{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes}; zeros when the kernel lacks them. */
function memData(dir: string, name: string): MemoryEntry {
  const prefix = name ? `memory.${name}.` : 'memory.';
  const e: MemoryEntry = { limit: 0, failcnt: 0 };
  if (!hasFile(dir, `${prefix}usage_in_bytes`)) return e;
  e.limit = parseU64(readCg(dir, `${prefix}limit_in_bytes`));
  setNZ(e, 'usage', parseU64(readCg(dir, `${prefix}usage_in_bytes`)));
  setNZ(e, 'max', parseU64(readCg(dir, `${prefix}max_usage_in_bytes`)));
  e.failcnt = parseU64(readCg(dir, `${prefix}failcnt`));
  return { limit: e.limit, ...(e.usage ? { usage: e.usage } : {}), ...(e.max ? { max: e.max } : {}), failcnt: e.failcnt };
}

function memory(dir: string, s: RuncStats): void {
  const raw = parseFlatKeyed(readCg(dir, 'memory.stat'));
  const m = s.memory;
  setNZ(m, 'cache', raw.cache);
  m.usage = memData(dir, '');
  m.swap = memData(dir, 'memsw');
  m.kernel = memData(dir, 'kmem');
  m.kernelTCP = memData(dir, 'kmem.tcp');
  setNZ(m, 'raw', raw);
}

function pids(dir: string, s: RuncStats): void {
  setNZ(s.pids, 'current', parseU64(readCg(dir, 'pids.current')));
  const max = readCg(dir, 'pids.max').trim();
  // "max" is reported as no limit (0, left out).
  if (max !== 'max') setNZ(s.pids, 'limit', Number(max));
}

/**
 * blkio.* lines: "8:0 Read 1234" (or "8:0 1234" for sectors/time), with a
 * "Total N" line at the end that is skipped.
 */
export function parseBlkio(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/[\s:]+/);
    if (f.length < 3 || f[0] === 'Total') continue;
    const e: BlkioEntry = {};
    setNZ(e, 'major', Number(f[0]));
    setNZ(e, 'minor', Number(f[1]));
    if (f.length >= 4) setNZ(e, 'op', f[2]);
    setNZ(e, 'value', Number(f[f.length >= 4 ? 3 : 2]));
    out.push(e);
  }
  return out;
}

type BlkioKey = Exclude<keyof RuncStats['blkio'], 'psi'>;

/**
 * runc tries, in order, the BFQ debug files, the BFQ files, CFQ's, the
 * recursive throttle files, the plain throttle files; the first group whose
 * first file exists and has data wins.
 */
const BLKIO_GROUPS: [string, BlkioKey][][] = [
  [
    ['blkio.bfq.sectors_recursive', 'sectorsRecursive'],
    ['blkio.bfq.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.bfq.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.bfq.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.bfq.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.bfq.time_recursive', 'ioTimeRecursive'],
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.sectors_recursive', 'sectorsRecursive'],
    ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.time_recursive', 'ioTimeRecursive'],
    ['blkio.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.throttle.io_serviced', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive'],
  ],
];

function blkio(dir: string, s: RuncStats): void {
  for (const group of BLKIO_GROUPS) {
    const first = parseBlkio(readCgOpt(dir, group[0][0]) ?? '');
    if (first.length === 0) continue;
    for (const [file, key] of group) setNZ(s.blkio, key, parseBlkio(readCgOpt(dir, file) ?? ''));
    return;
  }
}

/** Huge page sizes of this host, as the hugetlb files name them ("2MB", "1GB"). */
export function hugePageSizes(): string[] {
  try {
    return readdirSync('/sys/kernel/mm/hugepages')
      .map((n) => /^hugepages-(\d+)kB$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => hugePageName(Number(m[1])));
  } catch {
    return [];
  }
}

function hugetlb(dir: string, s: RuncStats): void {
  for (const size of hugePageSizes()) {
    const p = `hugetlb.${size}.`;
    if (!hasFile(dir, `${p}usage_in_bytes`)) continue;
    const e: RuncStats['hugetlb'][string] = { failcnt: 0 };
    setNZ(e, 'usage', parseU64(readCg(dir, `${p}usage_in_bytes`)));
    setNZ(e, 'max', parseU64(readCg(dir, `${p}max_usage_in_bytes`)));
    e.failcnt = parseU64(readCg(dir, `${p}failcnt`));
    s.hugetlb[size] = { ...(e.usage ? { usage: e.usage } : {}), ...(e.max ? { max: e.max } : {}), failcnt: e.failcnt };
  }
}
