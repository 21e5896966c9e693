// For the library tests: a Runtime on a private root that deletes whatever
// is left in it on teardown, and a spec of the busybox image to edit.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Runtime, type RuntimeOptions } from '../../src/index.js';
import type { Spec } from '../../src/spec/types.js';
import { baseSpec, ROOTFS, tsrun, type Teardown } from '../helpers.js';

export { ROOTFS };

export function testRuntime(t: Teardown, opts: Omit<RuntimeOptions, 'root'> = {}): Runtime {
  const root = mkdtempSync('/tmp/tsrun-test-lib-root-');
  t.teardown(async () => {
    for (const id of existsSync(root) ? readdirSync(root) : []) await tsrun(['--root', root, 'delete', '--force', id]);
    rmSync(root, { recursive: true, force: true });
  });
  return new Runtime({ root, ...opts });
}

/** The busybox config running `sh -c script`, no terminal, rootfs shared read-only. */
export function shSpec(script: string, edit: (s: Spec) => void = () => {}): Spec {
  const s = baseSpec();
  s.root = { path: ROOTFS, readonly: true };
  s.process!.terminal = false;
  s.process!.args = ['sh', '-c', script];
  edit(s);
  return s;
}
