import { readFileSync } from 'node:fs';
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
    if (code === 'ENOENT') throw new TsrunError(`config.json: no such file in bundle ${bundle}`, { code: 'ERR_NOT_FOUND', path: file, errno: 'ENOENT' });
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
