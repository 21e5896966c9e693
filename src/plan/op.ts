import { OpCode } from './opcodes.js';

/** One executor argument: a 64-bit integer, or bytes (strings get a trailing NUL). */
export type OpArg = number | bigint | string | Uint8Array;

/**
 * One step of a plan. `what` is the human description used by
 * `create --dry-run` and in error messages ("mount proc on /proc").
 */
export interface Op {
  code: OpCode;
  flags: number;
  args: OpArg[];
  what: string;
}

export function op(code: OpCode, what: string, args: OpArg[] = [], flags = 0): Op {
  return { code, flags, args, what };
}
