import { Op } from '../native/generated/instruction-set.js';

/** linux.readonlyPaths: each bound onto itself and remounted read-only (missing paths are skipped). */
export function planReadonlyPaths(paths: readonly string[] = []): Op[] {
  return paths.map((p) => Op.readonlyPath(`make ${p} read-only`, { path: p }));
}

/** linux.maskedPaths: an empty read-only tmpfs over directories, /dev/null over files. */
export function planMaskedPaths(paths: readonly string[] = []): Op[] {
  return paths.map((p) => Op.maskPath(`mask ${p}`, { path: p }));
}
