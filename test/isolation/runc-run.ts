// runc, when installed, on a bundle a test made: for the tests that compare.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { uniqueId, type Teardown } from '../helpers.js';

/** Why runc cannot be compared here, or false when it can. */
export const NO_RUNC: string | false = spawnSync('runc', ['--version']).status === 0 ? false : 'runc is not installed';

/** `runc run` of the bundle in dir, with a root of its own, removed on teardown. */
export function runcRun(t: Teardown, dir: string) {
  const root = mkdtempSync('/tmp/tsrun-test-root-runc-');
  const id = uniqueId('spec13-runc');
  t.teardown(() => {
    spawnSync('runc', ['--root', root, 'delete', '--force', id]);
    rmSync(root, { recursive: true, force: true });
  });
  return spawnSync('runc', ['--root', root, 'run', '--bundle', dir, id], { encoding: 'utf8', timeout: 30_000 });
}
