import { ESCAPED_ROOT } from './generated/instruction-set.js';
import { errnoName as libcErrnoName } from '../errors.js';

/** The errno name an executor reports ("ENOENT"), or what its own pseudo errno ESCAPED_ROOT means. */
export function errnoName(errno: number): string {
  if (errno === ESCAPED_ROOT) return 'path resolves outside the container root';
  return libcErrnoName(errno);
}
