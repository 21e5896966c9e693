// Stats from cgroup v2 files (runc libcontainer/cgroups/fs2 GetStats),
// mapped onto the v1-shaped stats runc reports.
import { hasFile, parseFlatKeyed, parseNestedKeyed, parseU64, readCg, readCgOpt, U64_MAX } from './fsutil.js';
import { emptyStats, setNZ, type BlkioEntry, type MemoryEntry, type PsiStats, type RuncStats } from './stats-shape.js';
import { hugePageSizes, parseCpuList } from './stats-v1.js';

export function statsV2(dir: string): RuncStats {
  const s = emptyStats();
  cpu(dir, s);
  cpuset(dir, s);
  memory(dir, s);
  pids(dir, s);
  io(dir, s);
  hugetlb(dir, s);
  return s;
}

/** cpu.pressure & co: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and a "full" line. */
export function parsePsi(text: string | undefined): PsiStats | undefined {
  if (!text) return undefined;
  const out: PsiStats = {};
  for (const [kind, kv] of Object.entries(parseNestedKeyed(text))) {
    if (kind !== 'some' && kind !== 'full') continue;
    out[kind] = { avg10: Number(kv.avg10), avg60: Number(kv.avg60), avg300: Number(kv.avg300), total: Number(kv.total) };
  }
  return Object.keys(out).length ? out : undefined;
}

function cpu(dir: string, s: RuncStats): void {
  // cpu.stat exists even without the cpu controller (usage only); times are in µs.
  const st = parseFlatKeyed(readCgOpt(dir, 'cpu.stat') ?? '');
  setNZ(s.cpu.usage, 'total', (st.usage_usec ?? 0) * 1000);
  s.cpu.usage.user = (st.user_usec ?? 0) * 1000;
  s.cpu.usage.kernel = (st.system_usec ?? 0) * 1000;
  setNZ(s.cpu.throttling, 'periods', st.nr_periods);
  setNZ(s.cpu.throttling, 'throttledPeriods', st.nr_throttled);
  setNZ(s.cpu.throttling, 'throttledTime', (st.throttled_usec ?? 0) * 1000);
  setNZ(s.cpu, 'psi', parsePsi(readCgOpt(dir, 'cpu.pressure')));
}

function cpuset(dir: string, s: RuncStats): void {
  setNZ(s.cpuset, 'cpus', parseCpuList(readCgOpt(dir, 'cpuset.cpus.effective') ?? ''));
  setNZ(s.cpuset, 'mems', parseCpuList(readCgOpt(dir, 'cpuset.mems.effective') ?? ''));
}

function entry(limit: number, usage: number, max: number, failcnt: number): MemoryEntry {
  return { limit, ...(usage ? { usage } : {}), ...(max ? { max } : {}), failcnt };
}

function memory(dir: string, s: RuncStats): void {
  const m = s.memory;
  const raw = parseFlatKeyed(readCgOpt(dir, 'memory.stat') ?? '');
  setNZ(m, 'cache', raw.file);
  setNZ(m, 'raw', raw);
  if (hasFile(dir, 'memory.current')) {
    const usage = parseU64(readCg(dir, 'memory.current'));
    const limit = parseU64(readCg(dir, 'memory.max'));
    const peak = hasFile(dir, 'memory.peak') ? parseU64(readCg(dir, 'memory.peak')) : 0;
    // failcnt has no v2 file; the count of hits on memory.max is the closest.
    const events = parseFlatKeyed(readCgOpt(dir, 'memory.events') ?? '');
    m.usage = entry(limit, usage, peak, events.max ?? 0);
    // v1 reported swap as memory+swap; so does runc on v2, for compatibility.
    if (hasFile(dir, 'memory.swap.current')) {
      const swapUsage = parseU64(readCg(dir, 'memory.swap.current'));
      const swapMax = parseU64(readCg(dir, 'memory.swap.max'));
      const swapPeak = hasFile(dir, 'memory.swap.peak') ? parseU64(readCg(dir, 'memory.swap.peak')) : 0;
      const swapLimit = swapMax >= U64_MAX || limit >= U64_MAX ? U64_MAX : swapMax + limit;
      m.swap = entry(swapLimit, swapUsage + usage, swapPeak ? swapPeak + peak : 0, 0);
    }
  }
  setNZ(m, 'psi', parsePsi(readCgOpt(dir, 'memory.pressure')));
}

function pids(dir: string, s: RuncStats): void {
  const cur = readCgOpt(dir, 'pids.current');
  if (cur === undefined) return;
  setNZ(s.pids, 'current', parseU64(cur));
  const max = readCg(dir, 'pids.max').trim();
  if (max !== 'max') setNZ(s.pids, 'limit', Number(max));
}

/** io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" in v1 terms, as runc maps it. */
export function parseIoStat(text: string): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const [dev, kv] of Object.entries(parseNestedKeyed(text))) {
    const [major, minor] = dev.split(':').map(Number);
    const add = (list: BlkioEntry[], op: string, v: string | undefined) => {
      if (v === undefined) return;
      const e: BlkioEntry = {};
      setNZ(e, 'major', major);
      setNZ(e, 'minor', minor);
      e.op = op;
      setNZ(e, 'value', Number(v));
      list.push(e);
    };
    add(bytes, 'Read', kv.rbytes);
    add(bytes, 'Write', kv.wbytes);
    add(ios, 'Read', kv.rios);
    add(ios, 'Write', kv.wios);
  }
  return { bytes, ios };
}

function io(dir: string, s: RuncStats): void {
  const { bytes, ios } = parseIoStat(readCgOpt(dir, 'io.stat') ?? '');
  setNZ(s.blkio, 'ioServiceBytesRecursive', bytes);
  setNZ(s.blkio, 'ioServicedRecursive', ios);
  setNZ(s.blkio, 'psi', parsePsi(readCgOpt(dir, 'io.pressure')));
}

function hugetlb(dir: string, s: RuncStats): void {
  for (const size of hugePageSizes()) {
    // The reservation counter when the kernel has it (what the limit applies to), else usage.
    const cur = readCgOpt(dir, `hugetlb.${size}.rsvd.current`) ?? readCgOpt(dir, `hugetlb.${size}.current`);
    if (cur === undefined) continue;
    const events = parseFlatKeyed(readCgOpt(dir, `hugetlb.${size}.events`) ?? '');
    const usage = parseU64(cur);
    s.hugetlb[size] = { ...(usage ? { usage } : {}), failcnt: events.max ?? 0 };
  }
}
