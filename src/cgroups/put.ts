import { CgroupError, fieldError } from './errors.js';
import { writeCg } from './fsutil.js';

/** A linux.resources field is set (null and absent both mean "leave it"). */
export const set = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** Writes one cgroup file for one linux.resources field; a failure names the field and the value. */
export function put(dir: string, file: string, value: string, field: string): void {
  try {
    writeCg(dir, file, value);
  } catch (err) {
    if (err instanceof CgroupError) throw fieldError(`${field}=${value}`, err.message, err);
    throw err;
  }
}
