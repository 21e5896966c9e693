import { TsrunError } from '../errors.js';
import { errnoName } from './errno.js';
import { MAX_PLAN_BYTES, OP_NAMES, PLAN_MAGIC, PLAN_VERSION, type Op, type OpArg } from './generated/instruction-set.js';

/**
 * Serialises ops into the executor's binary plan format (the `plan` layout
 * in src/native/instruction-set.mjs): magic, version, op count, then each op
 * as u16 code, u16 flags, u32 argc, and its tagged arguments. A plan the
 * executor would refuse as too large is refused here, before anything runs.
 * Sized first, then written into one buffer: a buffer per argument made
 * this the largest allocation of a create (hundreds of small ArrayBuffers).
 */
export function encodePlan(ops: readonly Op[]): Buffer {
  let size = 12;
  for (const o of ops) {
    size += 8;
    for (const a of o.args) size += argSize(a);
    if (size > MAX_PLAN_BYTES) {
      throw new TsrunError(`the config needs a plan of more than ${MAX_PLAN_BYTES >> 20} MiB (${ops.length} steps), more than the executor reads: make it smaller`, { code: 'ERR_CONFIG_INVALID' });
    }
  }
  const out = Buffer.alloc(size);
  out.write(PLAN_MAGIC, 0, 'latin1');
  out.writeUInt32LE(PLAN_VERSION, 4);
  out.writeUInt32LE(ops.length, 8);
  let at = 12;
  for (const o of ops) {
    out.writeUInt16LE(o.code, at);
    out.writeUInt16LE(o.flags, at + 2);
    out.writeUInt32LE(o.args.length, at + 4);
    at += 8;
    for (const a of o.args) at = writeArg(out, at, a);
  }
  return out;
}

/** Numbers: a 0 tag and a u64. Bytes: a 1 tag, a u32 length, the bytes (a string's with its NUL). */
function argSize(a: OpArg): number {
  if (typeof a === 'number' || typeof a === 'bigint') return 9;
  return 5 + (typeof a === 'string' ? Buffer.byteLength(a, 'utf8') + 1 : a.length);
}

function writeArg(out: Buffer, at: number, a: OpArg): number {
  if (typeof a === 'number' && Number.isSafeInteger(a) && a >= 0) {
    out[at] = 0;
    out.writeUInt32LE(a % 2 ** 32, at + 1); // two halves: no BigInt to allocate for the common case
    out.writeUInt32LE(Math.floor(a / 2 ** 32), at + 5);
    return at + 9;
  }
  if (typeof a === 'number' || typeof a === 'bigint') {
    out[at] = 0;
    out.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), at + 1);
    return at + 9;
  }
  out[at] = 1;
  if (typeof a === 'string') {
    const n = out.write(a, at + 5, 'utf8');
    out[at + 5 + n] = 0; // already 0 (alloc): the NUL the executor reads strings by
    out.writeUInt32LE(n + 1, at + 1);
    return at + 5 + n + 1;
  }
  out.set(a, at + 5);
  out.writeUInt32LE(a.length, at + 1);
  return at + 5 + a.length;
}

/** The executor's name in op order: "MOUNT", "PIVOT_ROOT" (`op<code>` for a code it does not know). */
export function opName(code: number): string {
  return OP_NAMES[code] || `op${code}`;
}

/**
 * The error for a MSG_BAD_PLAN line's fields ("<errno> <at>[ <op>]"): the
 * executor read no op of the plan, so no op failed. `<op>` names an op
 * whose code, flags or arguments do not match the instruction set.
 */
export function planRefused(fields: string, executor: string): TsrunError {
  const [errno = 0, at = 0, op] = fields.split(' ').map(Number);
  const name = errnoName(errno);
  let where = errno === 74 /* EBADMSG */ ? ` at byte ${at - 1}` : '';
  if (op !== undefined) where = ` at op ${op}, which does not match the instruction set (code, flags, argument count or kinds)${where}`;
  return new TsrunError(`tsrun-executor refused the plan: ${name}${where} (is ${executor} from this build of tsrun?)`, { code: 'ERR_SYSCALL', errno: name, ...(op !== undefined ? { op } : {}) });
}
