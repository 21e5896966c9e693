import t from 'tap';
import { statfsSync, existsSync } from 'node:fs';
import { detectCgroups, parseMountinfo, parseProcCgroup, v1Hierarchies } from '../../src/cgroups/detect.js';

// This host's layout (v1 + a cgroup2 "unified" mount holding hugetlb).
const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;

// A systemd v1 layout with comounted hierarchies, optional fields and a second bind mount.
const COMOUNTED = `25 18 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw shared:9 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw shared:12 - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/net_cls,net_prio rw shared:13 - cgroup cgroup rw,net_cls,net_prio
31 25 0:28 / /sys/fs/cgroup/pids rw shared:14 - cgroup cgroup rw,pids
90 60 0:26 /docker/abc /mnt/cpu\\040dir rw - cgroup cgroup rw,cpu,cpuacct`;

const V2 = `30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`;

t.test('parseMountinfo: hybrid host', async (t) => {
  const { v1, unified } = parseMountinfo(HYBRID);
  t.same(Object.keys(v1).sort(), ['cpu', 'cpuacct', 'devices', 'memory', 'name=systemd']);
  t.equal(v1.cpu.mountpoint, '/sys/fs/cgroup/cpu');
  t.equal(v1['name=systemd'].mountpoint, '/sys/fs/cgroup/systemd');
  t.same(unified, { root: '/', mountpoint: '/sys/fs/cgroup/unified' });
});

t.test('parseMountinfo: comounted and named hierarchies, /sys/fs/cgroup preferred', async (t) => {
  const { v1, unified } = parseMountinfo(COMOUNTED);
  t.equal(unified, undefined);
  t.equal(v1.cpu, v1.cpuacct, 'comounted controllers share one hierarchy');
  t.same(v1.cpu.controllers, ['cpu', 'cpuacct']);
  t.equal(v1.cpu.mountpoint, '/sys/fs/cgroup/cpu,cpuacct', 'the /sys/fs/cgroup mount wins over a later bind mount');
  t.equal(v1.net_prio.mountpoint, '/sys/fs/cgroup/net_cls,net_prio');
  t.same(v1['name=systemd'].controllers, ['name=systemd'], 'release_agent= and xattr are not controllers');
  const host = { mode: 'v1' as const, v1 };
  t.equal(v1Hierarchies(host).length, 4);
});

t.test('parseMountinfo: escaped mount points and sub-tree roots', async (t) => {
  const { v1 } = parseMountinfo(COMOUNTED.split('\n').slice(-1).join('\n'));
  t.equal(v1.cpu.mountpoint, '/mnt/cpu dir');
  t.equal(v1.cpu.root, '/docker/abc');
});

t.test('detectCgroups on text', async (t) => {
  t.equal(detectCgroups(V2).mode, 'v2');
  t.equal(detectCgroups(COMOUNTED).mode, 'v1');
  t.equal(detectCgroups(HYBRID).mode, 'hybrid');
  t.throws(() => detectCgroups('22 27 0:21 / /proc rw - proc proc rw'), /no cgroup filesystem/);
});

// What detection costs is measured by `make bench` (create's phases), not asserted here.
t.test('detectCgroups on this host agrees with statfs', async (t) => {
  const host = detectCgroups();
  const CGROUP2_SUPER_MAGIC = 0x63677270;
  const rootIsV2 = statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC;
  t.equal(host.mode === 'v2', rootIsV2, `mode ${host.mode}`);
  if (host.mode !== 'v2') {
    t.ok(host.v1.devices, 'devices hierarchy found');
    t.ok(existsSync(host.v1.devices.mountpoint + '/devices.list'));
  } else {
    t.ok(host.unified!.controllers.length > 0, `controllers: ${host.unified!.controllers.join(' ')}`);
  }
});

t.test('parseProcCgroup', async (t) => {
  const p = parseProcCgroup('9:name=systemd:/user.slice\n2:cpu,cpuacct:/a\n4:memory:/process_api/x\n0::/b\n');
  t.same(p, { 'name=systemd': '/user.slice', cpu: '/a', cpuacct: '/a', memory: '/process_api/x', '': '/b' });
});
