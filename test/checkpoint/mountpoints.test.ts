// Restore into a fresh copy of the rootfs, one without the mount points the
// first create made (podman's `restore --import`, a migration): restore
// makes them, as runc does, a file for a bound file and a directory for a
// bound directory with its parents, and CRIU mounts onto them. Before, CRIU failed with "Can't stat mountpoint".
import t from 'tap';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, tempDir, tsrun, uniqueId } from '../helpers.js';
import { CRIU, countsPast, skip, tsrunQuiet } from './criu.js';

t.test('restore makes the mount points a fresh rootfs lacks', { skip }, async (t) => {
  const { root } = stateRoot(t);
  const host = tempDir(t, 'criu-mp');
  writeFileSync(join(host, 'marker'), 'from the host\n');
  mkdirSync(join(host, 'data'));
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'i=0; while true; do echo $i > /deep/er/data/counter; i=$((i+1)); sleep 0.1; done'];
    s.mounts!.push(
      { destination: '/etc/marker', type: 'bind', source: join(host, 'marker'), options: ['rbind', 'ro'] },
      { destination: '/deep/er/data', type: 'bind', source: join(host, 'data'), options: ['rbind', 'rw'] },
    );
  });
  const id = uniqueId('cr-mp');
  t.equal((await tsrunQuiet(['--root', root, 'run', '-d', '--bundle', dir, id])).code, 0, 'started');
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', id]).then(() => {}));
  t.ok(await countsPast(join(host, 'data', 'counter'), 3), 'counting into the bound directory');
  const images = join(tempDir(t, 'criu-img'), 'img');
  const c = await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--image-path', images, id]);
  t.equal(c.code, 0, c.stderr);

  // A copy of the bundle whose rootfs lacks both mount points.
  const b = mkdtempSync('/tmp/tsrun-test-bundle-');
  t.teardown(() => rmSync(b, { recursive: true, force: true }));
  cpSync(dir, b, { recursive: true, verbatimSymlinks: true });
  rmSync(join(b, 'rootfs', 'etc', 'marker'), { force: true });
  rmSync(join(b, 'rootfs', 'deep'), { recursive: true, force: true });
  t.notOk(existsSync(join(b, 'rootfs', 'etc', 'marker')), 'no /etc/marker in the copy');

  const rid = uniqueId('cr-mp-copy');
  const r = await tsrunQuiet(['--root', root, '--criu', CRIU, 'restore', '-d', '--image-path', images, '--bundle', b, rid]);
  t.equal(r.code, 0, `restored into the fresh rootfs ${r.stderr}`);
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', rid]).then(() => {}));
  t.ok(lstatSync(join(b, 'rootfs', 'etc', 'marker')).isFile(), 'a file was made for the bound file');
  t.ok(lstatSync(join(b, 'rootfs', 'deep', 'er', 'data')).isDirectory(), 'a directory (and its parents) for the bound directory');
  const e = await tsrun(['--root', root, 'exec', rid, 'cat', '/etc/marker']);
  t.equal(e.stdout, 'from the host\n', 'the bind mount is in place after restore');
  const before = Number(readFileSync(join(host, 'data', 'counter'), 'utf8'));
  t.ok(await countsPast(join(host, 'data', 'counter'), before), 'and the count goes on in the bound directory');
});
