// Errors of the cgroup code. Every message names what failed (the file and
// the errno, or the linux.resources field and the host state) so the CLI can
// print it as is.
import { TsrunError, errnoInfo, formatErrno, type ErrorCode } from '../errors.js';

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

/** "write /sys/fs/cgroup/memory/x/memory.limit_in_bytes: EINVAL (Invalid argument)". */
export function ioError(op: string, path: string, err: unknown): CgroupError {
  return new CgroupError(`${op} ${path}: ${formatErrno(err)}`, path, errnoInfo(err).code);
}

/**
 * Why a cgroup refused a process with EBUSY: cgroup v2's "no internal
 * processes" rule (v1 has no such refusal).
 */
export function whyBusy(dir: string): string {
  return `${dir} has controllers enabled for its children (cgroup.subtree_control), so it cannot hold processes`;
}

/** An error about one linux.resources field: "/linux/resources/<field>: <why>". */
export function fieldError(field: string, why: string, cause?: CgroupError): CgroupError {
  return new CgroupError(`${resourceLabel(field)}: ${why}`, cause?.path, cause?.errno, resourcePointer(field));
}

/** A linux.resources field this host cannot apply (no such controller, file or kernel feature). */
export function unsupportedField(field: string, why: string): CgroupError {
  return new CgroupError(`${resourceLabel(field)}: ${why}`, undefined, undefined, resourcePointer(field), 'ERR_UNSUPPORTED');
}

/**
 * The JSON pointer of a field named as the cgroup code names them:
 * "memory.limit=5" -> "/linux/resources/memory/limit",
 * "hugepageLimits[0].pageSize" -> ".../hugepageLimits/0/pageSize",
 * 'unified["memory.high"]' -> ".../unified/memory.high" (RFC 6901 escapes).
 */
export function resourcePointer(field: string): string {
  const parts: string[] = [];
  const key = field.replace(/=.*$/s, '');
  for (const m of key.matchAll(/\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.[]+)/g)) parts.push(m[1] ?? m[2] ?? m[3]!);
  return '/linux/resources/' + parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

/** How messages name a field and the value written: "memory.limit=5" -> "/linux/resources/memory/limit=5". */
export function resourceLabel(field: string): string {
  const eq = field.indexOf('=');
  return resourcePointer(field) + (eq < 0 ? '' : field.slice(eq));
}

/** errno name of an error thrown by the helpers in fsutil.ts (or Node fs). */
export function codeOf(err: unknown): string | undefined {
  return (err as { code?: string })?.code;
}
