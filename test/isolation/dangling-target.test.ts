// A mount target that is a dangling symlink (issue 13, section 2 item 9):
// as runc does, what the link points to is created inside the rootfs and
// mounted on; an absolute or climbing link never leads out of the rootfs.
import t from 'tap';
import { existsSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, tempDir, uniqueId } from '../helpers.js';

t.test('dangling symlinks as mount targets: their targets are made inside the rootfs', async (t) => {
  const { run } = stateRoot(t);
  const tag = uniqueId('integ2-dangle');
  const src = join(tempDir(t, 'integ2-dangle'), 'file');
  writeFileSync(src, 'from the host\n');
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', `grep -o " /${tag}[^ ]*" /proc/self/mountinfo; cat /${tag}-f/file`];
    s.mounts!.push(
      { destination: '/abs-link', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/rel-link', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/file-link', type: 'bind', source: src, options: ['bind'] },
    );
  });
  symlinkSync(`/${tag}-abs/a/b`, join(rootfs, 'abs-link'));
  symlinkSync(`../../${tag}-rel/c`, join(rootfs, 'rel-link'));
  symlinkSync(`/${tag}-f/file`, join(rootfs, 'file-link'));
  const r = await run(['run', '--bundle', dir, uniqueId('integ2-dangle-c')]);
  t.equal(r.code, 0, r.stderr);
  t.same(r.stdout.split('\n').filter(Boolean), [` /${tag}-abs/a/b`, ` /${tag}-rel/c`, ` /${tag}-f/file`, 'from the host'], 'mounted on the link targets');
  t.ok(statSync(join(rootfs, `${tag}-abs/a/b`)).isDirectory(), 'absolute target made inside the rootfs');
  t.ok(statSync(join(rootfs, `${tag}-rel/c`)).isDirectory(), 'climbing relative target made inside the rootfs');
  t.ok(statSync(join(rootfs, `${tag}-f/file`)).isFile(), 'file target made inside the rootfs');
  for (const p of [`/${tag}-abs`, `/${tag}-rel`, `/${tag}-f`, join(dir, `${tag}-rel`)]) t.notOk(existsSync(p), `nothing made outside the rootfs: ${p}`);
});
