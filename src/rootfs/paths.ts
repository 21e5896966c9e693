import { op, type Op } from '../plan/op.js';
import { OpCode } from '../plan/opcodes.js';

/** linux.readonlyPaths: each bound onto itself and remounted read-only (missing paths are skipped). */
export function planReadonlyPaths(paths: readonly string[] = []): Op[] {
  return paths.map((p) => op(OpCode.READONLY_PATH, `make ${p} read-only`, [p]));
}

/** linux.maskedPaths: an empty read-only tmpfs over directories, /dev/null over files. */
export function planMaskedPaths(paths: readonly string[] = []): Op[] {
  return paths.map((p) => op(OpCode.MASK_PATH, `mask ${p}`, [p]));
}
