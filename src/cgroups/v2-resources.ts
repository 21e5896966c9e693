// linux.resources on cgroup v2, converting the spec's v1-style values as runc
// does (libcontainer/cgroups/fs2/*.go, opencontainers/cgroups utils.go):
// cpu.shares -> cpu.weight, blkio weight -> io.weight, memory+swap -> swap
// alone. Fields v2 has no file for are either ignored with a warning (kernel
// memory, swappiness, OOM-killer switch, leaf weights, network) or refused
// (real-time CPU bandwidth). Requirements are checked before any write.
import type { Resources } from '../spec/types.js';
import { CgroupError, fieldError, resourceLabel, unsupportedField } from './errors.js';
import { put, set } from './put.js';
import { hasFile, intText, readCg, readCgOpt, writeCg } from './fsutil.js';
import { blkioWeightToIoWeight, cpuSharesToWeight, swapToV2 } from './convert.js';
import { normalizeRules } from './devices.js';
import { deviceFilterProgram, DEVICE_FILTER_LICENSE } from './devices-bpf.js';
import { rdmaLine } from './v1-resources.js';
import { attachDeviceFilter } from '../linux/bpf.js';

type Memory = NonNullable<Resources['memory']>;
type Cpu = NonNullable<Resources['cpu']>;
type BlockIO = NonNullable<Resources['blockIO']>;

/** -1 is "unlimited" in the spec, "max" in v2 files. */
const maxOr = (v: number, field: string) => (v < 0 ? 'max' : intText(v, field));

export function setResourcesV2(dir: string, r: Resources): string[] {
  const warnings: string[] = [];
  const warn = (field: string, why: string) => warnings.push(`${resourceLabel(field)}: ignored, ${why}`);
  check(dir, r);
  if (r.pids && set(r.pids.limit)) put(dir, 'pids.max', maxOr(r.pids.limit, 'pids.limit'), 'pids.limit');
  if (r.memory) memory(dir, r.memory, warn);
  if (r.blockIO) io(dir, r.blockIO, warn);
  if (r.cpu) cpu(dir, r.cpu);
  if (r.devices) devices(dir, r.devices);
  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    const value = intText(h.limit, `hugepageLimits[${i}].limit`);
    put(dir, `hugetlb.${h.pageSize}.max`, value, `hugepageLimits[${i}].limit`);
    if (hasFile(dir, `hugetlb.${h.pageSize}.rsvd.max`)) put(dir, `hugetlb.${h.pageSize}.rsvd.max`, value, `hugepageLimits[${i}].limit`);
  }
  for (const [dev, l] of Object.entries(r.rdma ?? {})) put(dir, 'rdma.max', rdmaLine(dev, l), `rdma.${dev}`);
  if (r.network && set(r.network.classID)) warn('network.classID', 'cgroup v2 has no net_cls controller (tag packets with an eBPF or nftables cgroup match instead)');
  if (r.network?.priorities?.length) warn('network.priorities', 'cgroup v2 has no net_prio controller');
  // Last, so raw v2 settings override the converted ones.
  for (const [key, value] of Object.entries(r.unified ?? {})) put(dir, key, value, `unified["${key}"]`);
  return warnings;
}

/** The controllers usable in dir, and an error for a field whose controller is missing. */
function controllersOf(dir: string): Set<string> {
  return new Set(readCg(dir, 'cgroup.controllers').split(/\s+/).filter(Boolean));
}

function check(dir: string, r: Resources): void {
  const have = controllersOf(dir);
  const need = (controller: string, field: string) => {
    if (have.has(controller)) return;
    throw unsupportedField(
      field,
      `the ${controller} controller is not available in ${dir} (its cgroup.controllers: ${[...have].join(' ') || 'none'}; ` +
        `it must be offered by the hierarchy and enabled in the parent's cgroup.subtree_control)`,
    );
  };
  const m = r.memory;
  if (m && [m.limit, m.reservation, m.swap].some((v) => set(v) && v !== 0)) need('memory', 'memory');
  const c = r.cpu;
  if (c) {
    if (c.cpus || c.mems) need('cpuset', c.cpus ? 'cpu.cpus' : 'cpu.mems');
    const asked = (['shares', 'quota', 'period', 'burst', 'idle'] as const).filter((f) => set(c[f]));
    if (asked.length > 0) need('cpu', `cpu.${asked[0]}`);
    if (set(c.idle) && !hasFile(dir, 'cpu.idle')) throw unsupportedField('cpu.idle', `${dir}/cpu.idle does not exist (SCHED_IDLE cgroups need Linux >= 5.15)`);
    for (const f of ['realtimeRuntime', 'realtimePeriod'] as const) {
      if (set(c[f]) && c[f] !== 0) throw unsupportedField(`cpu.${f}`, 'cgroup v2 has no real-time CPU bandwidth control (cpu.rt_* exist only in cgroup v1)');
    }
  }
  if (r.pids && set(r.pids.limit)) need('pids', 'pids.limit');
  const b = r.blockIO;
  if (b) {
    const weights = (set(b.weight) && b.weight !== 0) || b.weightDevice?.some((d) => set(d.weight) && d.weight !== 0);
    const throttles = [b.throttleReadBpsDevice, b.throttleWriteBpsDevice, b.throttleReadIOPSDevice, b.throttleWriteIOPSDevice].some((l) => l?.length);
    if (weights || throttles) need('io', 'blockIO');
    if (weights && !hasFile(dir, 'io.bfq.weight') && !hasFile(dir, 'io.weight')) {
      throw unsupportedField(set(b.weight) ? 'blockIO.weight' : 'blockIO.weightDevice', `${dir} has neither io.bfq.weight nor io.weight (no proportional I/O control in this kernel)`);
    }
  }
  if (r.hugepageLimits?.length) {
    need('hugetlb', 'hugepageLimits');
    for (const [i, h] of r.hugepageLimits.entries()) {
      if (!hasFile(dir, `hugetlb.${h.pageSize}.max`)) {
        throw unsupportedField(`hugepageLimits[${i}].pageSize`, `${JSON.stringify(h.pageSize)} is not a huge page size of this host (no ${dir}/hugetlb.${h.pageSize}.max)`);
      }
    }
  }
  if (r.rdma && Object.keys(r.rdma).length > 0) need('rdma', 'rdma');
  for (const key of Object.keys(r.unified ?? {})) {
    const field = `unified["${key}"]`;
    if (key.includes('/') || key === '.' || key === '..') throw fieldError(field, 'must be a file name in the cgroup directory, without "/"');
    const controller = key.split('.')[0];
    if (!key.includes('.')) throw fieldError(field, 'must be CONTROLLER.PARAMETER, e.g. memory.high');
    if (controller !== 'cgroup' && !have.has(controller)) need(controller, field);
    if (!hasFile(dir, key)) throw fieldError(field, `${dir}/${key} does not exist in this kernel`);
  }
}

function memory(dir: string, m: Memory, warn: (field: string, why: string) => void): void {
  const limit = set(m.limit) && m.limit !== 0 ? m.limit : undefined;
  // checkBeforeUpdate: v1 refuses a limit below the usage (EBUSY); v2 would
  // OOM-kill instead, so refuse it here (runc's CheckMemoryUsage).
  if (m.checkBeforeUpdate && limit !== undefined && limit > 0) {
    const usage = Number(readCgOpt(dir, 'memory.current')?.trim() ?? '0');
    if (usage >= limit) throw fieldError(`memory.limit=${limit}`, `below the current usage ${usage} of ${dir} (checkBeforeUpdate)`);
  }
  const swap = swapToV2(set(m.swap) ? m.swap : undefined, limit);
  if (swap.error) throw fieldError(`memory.swap=${m.swap}`, swap.error);
  if (swap.value !== undefined) {
    if (hasFile(dir, 'memory.swap.max')) put(dir, 'memory.swap.max', swap.value, 'memory.swap');
    // No swap accounting: "no swap" and "unlimited" need no file; a real limit does.
    else if (swap.value !== 'max' && swap.value !== '0') throw fieldError('memory.swap', `${dir}/memory.swap.max does not exist (no swap accounting in this kernel)`);
  }
  if (limit !== undefined) put(dir, 'memory.max', maxOr(limit, 'memory.limit'), 'memory.limit');
  if (set(m.reservation) && m.reservation !== 0) put(dir, 'memory.low', maxOr(m.reservation, 'memory.reservation'), 'memory.reservation');
  if (set(m.kernel) && m.kernel !== 0) warn('memory.kernel', 'cgroup v2 has no separate kernel memory limit (memory.max covers it)');
  if (set(m.kernelTCP) && m.kernelTCP !== 0) warn('memory.kernelTCP', 'cgroup v2 has no separate TCP buffer limit (memory.max covers it)');
  if (set(m.swappiness) && m.swappiness !== -1) warn('memory.swappiness', 'cgroup v2 has no per-cgroup swappiness');
  if (m.disableOOMKiller === true) warn('memory.disableOOMKiller', 'cgroup v2 cannot disable the OOM killer');
  if (m.useHierarchy === false) warn('memory.useHierarchy', 'cgroup v2 is always hierarchical');
}

function cpu(dir: string, c: Cpu): void {
  if (c.cpus) put(dir, 'cpuset.cpus', c.cpus, 'cpu.cpus');
  if (c.mems) put(dir, 'cpuset.mems', c.mems, 'cpu.mems');
  if (set(c.idle)) put(dir, 'cpu.idle', intText(c.idle, 'cpu.idle'), 'cpu.idle');
  // cpu.weight cannot be written while cpu.idle is 1.
  if (set(c.shares) && c.shares !== 0 && c.idle !== 1) {
    put(dir, 'cpu.weight', String(cpuSharesToWeight(c.shares)), `cpu.shares=${c.shares} as cpu.weight`);
  }
  const quota = set(c.quota) && c.quota !== 0 ? c.quota : undefined;
  const period = set(c.period) && c.period !== 0 ? c.period : undefined;
  // A larger burst can be refused (EINVAL) against the old quota: retry after cpu.max.
  let burst = set(c.burst) ? intText(c.burst, 'cpu.burst') : undefined;
  if (burst !== undefined) {
    if (!hasFile(dir, 'cpu.max.burst')) throw fieldError('cpu.burst', `${dir}/cpu.max.burst does not exist (Linux >= 5.14)`);
    try {
      writeCg(dir, 'cpu.max.burst', burst);
      burst = undefined;
    } catch (err) {
      if ((err as CgroupError).errno !== 'EINVAL' || quota === undefined) throw fieldError(`cpu.burst=${burst}`, (err as Error).message, err as CgroupError);
    }
  }
  if (quota !== undefined || period !== undefined) {
    // cpu.max is "QUOTA PERIOD"; keep the current half that the config leaves
    // out (runc would reset an omitted period to 100000 and quota to max).
    const [curQuota, curPeriod] = readCg(dir, 'cpu.max').trim().split(/\s+/);
    const q = quota === undefined ? curQuota : maxOr(quota, 'cpu.quota');
    const p = period === undefined ? curPeriod : intText(period, 'cpu.period');
    put(dir, 'cpu.max', `${q} ${p}`, 'cpu.quota/period');
  }
  if (burst !== undefined) put(dir, 'cpu.max.burst', burst, 'cpu.burst');
}

function io(dir: string, b: BlockIO, warn: (field: string, why: string) => void): void {
  // BFQ takes blkio-style weights (1-1000) as they are; io.weight needs the conversion.
  const bfq = hasFile(dir, 'io.bfq.weight');
  if (set(b.weight) && b.weight !== 0) {
    if (bfq) put(dir, 'io.bfq.weight', intText(b.weight, 'blockIO.weight'), 'blockIO.weight');
    else put(dir, 'io.weight', `default ${blkioWeightToIoWeight(b.weight)}`, `blockIO.weight=${b.weight} as io.weight`);
  }
  if (set(b.leafWeight) && b.leafWeight !== 0) warn('blockIO.leafWeight', 'cgroup v2 has no leaf weights');
  // Per-device BFQ weights exist since Linux 5.4: io.bfq.weight then reads "default N" plus device lines.
  const bfqPerDevice = bfq && /^default /m.test(readCg(dir, 'io.bfq.weight'));
  for (const [i, d] of (b.weightDevice ?? []).entries()) {
    const dev = `${intText(d.major, 'major')}:${intText(d.minor, 'minor')}`;
    if (set(d.weight) && d.weight !== 0) {
      if (bfqPerDevice) put(dir, 'io.bfq.weight', `${dev} ${intText(d.weight, 'weight')}`, `blockIO.weightDevice[${i}].weight`);
      else put(dir, 'io.weight', `${dev} ${blkioWeightToIoWeight(d.weight)}`, `blockIO.weightDevice[${i}].weight as io.weight`);
    }
    if (set(d.leafWeight) && d.leafWeight !== 0) warn(`blockIO.weightDevice[${i}].leafWeight`, 'cgroup v2 has no leaf weights');
  }
  const keys = { throttleReadBpsDevice: 'rbps', throttleWriteBpsDevice: 'wbps', throttleReadIOPSDevice: 'riops', throttleWriteIOPSDevice: 'wiops' } as const;
  for (const [f, key] of Object.entries(keys) as [keyof typeof keys, string][]) {
    for (const [i, d] of (b[f] ?? []).entries()) {
      // rate 0 removes the limit, as on v1.
      const rate = d.rate ? intText(d.rate, `blockIO.${f}[${i}].rate`) : 'max';
      put(dir, 'io.max', `${intText(d.major, 'major')}:${intText(d.minor, 'minor')} ${key}=${rate}`, `blockIO.${f}[${i}]`);
    }
  }
}

/**
 * The device list as an eBPF program attached to the directory (replacing
 * the previous one on update). Like runc, a failure to load it is ignored
 * only when every rule is a full "allow rwm", i.e. nothing would be denied.
 */
function devices(dir: string, list: NonNullable<Resources['devices']>): void {
  const rules = normalizeRules(list);
  const program = deviceFilterProgram(rules);
  try {
    attachDeviceFilter(dir, program, DEVICE_FILTER_LICENSE);
  } catch (err) {
    if (rules.every((r) => r.allow && r.access === 'rwm')) return;
    throw fieldError('devices', `cannot install the cgroup v2 device filter: ${(err as Error).message}`);
  }
}
