// Generators rewrite a file only when its text changes, so that make sees an
// unchanged timestamp and does not rebuild what depends on it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeIfChanged(file, text) {
  mkdirSync(dirname(file), { recursive: true });
  let old = null;
  try {
    old = readFileSync(file, 'utf8');
  } catch {}
  if (old === text) return;
  writeFileSync(file + '.tmp', text);
  renameSync(file + '.tmp', file);
}
