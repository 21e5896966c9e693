// cgroupsPath naming a cgroup that is frozen, or that has processes (issue
// 13, section 2 item 13). runc refuses the first ("container's cgroup
// unexpectedly frozen") and warns about the second; neither may hang.
import t from 'tap';
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, uniqueId } from '../helpers.js';

/** The freezer of a top-level cgroup `name`: v1's freezer hierarchy, or v2's cgroup.freeze. */
function freezer(name: string): { dir: string; freeze(): void; thaw(): void } | null {
  if (existsSync('/sys/fs/cgroup/freezer/freezer.state') || existsSync('/sys/fs/cgroup/freezer/tasks')) {
    const dir = join('/sys/fs/cgroup/freezer', name);
    return { dir, freeze: () => writeFileSync(join(dir, 'freezer.state'), 'FROZEN'), thaw: () => writeFileSync(join(dir, 'freezer.state'), 'THAWED') };
  }
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    const dir = join('/sys/fs/cgroup', name);
    return { dir, freeze: () => writeFileSync(join(dir, 'cgroup.freeze'), '1'), thaw: () => writeFileSync(join(dir, 'cgroup.freeze'), '0') };
  }
  return null;
}

t.test('a frozen cgroup in cgroupsPath: create is refused at once, nothing is left', async (t) => {
  const name = uniqueId('integ2-frozen');
  const f = freezer(name);
  if (!f) return void t.skip('no cgroup freezer on this host (neither v1 freezer nor cgroup v2)', () => {});
  mkdirSync(f.dir);
  t.teardown(() => {
    f.thaw();
    rmdirSync(f.dir);
  });
  f.freeze();
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '600'];
    s.linux!.cgroupsPath = `/${name}`;
  });
  const started = Date.now();
  const r = await run(['run', '-d', '--bundle', dir, uniqueId('integ2-frozen-c')], { timeoutMs: 20_000 });
  t.equal(r.code, 1, 'refused');
  t.ok(Date.now() - started < 15_000, 'without hanging');
  t.match(r.stderr, /container's cgroup \/integ2-frozen\S* is frozen/);
  t.same(readdirSync(root), [], 'no state left');
  t.ok(existsSync(f.dir), 'the cgroup it did not make is not removed');
});

t.test('a cgroup that already has processes: a warning, as runc gives', async (t) => {
  const { run } = stateRoot(t);
  const name = uniqueId('integ2-shared');
  const edit = (s: import('../../src/spec/types.js').Spec) => {
    s.process!.args = ['sleep', '600'];
    s.linux!.cgroupsPath = `/${name}`;
  };
  const first = makeBundle(t, edit);
  const second = makeBundle(t, edit);
  const a = await run(['run', '-d', '--bundle', first.dir, uniqueId('integ2-shared-a')]);
  t.equal(a.code, 0, a.stderr);
  t.notMatch(a.stderr, /not empty/, 'no warning for a new cgroup');
  const b = await run(['run', '-d', '--bundle', second.dir, uniqueId('integ2-shared-b')]);
  t.equal(b.code, 0, b.stderr);
  t.match(b.stderr, /container's cgroup is not empty: 1 process\(es\) found/);
});
