// Errors of the cgroup code. Every message names what failed (the file and
// the errno, or the linux.resources field and the host state) so the CLI can
// print it as is.
import { getSystemErrorMap } from 'node:util';
import { TsrunError, type ErrorCode } from '../errors.js';

export class CgroupError extends TsrunError {
  /**
   * `path`: the cgroup file or directory involved, when there is one;
   * `errno`: its errno name such as "EBUSY", when a system call failed;
   * `pointer`: the linux.resources field at fault.
   */
  constructor(message: string, path?: string, errno?: string, pointer?: string, code?: ErrorCode) {
    super(message, { code: code ?? (errno ? 'ERR_SYSCALL' : 'ERR_CONFIG_INVALID'), path, errno, pointer });
  }
}

/** "EINVAL (Invalid argument)" for a Node fs error (or a bare errno number). */
export function errnoText(err: unknown): { code: string; text: string } {
  const e = err as NodeJS.ErrnoException;
  const num = typeof err === 'number' ? -Math.abs(err) : e?.errno;
  const entry = typeof num === 'number' ? getSystemErrorMap().get(num < 0 ? num : -num) : undefined;
  const code = (typeof err === 'object' && e?.code) || entry?.[0] || 'EIO';
  const raw = entry?.[1] ?? e?.message?.replace(/^[A-Z]+: /, '').replace(/, .*$/, '') ?? String(err);
  return { code, text: raw.charAt(0).toUpperCase() + raw.slice(1) };
}

/** "write /sys/fs/cgroup/memory/x/memory.limit_in_bytes: EINVAL (Invalid argument)". */
export function ioError(op: string, path: string, err: unknown): CgroupError {
  const { code, text } = errnoText(err);
  return new CgroupError(`${op} ${path}: ${code} (${text})`, path, code);
}

/** An error about one linux.resources field: "linux.resources.<field>: <why>". */
export function fieldError(field: string, why: string, cause?: CgroupError): CgroupError {
  return new CgroupError(`linux.resources.${field}: ${why}`, cause?.path, cause?.errno, resourcePointer(field));
}

/** A linux.resources field this host cannot apply (no such controller, file or kernel feature). */
export function unsupportedField(field: string, why: string): CgroupError {
  return new CgroupError(`linux.resources.${field}: ${why}`, undefined, undefined, resourcePointer(field), 'ERR_UNSUPPORTED');
}

/** "memory.limit=5" -> "/linux/resources/memory/limit". */
export function resourcePointer(field: string): string {
  return '/linux/resources/' + field.replace(/=.*$/s, '').split('.').join('/');
}

/** errno name of an error thrown by the helpers in fsutil.ts (or Node fs). */
export function codeOf(err: unknown): string | undefined {
  return (err as { code?: string })?.code;
}
