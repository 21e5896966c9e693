// --systemd-cgroup with input it must refuse: errors naming the field (or
// the host's lack of systemd), a non-zero exit, and nothing left behind (no
// state, no cgroup). Runs on any host; on one without systemd (this CI host)
// the "not running" case is checked; driver.test.ts has the unit-exists
// case, which needs systemd.
import t, { type Test } from 'tap';
import { readdirSync, statSync } from 'node:fs';
import { cgroupDirsNamed, logMessages, makeBundle, stateRoot, uniqueId } from '../helpers.js';

const systemdRunning = (() => {
  try {
    return statSync('/run/systemd/system').isDirectory();
  } catch {
    return false;
  }
})();

/** create with --systemd-cgroup and this cgroupsPath; the error message and what is left. */
async function refused(t: Test, cgroupsPath: string | undefined, id = uniqueId('systemd-bad')) {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '600'];
    if (cgroupsPath === undefined) delete s.linux!.cgroupsPath;
    else s.linux!.cgroupsPath = cgroupsPath;
  });
  const r = await run(['--systemd-cgroup', 'create', '--bundle', dir, id]);
  t.not(r.code, 0, 'create fails');
  t.same(readdirSync(root), [], 'no state left');
  return { message: logMessages(r.stderr), id };
}

const cases: [string, string, RegExp][] = [
  ['two parts', 'system.slice:onlytwo', /linux\.cgroupsPath: expected "slice:prefix:name" for the systemd cgroup driver, got "system\.slice:onlytwo"/],
  ['four parts', 'a.slice:b:c:d', /expected "slice:prefix:name"/],
  ['a path, as cgroupfs takes it', '/tsrun/systemd-bad', /expected "slice:prefix:name"/],
  ['a slice that is not a .slice unit', 'system:tsrun:x', /linux\.cgroupsPath: invalid slice name "system"/],
  ['a slash in the slice', 'a/b.slice:tsrun:x', /invalid slice name "a\/b\.slice"/],
  ['an empty dash component', 'a--b.slice:tsrun:x', /invalid slice name "a--b\.slice"/],
  ['a leading dash', '-a.slice:tsrun:x', /invalid slice name "-a\.slice"/],
  ['a character units cannot have', 'system.slice:tsrun:a b', /"tsrun-a b\.scope" is not a valid systemd unit name/],
  ['an empty name', 'system.slice:tsrun:', /the name part of "system\.slice:tsrun:" is empty/],
  ['a slice as the container', 'system.slice:tsrun:c.slice', /a slice unit as the container's cgroup \("c\.slice"\) is not supported/],
];

for (const [what, path, re] of cases) {
  t.test(`malformed cgroupsPath (${what}): refused naming /linux/cgroupsPath, nothing left`, async (t) => {
    const { message } = await refused(t, path);
    t.match(message, re);
  });
}

t.test('--systemd-cgroup where systemd is not running: a clear error, nothing created', { skip: systemdRunning && 'systemd runs here (the VM): see driver.test.ts' }, async (t) => {
  const id = uniqueId('systemd-none');
  const { message } = await refused(t, `system.slice:tsrun:${id}`, id);
  t.match(message, /systemd not running on this host, cannot use the systemd cgroup driver/);
  t.same(cgroupDirsNamed(`tsrun-${id}.scope`), [], 'no cgroup');
  // The empty cgroupsPath (":tsrun:<id>") takes the same path.
  const r2 = await refused(t, undefined);
  t.match(r2.message, /systemd not running on this host/);
});
