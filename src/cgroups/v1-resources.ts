// linux.resources on cgroup v1: one writer per controller, in the semantics
// of runc's libcontainer/cgroups/fs/*.go (crun's for the device list). A
// field whose controller or file this host lacks is refused up front, before
// anything is written, naming the field and what is missing.
import type { Resources } from '../spec/types.js';
import { CgroupError, fieldError, resourceLabel, unsupportedField } from './errors.js';
import { put, putEach, set } from './put.js';
import { hasFile, intText, parseU64, readCg, writeCg } from './fsutil.js';
import { DeviceEmulator, normalizeRules, ruleText } from './devices.js';

type Dirs = Record<string, string>;
type Memory = NonNullable<Resources['memory']>;
type Cpu = NonNullable<Resources['cpu']>;
type BlockIO = NonNullable<Resources['blockIO']>;

/** The directory of a controller, or an error naming the field and what is mounted. */
function need(dirs: Dirs, controller: string, field: string): string {
  const dir = dirs[controller];
  if (dir) return dir;
  const have = Object.keys(dirs).filter(Boolean).sort().join(', ') || 'none';
  throw unsupportedField(field, `the ${controller} controller is not mounted on this host (cgroup v1 controllers mounted: ${have})`);
}

function needFile(dir: string, file: string, field: string, why: string): void {
  if (!hasFile(dir, file)) throw unsupportedField(field, `${dir}/${file} does not exist: ${why}`);
}

export function setResourcesV1(dirs: Dirs, r: Resources, update: boolean): string[] {
  const warnings: string[] = [];
  check(dirs, r);
  if (r.memory) memory(dirs.memory, r.memory, update, warnings);
  if (r.cpu) cpu(dirs, r.cpu, warnings);
  if (r.pids && set(r.pids.limit)) {
    put(dirs.pids, 'pids.max', r.pids.limit < 0 ? 'max' : intText(r.pids.limit, 'pids.limit'), 'pids.limit');
  }
  if (r.blockIO) blockIO(dirs.blkio, r.blockIO);
  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    const field = `hugepageLimits[${i}]`;
    const value = intText(h.limit, `${field}.limit`);
    put(dirs.hugetlb, `hugetlb.${h.pageSize}.limit_in_bytes`, value, `${field}.limit`);
    // The reservation limit (kernel >= 5.7) is what an mmap is checked against.
    if (hasFile(dirs.hugetlb, `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`)) {
      put(dirs.hugetlb, `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, value, `${field}.limit`);
    }
  }
  if (r.network && set(r.network.classID)) {
    put(dirs.net_cls, 'net_cls.classid', intText(r.network.classID, 'network.classID'), 'network.classID');
  }
  for (const [i, p] of (r.network?.priorities ?? []).entries()) {
    put(dirs.net_prio, 'net_prio.ifpriomap', `${p.name} ${intText(p.priority, `network.priorities[${i}].priority`)}`, `network.priorities[${i}]`);
  }
  for (const [dev, l] of Object.entries(r.rdma ?? {})) {
    put(dirs.rdma, 'rdma.max', rdmaLine(dev, l), `rdma.${dev}`);
  }
  if (r.devices) devices(dirs.devices, r.devices, update);
  return warnings;
}

export function rdmaLine(dev: string, l: { hcaHandles?: number; hcaObjects?: number }): string {
  let s = dev;
  if (set(l.hcaHandles)) s += ` hca_handle=${intText(l.hcaHandles, `rdma.${dev}.hcaHandles`)}`;
  if (set(l.hcaObjects)) s += ` hca_object=${intText(l.hcaObjects, `rdma.${dev}.hcaObjects`)}`;
  return s;
}

/** Everything this host cannot do, refused before the first write. */
function check(dirs: Dirs, r: Resources): void {
  if (r.unified && Object.keys(r.unified).length > 0) {
    throw unsupportedField('unified', 'cgroup v2 files cannot be set: this host runs cgroup v1 (the v1 hierarchies hold the controllers)');
  }
  const m = r.memory;
  if (m && [m.limit, m.reservation, m.swap, m.kernel, m.kernelTCP, m.swappiness, m.disableOOMKiller, m.useHierarchy].some(set)) {
    need(dirs, 'memory', 'memory');
    if (set(m.swap) && m.swap > 0) {
      needFile(dirs.memory, 'memory.memsw.limit_in_bytes', 'memory.swap', 'swap accounting is off in this kernel (swapaccount=0 or no CONFIG_MEMCG_SWAP)');
    }
  }
  const c = r.cpu;
  if (c) {
    if (c.cpus || c.mems) need(dirs, 'cpuset', c.cpus ? 'cpu.cpus' : 'cpu.mems');
    const cpuFields = ['shares', 'quota', 'period', 'burst', 'realtimeRuntime', 'realtimePeriod', 'idle'] as const;
    const asked = cpuFields.filter((f) => set(c[f]));
    if (asked.length > 0) {
      const dir = need(dirs, 'cpu', `cpu.${asked[0]}`);
      if (set(c.realtimeRuntime) || set(c.realtimePeriod)) {
        needFile(dir, 'cpu.rt_runtime_us', set(c.realtimeRuntime) ? 'cpu.realtimeRuntime' : 'cpu.realtimePeriod', 'the kernel has no real-time group scheduling (CONFIG_RT_GROUP_SCHED)');
      }
      if (set(c.idle)) needFile(dir, 'cpu.idle', 'cpu.idle', 'the kernel has no SCHED_IDLE cgroups (Linux >= 5.15)');
    }
  }
  if (r.pids && set(r.pids.limit)) need(dirs, 'pids', 'pids.limit');
  const b = r.blockIO;
  if (b) {
    const any =
      set(b.weight) ||
      set(b.leafWeight) ||
      !!b.weightDevice?.length ||
      !!b.throttleReadBpsDevice?.length ||
      !!b.throttleWriteBpsDevice?.length ||
      !!b.throttleReadIOPSDevice?.length ||
      !!b.throttleWriteIOPSDevice?.length;
    if (any) {
      const dir = need(dirs, 'blkio', 'blockIO');
      const noWeight = "the blkio controller here has no weight files (neither CFQ's blkio.weight nor BFQ's blkio.bfq.weight)";
      if ((set(b.weight) && b.weight !== 0) || b.weightDevice?.some((d) => set(d.weight) && d.weight !== 0)) {
        if (!weightFile(dir)) throw unsupportedField(set(b.weight) ? 'blockIO.weight' : 'blockIO.weightDevice', noWeight);
      }
      if ((set(b.leafWeight) && b.leafWeight !== 0) || b.weightDevice?.some((d) => set(d.leafWeight) && d.leafWeight !== 0)) {
        needFile(dir, 'blkio.leaf_weight', set(b.leafWeight) ? 'blockIO.leafWeight' : 'blockIO.weightDevice', 'leaf weights exist only with the CFQ scheduler (removed in Linux 5.0)');
      }
      for (const f of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
        if (b[f]?.length) needFile(dir, THROTTLE_FILES[f], `blockIO.${f}`, 'the kernel has no block I/O throttling (CONFIG_BLK_DEV_THROTTLING)');
      }
    }
  }
  if (r.hugepageLimits?.length) {
    const dir = need(dirs, 'hugetlb', 'hugepageLimits');
    for (const [i, h] of r.hugepageLimits.entries()) {
      if (!hasFile(dir, `hugetlb.${h.pageSize}.limit_in_bytes`)) {
        throw unsupportedField(`hugepageLimits[${i}].pageSize`, `${JSON.stringify(h.pageSize)} is not a huge page size of this host (no ${dir}/hugetlb.${h.pageSize}.limit_in_bytes)`);
      }
    }
  }
  if (r.network && set(r.network.classID)) need(dirs, 'net_cls', 'network.classID');
  if (r.network?.priorities?.length) need(dirs, 'net_prio', 'network.priorities');
  if (r.rdma && Object.keys(r.rdma).length > 0) need(dirs, 'rdma', 'rdma');
  // runc treats a missing devices hierarchy as fatal: without it there is no device isolation.
  if (r.devices) need(dirs, 'devices', 'devices');
}

const THROTTLE_FILES = {
  throttleReadBpsDevice: 'blkio.throttle.read_bps_device',
  throttleWriteBpsDevice: 'blkio.throttle.write_bps_device',
  throttleReadIOPSDevice: 'blkio.throttle.read_iops_device',
  throttleWriteIOPSDevice: 'blkio.throttle.write_iops_device',
} as const;

function weightFile(dir: string): { weight: string; device: string } | undefined {
  if (hasFile(dir, 'blkio.weight')) return { weight: 'blkio.weight', device: 'blkio.weight_device' };
  if (hasFile(dir, 'blkio.bfq.weight')) return { weight: 'blkio.bfq.weight', device: 'blkio.bfq.weight_device' };
  return undefined;
}

function memory(dir: string, m: Memory, update: boolean, warnings: string[]): void {
  // 0 means unset for the byte limits, as in runc.
  const limit = set(m.limit) && m.limit !== 0 ? m.limit : undefined;
  let swap = set(m.swap) && m.swap !== 0 ? m.swap : undefined;
  const memsw = hasFile(dir, 'memory.memsw.limit_in_bytes');
  // Unlimited memory with swap unset means unlimited swap too (runc).
  if (limit === -1 && swap === undefined && memsw) swap = -1;
  // Without swap accounting, unlimited swap is what there is anyway.
  if (swap === -1 && !memsw) swap = undefined;

  const setLimit = () => {
    try {
      writeCg(dir, 'memory.limit_in_bytes', intText(limit!, 'memory.limit'));
    } catch (err) {
      if ((err as CgroupError).errno !== 'EBUSY') throw fieldError(`memory.limit=${limit}`, (err as Error).message, err as CgroupError);
      // The kernel refuses a limit below the current usage.
      const usage = readCg(dir, 'memory.usage_in_bytes').trim();
      const peak = readCg(dir, 'memory.max_usage_in_bytes').trim();
      throw fieldError(`memory.limit=${limit}`, `below the current usage ${usage} (peak ${peak}): ${(err as Error).message}`, err as CgroupError);
    }
  };
  const setSwap = () => put(dir, 'memory.memsw.limit_in_bytes', intText(swap!, 'memory.swap'), 'memory.swap');
  // memsw must stay >= limit at every step: raise memsw first when it grows.
  if (limit !== undefined && swap !== undefined) {
    const cur = parseU64(readCg(dir, 'memory.limit_in_bytes'));
    if (swap === -1 || cur < swap) {
      setSwap();
      setLimit();
    } else {
      setLimit();
      setSwap();
    }
  } else {
    if (limit !== undefined) setLimit();
    if (swap !== undefined) setSwap();
  }

  if (set(m.reservation) && m.reservation !== 0) {
    put(dir, 'memory.soft_limit_in_bytes', intText(m.reservation, 'memory.reservation'), 'memory.reservation');
  }
  if (set(m.kernel) && m.kernel !== 0) kmem(dir, 'memory.kmem.limit_in_bytes', m.kernel, 'memory.kernel', warnings);
  if (set(m.kernelTCP) && m.kernelTCP !== 0) kmem(dir, 'memory.kmem.tcp.limit_in_bytes', m.kernelTCP, 'memory.kernelTCP', warnings);
  if (m.disableOOMKiller === true) put(dir, 'memory.oom_control', '1', 'memory.disableOOMKiller');
  else if (m.disableOOMKiller === false && update) put(dir, 'memory.oom_control', '0', 'memory.disableOOMKiller');
  if (set(m.swappiness) && m.swappiness !== -1) {
    if (m.swappiness < 0 || m.swappiness > 100) throw fieldError('memory.swappiness', `${m.swappiness} is outside 0-100`);
    put(dir, 'memory.swappiness', intText(m.swappiness, 'memory.swappiness'), 'memory.swappiness');
  }
  if (set(m.useHierarchy)) {
    try {
      writeCg(dir, 'memory.use_hierarchy', m.useHierarchy ? '1' : '0');
    } catch (err) {
      if (m.useHierarchy) throw fieldError('memory.useHierarchy', (err as Error).message, err as CgroupError);
      warnings.push('/linux/resources/memory/useHierarchy=false: ignored, this kernel always accounts memory hierarchically');
    }
  }
}

/**
 * Kernel memory limits are deprecated: Linux 5.16+ accepts a write to
 * memory.kmem.limit_in_bytes and ignores it, newer kernels drop the files.
 * runc ignores both fields with a warning; we write them where the kernel
 * honours them (kernelTCP still works) and warn where it does not.
 */
function kmem(dir: string, file: string, value: number, field: string, warnings: string[]): void {
  if (!hasFile(dir, file)) {
    warnings.push(`${resourceLabel(field)}: ignored, this kernel has no ${file}`);
    return;
  }
  const text = intText(value, field);
  try {
    writeCg(dir, file, text);
  } catch (err) {
    warnings.push(`${resourceLabel(field)}: ignored, ${(err as Error).message}`);
    return;
  }
  if (value > 0 && readCg(dir, file).trim() !== text) {
    warnings.push(`${resourceLabel(field)}: ignored, this kernel does not enforce ${file} (it reads back ${readCg(dir, file).trim()})`);
  }
}

function cpu(dirs: Dirs, c: Cpu, warnings: string[]): void {
  if (c.cpus) put(dirs.cpuset, 'cpuset.cpus', c.cpus, 'cpu.cpus');
  if (c.mems) put(dirs.cpuset, 'cpuset.mems', c.mems, 'cpu.mems');
  const dir = dirs.cpu;
  if (set(c.shares) && c.shares !== 0) {
    const want = intText(c.shares, 'cpu.shares');
    put(dir, 'cpu.shares', want, 'cpu.shares');
    // The kernel clamps to [2, 262144] silently; say so instead (runc does).
    const got = readCg(dir, 'cpu.shares').trim();
    if (got !== want) throw fieldError(`cpu.shares=${want}`, `the kernel clamped it to ${got} (allowed range 2-262144)`);
  }
  // A new period or burst can be refused (EINVAL) against the old quota; if
  // a quota is coming, retry them once it is written (runc's order).
  let period = set(c.period) && c.period !== 0 ? intText(c.period, 'cpu.period') : undefined;
  let burst = set(c.burst) ? intText(c.burst, 'cpu.burst') : undefined;
  const quota = set(c.quota) && c.quota !== 0 ? intText(c.quota, 'cpu.quota') : undefined;
  const deferOnEinval = (file: string, value: string, field: string): boolean => {
    try {
      writeCg(dir, file, value);
      return false;
    } catch (err) {
      if ((err as CgroupError).errno === 'EINVAL' && quota !== undefined) return true;
      throw fieldError(`${field}=${value}`, (err as Error).message, err as CgroupError);
    }
  };
  if (period !== undefined && !deferOnEinval('cpu.cfs_period_us', period, 'cpu.period')) period = undefined;
  if (burst !== undefined) {
    if (!hasFile(dir, 'cpu.cfs_burst_us')) {
      warnings.push('/linux/resources/cpu/burst: ignored, this kernel has no cpu.cfs_burst_us (Linux >= 5.14)');
      burst = undefined;
    } else if (!deferOnEinval('cpu.cfs_burst_us', burst, 'cpu.burst')) burst = undefined;
  }
  if (quota !== undefined) {
    put(dir, 'cpu.cfs_quota_us', quota, 'cpu.quota');
    if (period !== undefined) put(dir, 'cpu.cfs_period_us', period, 'cpu.period');
    if (burst !== undefined) put(dir, 'cpu.cfs_burst_us', burst, 'cpu.burst');
  }
  if (set(c.idle)) put(dir, 'cpu.idle', intText(c.idle, 'cpu.idle'), 'cpu.idle');
  // Real-time bandwidth: period first, then runtime. It must be in place
  // before a SCHED_RR/FIFO task joins, which is why setResources comes before addProcess.
  if (set(c.realtimePeriod) && c.realtimePeriod !== 0) put(dir, 'cpu.rt_period_us', intText(c.realtimePeriod, 'cpu.realtimePeriod'), 'cpu.realtimePeriod');
  if (set(c.realtimeRuntime) && c.realtimeRuntime !== 0) put(dir, 'cpu.rt_runtime_us', intText(c.realtimeRuntime, 'cpu.realtimeRuntime'), 'cpu.realtimeRuntime');
}

function blockIO(dir: string, b: BlockIO): void {
  const wf = weightFile(dir);
  if (set(b.weight) && b.weight !== 0) put(dir, wf!.weight, intText(b.weight, 'blockIO.weight'), 'blockIO.weight');
  if (set(b.leafWeight) && b.leafWeight !== 0) put(dir, 'blkio.leaf_weight', intText(b.leafWeight, 'blockIO.leafWeight'), 'blockIO.leafWeight');
  for (const [i, d] of (b.weightDevice ?? []).entries()) {
    const dev = `${intText(d.major, 'major')}:${intText(d.minor, 'minor')}`;
    if (set(d.weight) && d.weight !== 0) put(dir, wf!.device, `${dev} ${intText(d.weight, 'weight')}`, `blockIO.weightDevice[${i}].weight`);
    if (set(d.leafWeight) && d.leafWeight !== 0) put(dir, 'blkio.leaf_weight_device', `${dev} ${intText(d.leafWeight, 'leafWeight')}`, `blockIO.weightDevice[${i}].leafWeight`);
  }
  for (const f of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
    for (const [i, d] of (b[f] ?? []).entries()) {
      // rate 0 removes the limit on v1.
      put(dir, THROTTLE_FILES[f], `${intText(d.major, 'major')}:${intText(d.minor, 'minor')} ${intText(d.rate ?? 0, 'rate')}`, `blockIO.${f}[${i}]`);
    }
  }
}

/**
 * On create, like crun: "a" to devices.deny, then every rule in the given
 * order (so devices.list lists the allowed ones in config order, which
 * runtime-tools checks). On update, runc's minimal transition from what
 * devices.list says now, so running processes do not lose access in between
 * (and a cgroup with children, where "a" is refused, can still be updated).
 * Either way the rules are first run through the emulator, which refuses
 * deny rules that v1 would silently ignore (holes in wildcard rules).
 */
function devices(dir: string, list: NonNullable<Resources['devices']>, update: boolean): void {
  const rules = normalizeRules(list);
  const target = DeviceEmulator.from(rules);
  const writes = update ? DeviceEmulator.fromList(readCg(dir, 'devices.list')).transitionTo(target) : [{ type: 'a' as const, major: -1, minor: -1, access: 'rwm', allow: false }, ...rules];
  const fileOf = (w: (typeof writes)[number]) => (w.allow ? 'devices.allow' : 'devices.deny');
  // Each run of rules for one file goes through one descriptor: a create writes a dozen.
  for (let i = 0; i < writes.length; ) {
    const file = fileOf(writes[i]!);
    const run: string[] = [];
    for (; i < writes.length && fileOf(writes[i]!) === file; i++) run.push(writes[i]!.type === 'a' ? 'a' : ruleText(writes[i]!));
    putEach(dir, file, run, 'devices');
  }
}
