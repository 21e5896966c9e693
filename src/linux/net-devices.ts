// linux.netDevices (config-linux.md, runtime-spec 1.3): host network
// interfaces moved into the container's network namespace, renamed when
// asked, with their permanent addresses and up state kept (a move drops
// them), and moved back to the host at delete while the namespace lives.
// Done with iproute2's `ip` (and util-linux's nsenter to act inside the
// namespace): a config that uses the field pays for it, no other does.
// child_process is loaded only when a device moves: create, start and delete import this file.
import { childProcess } from '../builtins.js';
import { existsSync, readFileSync } from 'node:fs';
import { TsrunError } from '../errors.js';
/** linux.netDevices as the config has it (the shape only: this layer knows no spec types). */
type NetDevices = Record<string, { name?: string }>;
/** The parts of the config's linux object the check reads. */
interface NetDevicesConfig {
  namespaces?: { type: string; path?: string }[];
  netDevices?: NetDevices;
}

const IFNAME = /^[^/:\s]{1,15}$/;

/** A config problem: the field's JSON pointer and what is wrong with it. */
export interface NetDeviceProblem {
  pointer: string;
  why: string;
}

/** Config problems, checked by the plan builder before anything is made. */
export function checkNetDevices(linux: NetDevicesConfig, hostHas: (iface: string) => boolean): NetDeviceProblem[] {
  const devices = linux.netDevices;
  if (!devices) return [];
  const out: NetDeviceProblem[] = [];
  if (!(linux.namespaces ?? []).some((n) => n.type === 'network' && !n.path)) {
    out.push({ pointer: '/linux/netDevices', why: 'moving network devices needs a new network namespace in /linux/namespaces' });
  }
  const names = new Map<string, string>();
  for (const [host, d] of Object.entries(devices)) {
    const at = `/linux/netDevices/${host.replace(/~/g, '~0')}`;
    if (!IFNAME.test(host)) out.push({ pointer: at, why: `${JSON.stringify(host)} is not a network interface name` });
    else if (!hostHas(host)) out.push({ pointer: at, why: `the host has no network interface ${host}` });
    const name = d.name || host;
    if (!IFNAME.test(name)) out.push({ pointer: `${at}/name`, why: `${JSON.stringify(name)} is not a network interface name` });
    if (names.has(name)) out.push({ pointer: `${at}/name`, why: `${name} is also the name of ${names.get(name)} in the container` });
    names.set(name, host);
  }
  return out;
}

function ip(args: string[], netnsOf?: number): string {
  const [cmd, argv] = netnsOf ? ['nsenter', ['-t', String(netnsOf), '-n', 'ip', ...args]] : ['ip', args];
  const r = childProcess().spawnSync(cmd, argv, { encoding: 'utf8' });
  if (r.error) throw new TsrunError(`linux.netDevices: running ${cmd}: ${(r.error as NodeJS.ErrnoException).code} (it needs iproute2's ip and util-linux's nsenter)`, { code: 'ERR_UNSUPPORTED' });
  if (r.status !== 0) throw new TsrunError(`linux.netDevices: ip ${args.join(' ')}: ${r.stderr.trim()}`, { code: 'ERR_SYSCALL' });
  return r.stdout;
}

interface AddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  scope: string;
  dynamic?: boolean;
  broadcast?: string;
}

/**
 * Moves one device from the network namespace of fromPid (undefined: ours)
 * to that of toPid, renamed, and puts back its permanent addresses and up
 * state, which a move drops.
 */
function move(fromPid: number | undefined, from: string, toPid: number, to: string): void {
  const [info] = JSON.parse(ip(['-j', 'addr', 'show', 'dev', from], fromPid)) as { flags: string[]; addr_info: AddrInfo[] }[];
  // Link-local IPv6 addresses come back by themselves; dynamic ones belong to whoever set them.
  const addrs = (info?.addr_info ?? []).filter((a) => !a.dynamic && !(a.family === 'inet6' && a.scope === 'link'));
  ip(['link', 'set', 'dev', from, 'netns', String(toPid), 'name', to], fromPid);
  const inTarget = toPid === process.pid ? undefined : toPid;
  for (const a of addrs) ip(['addr', 'add', `${a.local}/${a.prefixlen}`, ...(a.broadcast ? ['broadcast', a.broadcast] : []), 'dev', to], inTarget);
  if (info?.flags.includes('UP')) ip(['link', 'set', 'dev', to, 'up'], inTarget);
}

/** Moves each device into the network namespace of pid (the init, before it is released). */
export function moveNetDevicesIn(devices: NetDevices, pid: number): void {
  for (const [host, d] of Object.entries(devices)) move(undefined, host, pid, d.name || host);
}

/**
 * At delete, while the container's network namespace still exists (its
 * init alive): each device back to the runtime's namespace under its host
 * name. Once the namespace is gone the kernel has already returned physical
 * devices and destroyed virtual ones, so there is nothing left to do.
 */
export function moveNetDevicesOut(devices: NetDevices, pid: number): void {
  if (!pid || !existsSync(`/proc/${pid}/ns/net`)) return;
  // The init may be a zombie: its namespaces are gone then.
  if (/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) return;
  for (const [host, d] of Object.entries(devices)) {
    const name = d.name || host;
    const there = childProcess().spawnSync('nsenter', ['-t', String(pid), '-n', 'ip', 'link', 'show', 'dev', name], { encoding: 'utf8' });
    if (there.status !== 0) continue; // the container removed or renamed it
    move(pid, name, process.pid, host);
  }
}
