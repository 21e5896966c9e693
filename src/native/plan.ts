import { TsrunError } from '../errors.js';
import { errnoName } from './errno.js';
import { MAX_PLAN_BYTES, OP_NAMES, PLAN_MAGIC, PLAN_VERSION, type Op, type OpArg } from './generated/instruction-set.js';

/**
 * Serialises ops into the executor's binary plan format (the `plan` layout
 * in src/native/instruction-set.mjs): magic, version, op count, then each op
 * as u16 code, u16 flags, u32 argc, and its tagged arguments. A plan the
 * executor would refuse as too large is refused here, before anything runs.
 */
export function encodePlan(ops: readonly Op[]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.write(PLAN_MAGIC, 0, 'latin1');
  head.writeUInt32LE(PLAN_VERSION, 4);
  head.writeUInt32LE(ops.length, 8);
  parts.push(head);
  let size = head.length;
  for (const o of ops) {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(o.code, 0);
    h.writeUInt16LE(o.flags, 2);
    h.writeUInt32LE(o.args.length, 4);
    parts.push(h);
    for (const a of o.args) {
      const b = encodeArg(a);
      size += b.length;
      parts.push(b);
    }
    size += 8;
    if (size > MAX_PLAN_BYTES) {
      throw new TsrunError(`the config needs a plan of more than ${MAX_PLAN_BYTES >> 20} MiB (${ops.length} steps), more than the executor reads: make it smaller`, { code: 'ERR_CONFIG_INVALID' });
    }
  }
  return Buffer.concat(parts);
}

function encodeArg(a: OpArg): Buffer {
  if (typeof a === 'number' || typeof a === 'bigint') {
    const b = Buffer.alloc(9);
    b[0] = 0;
    b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 1);
    return b;
  }
  const bytes = typeof a === 'string' ? Buffer.from(a + '\0', 'utf8') : Buffer.from(a);
  const b = Buffer.alloc(5);
  b[0] = 1;
  b.writeUInt32LE(bytes.length, 1);
  return Buffer.concat([b, bytes]);
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
