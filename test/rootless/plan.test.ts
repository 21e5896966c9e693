// What this v1 host cannot show: the plan for a rootless container on a
// cgroup v2 host (the systemd VM runs it for real). Pure: buildPlan with the
// host facts of such a machine, no root needed.
import t from 'tap';
import { buildPlan, describePlan } from '../../src/plan/build.js';
import type { HostFacts } from '../../src/plan/context.js';
import type { Spec } from '../../src/spec/types.js';
import { rootlessSpec } from '../../src/spec/defaults.js';

function v2Host(inUserNs: boolean): HostFacts {
  return {
    capLastCap: 40,
    boundingSet: (1n << 41n) - 1n,
    nofileHard: 1024,
    pathKind: (p) => (p === '/sys' || p.endsWith('rootfs') ? 'dir' : p.startsWith('/dev/') ? 'file' : undefined),
    mountPointOf: () => '/',
    cgroup: { mode: 'v2', sources: [{ name: '', data: '', hostDir: '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice' }] },
    inUserNs,
    lsm: { apparmor: false, selinux: false } as HostFacts['lsm'],
  };
}

function plan(spec: Spec, host: HostFacts): string {
  return describePlan(buildPlan(spec, { id: 'x', bundle: '/b', rootfs: '/b/rootfs', fifoPath: '/run/x/fifo', mode: 'create', noPivot: false, preserveFds: 0, host }));
}

const withCgroupMount = (cgroupNs: boolean): Spec => {
  const spec = rootlessSpec(1000, 1000);
  spec.process!.terminal = false;
  spec.mounts!.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
  if (cgroupNs) spec.linux!.namespaces!.push({ type: 'cgroup' });
  return spec;
};

t.test('cgroup v2, new user namespace, no cgroup namespace: the cgroup is bound (a cgroup2 mount would be refused)', async (t) => {
  const p = plan(withCgroupMount(false), v2Host(false));
  t.match(p, /bind \/sys\/fs\/cgroup\/user\.slice\/\S+ on \/sys\/fs\/cgroup \(user namespace\)/);
  t.match(p, /remount \/sys\/fs\/cgroup \(rdonly/);
  t.notMatch(p, /mount cgroup2/);
});

t.test('with a cgroup namespace of its own (owned by the new user namespace) and a sysfs of its own: a fresh cgroup2 mount', async (t) => {
  const spec = withCgroupMount(true);
  // sysfs needs a network namespace of its own in a user namespace (else it is bound from the host).
  spec.mounts = spec.mounts!.map((m) => (m.destination === '/sys' ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] } : m));
  spec.linux!.namespaces!.push({ type: 'network' });
  t.match(plan(spec, v2Host(false)), /mount cgroup2 on \/sys\/fs\/cgroup/);
});

t.test("with a cgroup namespace but the host's /sys bound in: the cgroup is bound (cgroup2 on the host's cgroup2 mount is EBUSY)", async (t) => {
  // The rootless spec binds /sys; a cgroup2 mount on its /sys/fs/cgroup (the host's cgroup2,
  // the same superblock) fails with EBUSY, as the systemd VM showed; runc binds then too.
  const p = plan(withCgroupMount(true), v2Host(false));
  t.match(p, /bind \/sys\/fs\/cgroup\/user\.slice\/\S+ on \/sys\/fs\/cgroup \(user namespace\)/);
  t.notMatch(p, /mount cgroup2/);
});

t.test('the runtime in a user namespace (rootless podman), no new one: devices bound, cgroup bound', async (t) => {
  const spec = withCgroupMount(false);
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'user');
  delete spec.linux!.uidMappings;
  delete spec.linux!.gidMappings;
  const p = plan(spec, v2Host(true));
  t.match(p, /bind host \/dev\/null on \/dev\/null \(user namespace\)/);
  t.notMatch(p, /MKNOD_IN_ROOT/);
  t.match(p, /on \/sys\/fs\/cgroup \(user namespace\)/);
  const root = plan(spec, v2Host(false));
  t.match(root, /mknod \/dev\/null/, 'root in the initial namespace still makes device nodes');
});
