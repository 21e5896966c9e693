import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, isAbsolute } from 'node:path';
import { TsrunError } from '../errors.js';
import type { Spec } from './types.js';
import { validateSpec } from './validate.js';

export interface LoadedBundle {
  bundle: string;
  spec: Spec;
  /** Absolute path of the root filesystem. */
  rootfs: string;
}

/** Reads, parses and validates BUNDLE/config.json. Every failure names the file. */
export function loadBundle(bundleDir: string): LoadedBundle {
  const bundle = resolve(bundleDir);
  const file = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // runc's words first (scripts match them), then which bundle.
    if (code === 'ENOENT' && !existsSync(bundle)) throw new TsrunError(`chdir ${bundle}: no such file or directory`, { code: 'ERR_NOT_FOUND', syscall: 'chdir', path: bundle, errno: 'ENOENT' });
    if (code === 'ENOENT') throw new TsrunError(`JSON specification file config.json not found in bundle ${bundle}`, { code: 'ERR_NOT_FOUND', path: file, errno: 'ENOENT' });
    throw new TsrunError(`config.json: cannot read ${file}: ${code}`, { code: 'ERR_SYSCALL', syscall: 'open', path: file, errno: code });
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    throw new TsrunError(`config.json: invalid JSON: ${(e as Error).message}`, { code: 'ERR_CONFIG_INVALID', pointer: '', path: file });
  }
  validateSpec(spec, { bundle, file: 'config.json' });
  const s = spec as Spec;
  const root = s.root!.path;
  return { bundle, spec: s, rootfs: isAbsolute(root) ? root : join(bundle, root) };
}

/**
 * A config given in memory (the library's `spec` option): the same checks
 * and pointers as a bundle's config.json, on a copy the caller cannot change
 * afterwards. `rootfs`, when given, is the root filesystem (it replaces
 * /root/path); otherwise /root/path resolves against the bundle directory.
 */
export function loadSpec(given: unknown, bundleDir: string, rootfs?: string): LoadedBundle {
  const bundle = resolve(bundleDir);
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new TsrunError('spec: must be an object (a runtime-spec config)', { code: 'ERR_CONFIG_INVALID', pointer: '' });
  }
  let spec: Spec;
  try {
    spec = structuredClone(given) as Spec;
  } catch (e) {
    throw new TsrunError(`spec: cannot be copied: ${(e as Error).message}`, { code: 'ERR_CONFIG_INVALID', pointer: '', cause: e });
  }
  if (rootfs !== undefined) spec.root = { ...spec.root, path: resolve(rootfs) };
  validateSpec(spec, { bundle, file: 'spec' });
  const root = spec.root!.path;
  return { bundle, spec, rootfs: isAbsolute(root) ? root : join(bundle, root) };
}
