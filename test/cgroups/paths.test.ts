// Path resolution as runc's cgroupfs driver does it. Pure: synthetic host
// layouts and /proc/self/cgroup texts, no directory is created.
import t from 'tap';
import { cleanPath, resolveCgroupPath, v1Dirs, v2Dir } from '../../src/cgroups/paths.js';
import { parseMountinfo, parseProcCgroup, type CgroupHost } from '../../src/cgroups/detect.js';
import { openCgroup } from '../../src/cgroups/index.js';

const v1Host: CgroupHost = {
  mode: 'v1',
  v1: parseMountinfo(`1 0 0:1 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
2 0 0:2 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
3 0 0:3 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices
4 0 0:4 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd
5 0 0:5 / /sys/fs/cgroup/other rw - cgroup cgroup rw,name=other`).v1,
};
const v2Host: CgroupHost = { mode: 'v2', v1: {}, unified: { mountpoint: '/sys/fs/cgroup', root: '/', controllers: ['memory'] } };
const own = parseProcCgroup(
  '4:name=systemd:/user.slice/session-1.scope\n3:devices:/user.slice\n2:memory:/user.slice/user-0.slice/session-1.scope\n1:cpu,cpuacct:/\n0::/user.slice/user-0.slice/session-1.scope\n',
);

t.test('cleanPath is runc utils.CleanPath', async (t) => {
  t.equal(cleanPath(''), '');
  t.equal(cleanPath('/a/../b/'), '/b');
  t.equal(cleanPath('/../../x'), '/x');
  t.equal(cleanPath('../../x'), 'x', 'a relative path cannot climb out');
  t.equal(cleanPath('a/./b//c'), 'a/b/c');
  t.equal(cleanPath('.'), '.');
});

t.test('resolveCgroupPath: default is the id, relative', async (t) => {
  t.equal(resolveCgroupPath(undefined, 'abc'), 'abc');
  t.equal(resolveCgroupPath('', 'abc'), 'abc');
  t.equal(resolveCgroupPath('/tsrun/abc', 'x'), '/tsrun/abc');
  t.equal(resolveCgroupPath('testdir/cgrouptest/container', 'x'), 'testdir/cgrouptest/container');
  t.equal(resolveCgroupPath('../escape', 'x'), 'escape');
});

t.test('v1: absolute paths are below each mount point', async (t) => {
  const dirs = v1Dirs(v1Host, '/tsrun/abc', own);
  t.same(
    dirs,
    {
      cpu: '/sys/fs/cgroup/cpu,cpuacct/tsrun/abc',
      cpuacct: '/sys/fs/cgroup/cpu,cpuacct/tsrun/abc',
      memory: '/sys/fs/cgroup/memory/tsrun/abc',
      devices: '/sys/fs/cgroup/devices/tsrun/abc',
      'name=systemd': '/sys/fs/cgroup/systemd/tsrun/abc',
    },
    'name=other is not joined',
  );
});

t.test('v1: relative paths are below our own cgroup, per controller', async (t) => {
  const dirs = v1Dirs(v1Host, 'abc', own);
  t.equal(dirs.memory, '/sys/fs/cgroup/memory/user.slice/user-0.slice/session-1.scope/abc');
  t.equal(dirs.devices, '/sys/fs/cgroup/devices/user.slice/abc');
  t.equal(dirs.cpu, '/sys/fs/cgroup/cpu,cpuacct/abc');
});

t.test('v2: relative paths are below the PARENT of our own cgroup', async (t) => {
  t.equal(v2Dir(v2Host, 'abc', own), '/sys/fs/cgroup/user.slice/user-0.slice/abc');
  t.equal(v2Dir(v2Host, 'abc', { '': '/' }), '/sys/fs/cgroup/abc');
  t.equal(v2Dir(v2Host, '/x/y', own), '/sys/fs/cgroup/x/y');
});

t.test('a bind-mounted sub-tree: own cgroup relative to the mount root', async (t) => {
  const host: CgroupHost = { mode: 'v2', v1: {}, unified: { mountpoint: '/sys/fs/cgroup', root: '/kubepods/pod1', controllers: [] } };
  t.equal(v2Dir(host, 'abc', { '': '/kubepods/pod1/ctr' }), '/sys/fs/cgroup/abc');
});

t.test('openCgroup records mode, path and dirs without touching the filesystem', async (t) => {
  const cg = openCgroup({ id: 'abc', host: v1Host, ownCgroup: '3:devices:/user.slice\n2:memory:/m\n1:cpu,cpuacct:/\n4:name=systemd:/s\n' });
  t.equal(cg.mode, 'v1');
  t.equal(cg.record.path, '/user.slice/abc', 'path as the devices hierarchy sees it');
  t.equal(cg.record.dirs.memory, '/sys/fs/cgroup/memory/m/abc');
  t.same(cg.record.created, []);
  const cg2 = openCgroup({ cgroupsPath: '/a/b', id: 'x', host: v2Host });
  t.same(cg2.record, { mode: 'v2', path: '/a/b', dirs: { unified: '/sys/fs/cgroup/a/b' }, created: [] });
  t.throws(() => openCgroup({ id: 'x', host: v2Host, mode: 'v1' }), /cgroup v1 was asked for but this host runs cgroup v2/);
});
