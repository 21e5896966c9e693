import { TsrunError } from '../errors.js';
import type { Op } from './op.js';
import { MAX_PLAN_BYTES, PLAN_VERSION } from './opcodes.js';

/**
 * Serialises ops into the executor's binary plan format (see the header of
 * src/native/executor.c): "TSRP", version 2, op count, then each op as
 * u16 code, u16 flags, u32 argc, and its tagged arguments. A plan the
 * executor would refuse as too large is refused here, before anything runs.
 */
export function encodePlan(ops: readonly Op[]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.write('TSRP', 0, 'latin1');
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

function encodeArg(a: number | bigint | string | Uint8Array): Buffer {
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
