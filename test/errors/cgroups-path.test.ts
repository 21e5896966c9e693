// cgroupsPath values the kernel cannot take are refused before any cgroup
// directory is made (issue 13, section 2 item 7).
import t from 'tap';
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { cgroupDirsNamed, makeBundle, stateRoot, uniqueId } from '../helpers.js';

t.test('a NUL byte in cgroupsPath: refused, no parent cgroup left behind', async (t) => {
  const { root, run } = stateRoot(t);
  const parent = uniqueId('integ2-nul');
  const { dir } = makeBundle(t, (s) => (s.linux!.cgroupsPath = `/${parent}/a\u0000b`));
  // Before the fix a parent directory stayed in every hierarchy: remove it (it is empty).
  t.teardown(() => {
    for (const d of cgroupDirsNamed(parent)) rmdirSync(d);
  });
  const r = await run(['create', '--bundle', dir, uniqueId('integ2-nul-c')]);
  t.equal(r.code, 1, 'exit status 1');
  t.match(r.stderr, /config\.json: \/linux\/cgroupsPath: .* contains a NUL byte/, 'names the field');
  t.same(cgroupDirsNamed(parent), [], 'no cgroup directory made');
  t.same(existsSync(root) ? readdirSync(root) : [], [], 'no state left');
});
