// linux.resources as systemd unit properties, for StartTransientUnit and
// SetUnitProperties, following runc's libcontainer/cgroups/systemd
// (genV2ResourcesProperties, genV1ResourcesProperties, addCpuQuota,
// generateDeviceProperties). Only what systemd models goes here; the cgroupfs
// driver then writes every field to the files as well, so what systemd does
// not know (hugetlb, rdma, io limits per device, unified keys...) still
// applies, and what it does know is the same value twice.
import { existsSync, readFileSync } from 'node:fs';
import type { Resources } from '../../spec/types.js';
import type { CgroupMode } from '../types.js';
import type { Typed } from './bus.js';
import { blkioWeightToIoWeight, cpuSharesToWeight, swapToV2 } from '../convert.js';
import { DeviceEmulator, normalizeRules, type DeviceRule } from '../devices.js';
import { fieldError } from '../errors.js';

/** One (name, value) of a unit's a(sv) property list. */
export type Property = [string, Typed];

/** systemd's "infinity" for limits and USec values (UINT64_MAX). */
const INFINITY = 0xffffffffffffffffn;
const u64 = (v: number): Typed => ({ sig: 't', value: v < 0 ? INFINITY : BigInt(v) });
const set = (v: number | undefined | null): v is number => v !== undefined && v !== null && v !== 0;

/** The properties for resources; warnings for rules systemd cannot express. */
export function resourceProperties(r: Resources, mode: CgroupMode, warn: (m: string) => void): Property[] {
  const p: Property[] = [];
  const v2 = mode === 'v2';
  const m = r.memory;
  if (m) {
    if (set(m.limit)) p.push([v2 ? 'MemoryMax' : 'MemoryLimit', u64(m.limit)]);
    if (v2 && set(m.reservation)) p.push(['MemoryLow', u64(m.reservation)]);
    if (v2) {
      const swap = swapToV2(m.swap ?? undefined, m.limit ?? undefined);
      if (swap.error) throw fieldError('memory.swap', swap.error);
      if (swap.value !== undefined) p.push(['MemorySwapMax', swap.value === 'max' ? u64(-1) : u64(Number(swap.value))]);
    }
  }
  const high = r.unified?.['memory.high'];
  if (v2 && high !== undefined) p.push(['MemoryHigh', high.trim() === 'max' ? u64(-1) : u64(Number(high))]);
  const c = r.cpu;
  if (c) {
    if (set(c.shares)) p.push(v2 ? ['CPUWeight', u64(cpuSharesToWeight(c.shares))] : ['CPUShares', u64(c.shares)]);
    p.push(...cpuQuota(c.quota ?? 0, c.period ?? 0));
    if (v2 && c.cpus) p.push(['AllowedCPUs', { sig: 'ay', value: rangeToBits(c.cpus, 'cpu.cpus') }]);
    if (v2 && c.mems) p.push(['AllowedMemoryNodes', { sig: 'ay', value: rangeToBits(c.mems, 'cpu.mems') }]);
  }
  const pids = r.pids?.limit;
  if (pids !== undefined && pids !== null && (pids > 0 || pids === -1)) p.push(['TasksMax', u64(pids)]);
  const weight = r.blockIO?.weight;
  if (set(weight)) p.push(v2 ? ['IOWeight', u64(blkioWeightToIoWeight(weight))] : ['BlockIOWeight', u64(weight)]);
  if (r.devices) p.push(...deviceProperties(normalizeRules(r.devices), warn));
  return p;
}

/**
 * runc's addCpuQuota: CPUQuotaPerSecUSec is quota per second of wall time,
 * rounded UP to whole percents (systemd keeps a percentage), so that the
 * cpu.max the cgroupfs write then sets is never above what systemd allows.
 */
function cpuQuota(quota: number, period: number): Property[] {
  const p: Property[] = [];
  if (period !== 0) p.push(['CPUQuotaPeriodUSec', u64(period)]);
  if (quota !== 0 || period !== 0) {
    let perSec = INFINITY;
    if (quota > 0) {
      let v = Math.floor((quota * 1_000_000) / (period || 100_000));
      if (v % 10_000 !== 0) v = (Math.floor(v / 10_000) + 1) * 10_000;
      perSec = BigInt(v);
    }
    p.push(['CPUQuotaPerSecUSec', { sig: 't', value: perSec }]);
  }
  return p;
}

/** "0-2,7" -> a bitmask as systemd's AllowedCPUs takes it: byte i holds CPUs 8i..8i+7. */
export function rangeToBits(list: string, field: string): Uint8Array {
  const bits: number[] = [];
  for (const part of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw fieldError(field, `${JSON.stringify(list)} is not a list of numbers and ranges such as "0-2,7"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > 8191) throw fieldError(field, `${JSON.stringify(part)} is not a valid range`);
    for (let i = lo; i <= hi; i++) bits.push(i);
  }
  const out = new Uint8Array(bits.length ? Math.floor(Math.max(...bits) / 8) + 1 : 0);
  for (const b of bits) out[b >> 3]! |= 1 << (b & 7);
  return out;
}

/**
 * DevicePolicy and DeviceAllow for the rules, so that systemd (which
 * re-applies a unit's device policy on daemon-reload) never opens up what
 * the container's rules close. systemd has only allow lists: an allow-all
 * state is "auto"; deny exceptions in it cannot be said and are left to
 * our own device filter (runc does the same). A device whose node systemd
 * cannot resolve is left out, as runc does, with a warning.
 */
function deviceProperties(rules: DeviceRule[], warn: (m: string) => void): Property[] {
  const state = DeviceEmulator.from(rules);
  if (state.defaultAllow) return [['DevicePolicy', { sig: 's', value: 'auto' }]];
  const allow: [string, string][] = [];
  for (const r of state.exceptions()) {
    const kind = r.type === 'c' ? 'char' : 'block';
    if (r.major < 0) allow.push([`${kind}-*`, r.access]);
    else if (r.minor < 0) {
      const group = deviceGroup(kind, r.major);
      if (group) allow.push([`${kind}-${group}`, r.access]);
      else warn(`skipping device ${kind} ${r.major}:* for systemd: major ${r.major} is not in /proc/devices`);
    } else if (existsSync(`/sys/dev/${kind}/${r.major}:${r.minor}`)) allow.push([`/dev/${kind}/${r.major}:${r.minor}`, r.access]);
    else warn(`skipping device /dev/${kind}/${r.major}:${r.minor} for systemd: no such device on this host`);
  }
  return [
    ['DevicePolicy', { sig: 's', value: 'strict' }],
    ['DeviceAllow', { sig: 'a(ss)', value: allow }],
  ];
}

/** The driver name of a major number in /proc/devices ("136" -> "pts"), which systemd's "char-NAME" takes. */
function deviceGroup(kind: 'char' | 'block', major: number): string | undefined {
  let section = '';
  for (const line of readFileSync('/proc/devices', 'utf8').split('\n')) {
    if (/^Character devices:/.test(line)) section = 'char';
    else if (/^Block devices:/.test(line)) section = 'block';
    else {
      const m = /^\s*(\d+) (\S+)$/.exec(line);
      if (m && section === kind && Number(m[1]) === major) return m[2];
    }
  }
  return undefined;
}
