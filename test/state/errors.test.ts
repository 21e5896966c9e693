// Failures of the state root itself are reported as what they are, never
// taken for "no container" (which would let delete --force exit 0 having
// deleted nothing) or misreported.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, TSRUN, tsrun } from '../helpers.js';

t.test('delete --force by a user who cannot read the state root fails with EACCES and removes nothing', async (t) => {
  const root = tempDir(t, 'state-eacces');
  mkdirSync(join(root, 'c1'));
  writeFileSync(join(root, 'c1', 'state.json'), '{}');
  chmodSync(root, 0o700);
  const r = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', TSRUN, '--root', root, 'delete', '--force', 'c1'], { encoding: 'utf8' });
  t.not(r.status, 0, 'delete --force fails');
  t.match(r.stderr, /EACCES/, 'and says why');
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  t.ok(existsSync(join(root, 'c1', 'state.json')), 'the state is still there');
});

t.test('--root on a read-only filesystem reports EROFS', async (t) => {
  const dir = tempDir(t, 'state-erofs');
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  t.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tsrun-test-erofs', ro]).status, 0, 'a read-only tmpfs');
  t.teardown(() => void spawnSync('umount', ['-l', ro]));
  const bundle = join(import.meta.dirname, '../../bundles/busybox');
  const r = await tsrun(['--root', join(ro, 'tsrun'), 'create', '--bundle', bundle, 'c1']);
  t.equal(r.code, 1);
  t.match(r.stderr, /EROFS/, `the error says EROFS: ${r.stderr.trim()}`);
  t.notMatch(r.stderr, /ENOENT/);
});
