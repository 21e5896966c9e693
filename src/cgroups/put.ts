import { CgroupError, fieldError } from './errors.js';
import { writeCgEach } from './fsutil.js';

/** A linux.resources field is set (null and absent both mean "leave it"). */
export const set = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** Writes one cgroup file for one linux.resources field; a failure names the field and the value. */
export function put(dir: string, file: string, value: string, field: string): void {
  putEach(dir, file, [value], field);
}

/** Writes several values of one field to one file, through one descriptor; a failure names the value refused. */
export function putEach(dir: string, file: string, values: string[], field: string): void {
  let refused: string | undefined;
  try {
    writeCgEach(dir, file, values, (v) => (refused = v));
  } catch (err) {
    if (err instanceof CgroupError) throw fieldError(`${field}=${refused ?? values[0]}`, err.message, err);
    throw err;
  }
}
