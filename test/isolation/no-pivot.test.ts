// --no-pivot (MS_MOVE + chroot) keeps the old root in the container's mount
// namespace. The kernel lets a new user namespace mount proc only when a
// full proc is visible there, and the host's would count: it must be gone,
// as runc's msMoveRoot makes it (issue 13, section 2 item 14).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { makeBundle, stateRoot, uniqueId } from '../helpers.js';

const NESTED = 'unshare -U -r true && echo userns-ok; ' + 'unshare -U -r -m -p -f sh -c "mount -t proc proc /tmp && echo MOUNTED" 2>&1; true';

/** The host's own full proc and sysfs mounts, to see none is lost. */
const hostProcSys = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => / - (proc|sysfs) /.test(l) && l.split(' ')[3] === '/')
    .map((l) => l.split(' ')[4])
    .sort();

for (const noPivot of [false, true]) {
  t.test(`${noPivot ? '--no-pivot' : 'pivot_root (control)'}: a nested user namespace cannot mount proc`, async (t) => {
    const before = hostProcSys();
    const { run } = stateRoot(t);
    const { dir } = makeBundle(t, (s) => {
      s.root!.readonly = false;
      // An unprivileged user, as the attack had it.
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.args = ['sh', '-c', NESTED];
    });
    const r = await run(['run', ...(noPivot ? ['--no-pivot'] : []), '--bundle', dir, uniqueId('integ2-nopivot')]);
    t.equal(r.code, 0, r.stderr);
    if (!/^userns-ok$/m.test(r.stdout)) return void t.skip(`this host does not let an unprivileged process make a user namespace: ${r.stdout}`, () => {});
    t.notMatch(r.stdout, /MOUNTED/, 'mount -t proc is refused');
    t.match(r.stdout, /permission denied/);
    t.same(hostProcSys(), before, "the host's proc and sysfs mounts are untouched");
  });
}
