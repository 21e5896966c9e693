// linux.devices makes device nodes; linux.resources.devices says which the
// container may open. A listed device must not override a deny there
// (issue 13, section 2 item 12; runc keeps the deny).
import t from 'tap';
import { runScript } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';

// /dev/fuse's numbers: opening it is EPERM when the device cgroup denies it,
// and succeeds (or ENODEV without the driver) when it allows it.
const OPEN = '(exec 3</dev/integ2-dev) 2>/dev/null && echo opened || echo "failed $?"; (exec 3</dev/integ2-dev) 2>&1 | grep -o "Operation not permitted"; true';
const listed = (s: Spec) => {
  s.linux!.devices = [{ path: '/dev/integ2-dev', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }];
};

t.test('a device in linux.devices stays denied by a deny-all in linux.resources.devices', async (t) => {
  const r = await runScript(t, `ls -l /dev/integ2-dev; ${OPEN}`, listed);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^c.* 10, *229 .*\/dev\/integ2-dev$/m, 'the node is made (mknod stays allowed)');
  t.match(r.stdout, /^Operation not permitted$/m, 'opening it is denied by the device cgroup');
});

t.test('control: allowed in linux.resources.devices, the same device opens', async (t) => {
  const r = await runScript(t, OPEN, (s) => {
    listed(s);
    s.linux!.resources!.devices!.push({ allow: true, type: 'c', major: 10, minor: 229, access: 'rw' });
  });
  t.equal(r.code, 0, r.stderr);
  t.notMatch(r.stdout, /Operation not permitted/, 'the device cgroup lets it through');
});
