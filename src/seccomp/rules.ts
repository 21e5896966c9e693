// Checks linux.seccomp and turns it into the compiler's rules: return
// values instead of action names, BigInt operands, and error messages that
// name the offending field. Nothing here depends on an architecture.
import { constants } from 'node:os';
import type { Seccomp } from '../spec/types.js';
import { configError } from '../errors.js';
import { SECCOMP } from './generated/syscalls.js';

export const EPERM = constants.errno.EPERM;
export const ENOSYS = constants.errno.ENOSYS;

export type CmpOp = 'NE' | 'LT' | 'LE' | 'EQ' | 'GE' | 'GT' | 'MASKED_EQ';

/** One argument test: args[index] <op> value (MASKED_EQ: (args[index] & value) == valueTwo). */
export interface Cmp {
  index: number;
  op: CmpOp;
  value: bigint;
  valueTwo: bigint;
}

/** One rule of the profile, for all the syscalls it names. No cmps: unconditional. */
export interface Rule {
  names: string[];
  ret: number;
  cmps: Cmp[];
  where: string;
  /** Index in linux.seccomp.syscalls. */
  entry: number;
}

export interface Profile {
  defaultRet: number;
  /** runc's "-ENOSYS stub": syscalls above the highest one named return ENOSYS. */
  enosysAboveKnown: boolean;
  /** In profile order: for one syscall, the first conditional rule that matches wins. */
  rules: Rule[];
  flags: number;
  notify: boolean;
}

const OPS: Record<string, CmpOp> = {
  SCMP_CMP_NE: 'NE',
  SCMP_CMP_LT: 'LT',
  SCMP_CMP_LE: 'LE',
  SCMP_CMP_EQ: 'EQ',
  SCMP_CMP_GE: 'GE',
  SCMP_CMP_GT: 'GT',
  SCMP_CMP_MASKED_EQ: 'MASKED_EQ',
};

/** Return values; ERRNO and TRACE carry 16 bits of data (the errno, or the tracer's message). */
const ACTIONS: Record<string, { ret: number; data: boolean }> = {
  SCMP_ACT_KILL: { ret: SECCOMP.RET_KILL_THREAD, data: false }, // libseccomp: KILL is KILL_THREAD
  SCMP_ACT_KILL_THREAD: { ret: SECCOMP.RET_KILL_THREAD, data: false },
  SCMP_ACT_KILL_PROCESS: { ret: SECCOMP.RET_KILL_PROCESS, data: false },
  SCMP_ACT_TRAP: { ret: SECCOMP.RET_TRAP, data: false },
  SCMP_ACT_ERRNO: { ret: SECCOMP.RET_ERRNO, data: true },
  SCMP_ACT_TRACE: { ret: SECCOMP.RET_TRACE, data: true },
  SCMP_ACT_ALLOW: { ret: SECCOMP.RET_ALLOW, data: false },
  SCMP_ACT_LOG: { ret: SECCOMP.RET_LOG, data: false },
  SCMP_ACT_NOTIFY: { ret: SECCOMP.RET_USER_NOTIF, data: false },
};

const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: SECCOMP.FILTER_FLAG_TSYNC,
  SECCOMP_FILTER_FLAG_LOG: SECCOMP.FILTER_FLAG_LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: SECCOMP.FILTER_FLAG_SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: SECCOMP.FILTER_FLAG_WAIT_KILLABLE_RECV,
};

const U64_MAX = (1n << 64n) - 1n;
const TWO_POW_64 = 2 ** 64;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function retFor(action: unknown, errnoRet: unknown, where: string, errnoField: string): number {
  const a = typeof action === 'string' && Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (!a) throw configError(where, `unknown action ${JSON.stringify(action)}`);
  if (errnoRet === undefined) return a.data ? (a.ret | EPERM) >>> 0 : a.ret;
  if (!a.data) throw configError(errnoField, `only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not ${action}`);
  if (typeof errnoRet !== 'number' || !Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > SECCOMP.RET_DATA) throw configError(errnoField, `must be an integer from 0 to ${SECCOMP.RET_DATA}`);
  return (a.ret | errnoRet) >>> 0;
}

/** A uint64 from JSON. JSON numbers above 2^53 arrive rounded; BigInt values are exact. */
function u64(v: unknown, where: string, warnings: string[]): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw configError(where, `${v} is not an unsigned 64-bit value`);
    return v;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw configError(where, 'must be an unsigned 64-bit integer');
  if (v > Number.MAX_SAFE_INTEGER) {
    // 2^64 - 1 written in JSON reads back as exactly 2^64.
    if (v > TWO_POW_64) throw configError(where, `${v} is not an unsigned 64-bit value`);
    warnings.push(`${where}: ${v} is above 2^53 and was rounded when config.json was parsed`);
    return v === TWO_POW_64 ? U64_MAX : BigInt(v);
  }
  return BigInt(v);
}

function parseCmp(a: unknown, where: string, warnings: string[]): Cmp {
  if (!isObject(a)) throw configError(where, 'must be an object');
  const { index, op } = a;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) throw configError(`${where}/index`, 'must be an integer from 0 to 5');
  const cop = typeof op === 'string' && Object.hasOwn(OPS, op) ? OPS[op] : undefined;
  if (!cop) throw configError(`${where}/op`, `unknown operator ${JSON.stringify(op)}`);
  const value = u64(a.value, `${where}/value`, warnings);
  const valueTwo = a.valueTwo === undefined ? 0n : u64(a.valueTwo, `${where}/valueTwo`, warnings);
  return { index, op: cop, value, valueTwo };
}

export function parseProfile(seccomp: Seccomp, warnings: string[]): Profile {
  const base = '/linux/seccomp';
  if (!isObject(seccomp)) throw configError(base, 'must be an object');
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') throw configError(`${base}/defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action (the runtime itself must keep running)');
  const defaultRet = retFor(seccomp.defaultAction, seccomp.defaultErrnoRet, `${base}/defaultAction`, `${base}/defaultErrnoRet`);

  let flags = 0;
  if (seccomp.flags !== undefined && !Array.isArray(seccomp.flags)) throw configError(`${base}/flags`, 'must be an array');
  (seccomp.flags ?? []).forEach((f, i) => {
    const v = typeof f === 'string' && Object.hasOwn(FLAGS, f) ? FLAGS[f] : undefined;
    if (v === undefined) throw configError(`${base}/flags/${i}`, `unknown flag ${JSON.stringify(f)}`);
    flags |= v;
  });

  const rules: Rule[] = [];
  let notify = false;
  const syscalls = seccomp.syscalls ?? [];
  if (!Array.isArray(syscalls)) throw configError(`${base}/syscalls`, 'must be an array');
  syscalls.forEach((s, i) => {
    const where = `${base}/syscalls/${i}`;
    if (!isObject(s)) throw configError(where, 'must be an object');
    const names = s.names;
    if (!Array.isArray(names) || names.length === 0) throw configError(`${where}/names`, 'must list at least one syscall');
    for (let j = 0; j < names.length; j++) if (typeof names[j] !== 'string' || names[j] === '') throw configError(`${where}/names/${j}`, 'must be a syscall name');
    const ret = retFor(s.action, s.errnoRet, `${where}/action`, `${where}/errnoRet`);
    if (ret === SECCOMP.RET_USER_NOTIF) {
      // Any syscall, write included: the init makes none the filter could
      // hold before the agent has the fd (the executor's OP_LISTENER_HELPER).
      notify = true;
    }
    const args = s.args ?? [];
    if (!Array.isArray(args)) throw configError(`${where}/args`, 'must be an array');
    const cmps = args.map((a, k) => parseCmp(a, `${where}/args/${k}`, warnings));
    const seen = new Set<number>();
    const repeated = cmps.some((c) => seen.size === seen.add(c.index).size);
    if (repeated) {
      // runc (and crun, youki) turn every condition into a rule of its own
      // when one argument is compared twice, so they are ORed, not ANDed.
      // Profiles are written against that behaviour; keep it.
      warnings.push(`${where}/args: an argument is compared more than once; as in runc, each condition becomes its own rule (they are ORed)`);
      cmps.forEach((c, k) => rules.push({ names, ret, cmps: [c], where: `${where}/args/${k}`, entry: i }));
    } else rules.push({ names, ret, cmps, where, entry: i });
  });

  if (notify) {
    flags |= SECCOMP.FILTER_FLAG_NEW_LISTENER;
    // The kernel refuses TSYNC with a listener unless told to report a
    // sibling thread conflict as ESRCH instead of its thread id.
    if (flags & SECCOMP.FILTER_FLAG_TSYNC) flags |= SECCOMP.FILTER_FLAG_TSYNC_ESRCH;
    if (typeof seccomp.listenerPath !== 'string' || seccomp.listenerPath === '') throw configError(`${base}/listenerPath`, 'seccomp listenerPath is not set (SCMP_ACT_NOTIFY needs a listener socket)');
  } else if (flags & SECCOMP.FILTER_FLAG_WAIT_KILLABLE_RECV) {
    // Only meaningful with a listener; the kernel rejects it (EINVAL) otherwise.
    flags &= ~SECCOMP.FILTER_FLAG_WAIT_KILLABLE_RECV;
    warnings.push(`${base}/flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no SCMP_ACT_NOTIFY rule`);
  }
  if (seccomp.listenerMetadata !== undefined && !seccomp.listenerPath) throw configError(`${base}/listenerMetadata`, 'must not be set without listenerPath');

  // runc adds its stub unless the default action lets calls through anyway
  // (ALLOW, LOG, and TRACE: a tracer handles unknown syscalls itself).
  const action = seccomp.defaultAction;
  const enosysAboveKnown = action !== 'SCMP_ACT_ALLOW' && action !== 'SCMP_ACT_LOG' && action !== 'SCMP_ACT_TRACE';
  return { defaultRet, enosysAboveKnown, rules, flags, notify };
}
