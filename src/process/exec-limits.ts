import { TsrunError } from '../errors.js';
import type { Process } from '../spec/types.js';

// What execve(2) accepts, as fs/exec.c checks it (bprm_stack_limits,
// copy_strings): checked here so that a config the kernel would refuse gets
// an error naming the field, before anything is created.

/** MAX_ARG_STRLEN: one argument or environment string, with its NUL. */
export const MAX_ARG_STRLEN = 32 * 4096;
/** ARG_MAX: the least room exec gives, whatever the stack limit. */
const ARG_MAX = 32 * 4096;
/** _STK_LIM / 4 * 3: the most room exec gives, whatever the stack limit. */
const MOST = ((8 * 1024 * 1024) / 4) * 3;

/**
 * Throws when exec would fail with E2BIG. stackSoft is the RLIMIT_STACK soft
 * limit the process execs with (Infinity when unlimited): exec allows a
 * quarter of it for the strings and their pointers.
 */
export function checkExecSize(proc: Process, stackSoft: number, at = '/process'): void {
  const args = proc.args ?? [];
  const env = proc.env ?? [];
  let bytes = 0;
  const each = (list: string[], field: string) =>
    list.forEach((s, i) => {
      const n = Buffer.byteLength(s) + 1;
      if (n > MAX_ARG_STRLEN) {
        throw new TsrunError(`${at}/${field}/${i}: ${n} bytes, more than the ${MAX_ARG_STRLEN} bytes exec accepts for one string (MAX_ARG_STRLEN)`, {
          code: 'ERR_CONFIG_INVALID',
          pointer: `${at}/${field}/${i}`,
        });
      }
      bytes += n;
    });
  each(args, 'args');
  each(env, 'env');
  // The kernel also copies the program's path (at most PATH_MAX).
  bytes += Buffer.byteLength(args[0] ?? '') + 1;
  const room = Math.max(Math.min(MOST, Math.floor(stackSoft / 4)), ARG_MAX);
  const pointers = (Math.max(args.length, 1) + env.length) * 8;
  if (pointers + bytes > room) {
    throw new TsrunError(
      `${at}/args and ${at}/env: ${args.length} arguments and ${env.length} variables take ${pointers + bytes} bytes with their pointers, ` +
        `more than the ${room} bytes exec accepts (a quarter of RLIMIT_STACK ${Number.isFinite(stackSoft) ? stackSoft : 'unlimited'}, between ${ARG_MAX} and ${MOST})`,
      { code: 'ERR_CONFIG_INVALID', pointer: `${at}/env` },
    );
  }
}
