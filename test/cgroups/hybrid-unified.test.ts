// On a hybrid host (v1 hierarchies plus a cgroup2 mount, here
// /sys/fs/cgroup/unified), the container also goes into the cgroup2
// hierarchy at its path, as runc's fs driver does: inside, /proc/self/cgroup
// shows "0::/<path>" (before: "0::/", the runtime's own). Its directory there
// is removed at delete. Compared with runc when installed.
import t from 'tap';
import { existsSync } from 'node:fs';
import { detectCgroups } from '../../src/cgroups/detect.js';
import { makeBundle, stateRoot, uniqueId } from '../helpers.js';
import { NO_RUNC, runcRun } from '../isolation/runc-run.js';

const host = detectCgroups();
const notHybrid = host.mode !== 'hybrid' && `this host's cgroups are ${host.mode}, not hybrid`;

t.test('the init and an exec are in the cgroup2 hierarchy at the container path', { skip: notHybrid }, async (t) => {
  const id = uniqueId('spec13-hy');
  const path = `/tsrun-spec13-${id}`;
  const unifiedDir = `${host.unified!.mountpoint}${path}`;
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '600'];
    // A cgroup namespace would show every path as "/".
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
    s.linux!.cgroupsPath = path;
  });
  const c = await run(['create', '--bundle', dir, id]);
  t.equal(c.code, 0, c.stderr);
  t.ok(existsSync(unifiedDir), `${unifiedDir} exists`);
  await run(['start', id]);
  const e = await run(['exec', id, 'cat', '/proc/1/cgroup', '/proc/self/cgroup']);
  t.equal(e.code, 0, e.stderr);
  const lines = e.stdout.split('\n').filter((l) => l.startsWith('0::'));
  t.same(lines, [`0::${path}`, `0::${path}`], 'the init and the exec');
  const d = await run(['delete', '--force', id]);
  t.equal(d.code, 0, d.stderr);
  t.notOk(existsSync(unifiedDir), 'removed at delete');
});

t.test('runc gives the same', { skip: notHybrid || NO_RUNC }, async (t) => {
  const path = `/tsrun-spec13-${uniqueId('hy-runc')}`;
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['grep', '^0::', '/proc/self/cgroup'];
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
    s.linux!.cgroupsPath = path;
  });
  const r = runcRun(t, dir);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), `0::${path}`);
});
