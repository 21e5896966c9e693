import { readFileSync } from 'node:fs';
import { TsrunError } from '../../errors.js';
import type { Resources } from '../../index.js';
import { idArg, type Command } from '../command.js';

const NUM_FLAGS: [flag: string, section: 'memory' | 'cpu' | 'pids' | 'blockIO', field: string][] = [
  ['memory', 'memory', 'limit'],
  ['memory-reservation', 'memory', 'reservation'],
  ['memory-swap', 'memory', 'swap'],
  ['kernel-memory', 'memory', 'kernel'],
  ['kernel-memory-tcp', 'memory', 'kernelTCP'],
  ['cpu-period', 'cpu', 'period'],
  ['cpu-quota', 'cpu', 'quota'],
  ['cpu-burst', 'cpu', 'burst'],
  ['cpu-share', 'cpu', 'shares'],
  ['cpu-rt-period', 'cpu', 'realtimePeriod'],
  ['cpu-rt-runtime', 'cpu', 'realtimeRuntime'],
  ['pids-limit', 'pids', 'limit'],
  ['blkio-weight', 'blockIO', 'weight'],
];

const command: Command = {
  synopsis: '[command options] <container-id>',
  description: "change a running container's resource limits",
  flags: [
    { name: 'resources', alias: 'r', kind: 'string', help: "a LinuxResources JSON file, or '-' for standard input" },
    ...NUM_FLAGS.map(([name]) => ({ name, kind: 'string' as const, help: `linux.resources value (sizes take k, m, g)` })),
    { name: 'cpuset-cpus', kind: 'string', help: 'CPUs to run on (e.g. 0-3,5)' },
    { name: 'cpuset-mems', kind: 'string', help: 'memory nodes to use' },
    { name: 'l3-cache-schema', kind: 'string', help: 'Intel RDT (not supported)' },
    { name: 'mem-bw-schema', kind: 'string', help: 'Intel RDT (not supported)' },
  ],
  async run(args, g) {
    const id = idArg(args, 'update');
    const res = resourcesFromFlags(args.flags);
    for (const w of await g.runtime.update(id, res)) g.log.warn(w);
    return 0;
  },
};
export default command;

export function resourcesFromFlags(f: Record<string, unknown>): Resources {
  if (f['l3-cache-schema'] || f['mem-bw-schema']) throw new TsrunError('Intel RDT is not supported');
  let res: Resources = {};
  if (f.resources) {
    const file = f.resources as string;
    try {
      res = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8')) as Resources;
    } catch (e) {
      throw new TsrunError(`--resources ${file}: ${(e as Error).message}`);
    }
  }
  const r = res as Record<string, Record<string, unknown>>;
  for (const [flag, section, field] of NUM_FLAGS) {
    const v = f[flag];
    if (v === undefined) continue;
    (r[section] ??= {})[field] = parseSize(v as string, flag);
  }
  if (f['cpuset-cpus'] !== undefined) (r.cpu ??= {}).cpus = f['cpuset-cpus'];
  if (f['cpuset-mems'] !== undefined) (r.cpu ??= {}).mems = f['cpuset-mems'];
  return res;
}

/** "100", "-1", "64k", "512m", "1g" (binary units, as runc's RAMInBytes). */
export function parseSize(v: string, flag: string): number {
  const m = /^(-?\d+)([kmgt]?)b?$/i.exec(v.trim());
  if (!m) throw new TsrunError(`invalid value ${JSON.stringify(v)} for --${flag}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * unit;
}
