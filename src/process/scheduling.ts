// process.scheduler, process.ioPriority and process.execCPUAffinity, and
// linux.personality: the values the executor's ops take (config-linux.md,
// config.md). Checked here, so a bad value is refused naming its field.
import { configError } from '../errors.js';
import { Op } from '../native/generated/instruction-set.js';
import type { Process, Spec } from '../spec/types.js';

const POLICIES: Record<string, number> = {
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
};
const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x1,
  SCHED_FLAG_RECLAIM: 0x2,
  SCHED_FLAG_DL_OVERRUN: 0x4,
  SCHED_FLAG_KEEP_POLICY: 0x8,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};
const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
const PERSONALITIES: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

/** "0-3,7" -> a cpu_set_t-sized mask (1024 CPUs), for sched_setaffinity. */
export function cpuMask(list: string, field: string): Buffer {
  const mask = Buffer.alloc(128);
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || hi < lo || hi >= 1024) throw configError(field, `${JSON.stringify(list)} is not a CPU list such as "0-3,7"`);
    for (let c = lo; c <= hi; c++) mask[c >> 3]! |= 1 << (c & 7);
  }
  return mask;
}

/** Scheduler and I/O priority ops, run as root before the credentials drop (RT classes need CAP_SYS_NICE/ADMIN). */
export function planSchedulingAsRoot(proc: Process, at = '/process'): Op[] {
  const ops: Op[] = [];
  const s = proc.scheduler;
  if (s) {
    const policy = POLICIES[s.policy];
    if (policy === undefined) throw configError(`${at}/scheduler/policy`, `unknown policy ${JSON.stringify(s.policy)}`);
    let flags = 0;
    (s.flags ?? []).forEach((f, i) => {
      const bit = SCHED_FLAGS[f];
      if (bit === undefined) throw configError(`${at}/scheduler/flags/${i}`, `unknown flag ${JSON.stringify(f)}`);
      flags |= bit;
    });
    ops.push(
      Op.sched(`sched_setattr ${s.policy} nice=${s.nice ?? 0} priority=${s.priority ?? 0}`, {
        policy,
        flags,
        nice: s.nice ?? 0,
        priority: s.priority ?? 0,
        runtime: BigInt(s.runtime ?? 0),
        deadline: BigInt(s.deadline ?? 0),
        period: BigInt(s.period ?? 0),
      }),
    );
  }
  const io = proc.ioPriority;
  if (io) {
    const cls = IOPRIO_CLASSES[io.class];
    if (cls === undefined) throw configError(`${at}/ioPriority/class`, `unknown class ${JSON.stringify(io.class)}`);
    const level = io.priority ?? 0;
    if (!Number.isInteger(level) || level < 0 || level > 7) throw configError(`${at}/ioPriority/priority`, `${level} is not 0 to 7`);
    ops.push(Op.ioprio(`ioprio_set ${io.class} ${level}`, { value: (cls << 13) | level }));
  }
  return ops;
}

/** execCPUAffinity.initial: set in the executor before the clone, so the child starts there. */
export function planInitialAffinity(proc: Process | undefined, at = '/process'): Op[] {
  const list = proc?.execCPUAffinity?.initial;
  return list ? [Op.affinity(`CPU affinity ${list} (initial)`, { mask: cpuMask(list, `${at}/execCPUAffinity/initial`) })] : [];
}

/** execCPUAffinity.final: set in the process itself, after it joined the container's cgroup. */
export function planFinalAffinity(proc: Process, at = '/process'): Op[] {
  const list = proc.execCPUAffinity?.final;
  return list ? [Op.affinity(`CPU affinity ${list} (final)`, { mask: cpuMask(list, `${at}/execCPUAffinity/final`) })] : [];
}

/** linux.personality: the execution domain of the init (LINUX32: uname -m says i686). */
export function planPersonality(p: NonNullable<Spec['linux']>['personality']): Op[] {
  if (!p) return [];
  const persona = PERSONALITIES[p.domain ?? 'LINUX'];
  if (persona === undefined) throw configError('/linux/personality/domain', `${JSON.stringify(p.domain)} is not LINUX or LINUX32`);
  if (p.flags?.length) throw configError('/linux/personality/flags', 'no personality flags are defined by the spec; give none');
  return [Op.personality(`personality ${p.domain}`, { persona })];
}
