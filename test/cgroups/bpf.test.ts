// The eBPF device filter loader (src/linux/bpf.ts) on a real cgroup2
// directory. It needs only a cgroup2 mount, so it runs on a v2 host and on a
// hybrid one (in a test cgroup of the cgroup2 "unified" mount, where
// BPF_CGROUP_DEVICE programs apply although devices is a v1 controller).
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { detectCgroups } from '../../src/cgroups/detect.js';
import { normalizeRules } from '../../src/cgroups/devices.js';
import { deviceFilterProgram } from '../../src/cgroups/devices-bpf.js';
import { attachDeviceFilter, deviceFilterIds } from '../../src/linux/bpf.js';
import { killHard, rmTree, startWaiting, testPath } from './fixtures/helpers.js';

const host = detectCgroups();
if (!host.unified) {
  t.skip('eBPF device filter: no cgroup2 mount on this host', () => {});
} else if (process.getuid?.() !== 0) {
  t.skip('eBPF device filter: needs root', () => {});
} else {
  const dir = host.unified.mountpoint + testPath('bpf');

  t.test('deny by default, allow the listed; re-attach replaces', async (t) => {
    mkdirSync(dir);
    const procs: ReturnType<typeof startWaiting>[] = [];
    // Registered before anything else can fail, so the directory goes even then.
    t.teardown(async () => {
      killHard(procs.map((p) => p.pid));
      await Promise.all(procs.map((p) => p.exited));
      rmTree(dir);
    });
    const script =
      'busybox cat /dev/null && echo null-ok; busybox head -c1 /dev/zero >/dev/null 2>&1 && echo zero-ok || echo zero-denied; ' +
      'busybox mknod /tmp/tsrun-test-cg-node-$$ c 1 7 2>/dev/null && echo mknod-ok || echo mknod-denied; busybox rm -f /tmp/tsrun-test-cg-node-$$';
    const p1 = startWaiting(script);
    procs.push(p1);
    const p2 = startWaiting(script);
    procs.push(p2);

    const rules = normalizeRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    ]);
    attachDeviceFilter(dir, deviceFilterProgram(rules));
    t.equal(deviceFilterIds(dir).length, 1);
    for (const p of [p1, p2]) writeFileSync(`${dir}/cgroup.procs`, String(p.pid));
    p1.go();
    await p1.exited;
    t.match(p1.stdout(), /null-ok/, 'a listed device opens');
    t.match(p1.stdout(), /zero-denied/, 'an unlisted one does not');
    t.match(p1.stdout(), /mknod-denied/, 'mknod is denied without "m"');

    const more = normalizeRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'r' },
      { allow: true, type: 'c', access: 'm' },
    ]);
    attachDeviceFilter(dir, deviceFilterProgram(more));
    t.equal(deviceFilterIds(dir).length, 1, 'the old program was detached');
    p2.go();
    await p2.exited;
    t.match(p2.stdout(), /zero-ok/);
    t.match(p2.stdout(), /mknod-ok/);
  });

  t.test('the verifier log comes with a refused program', async (t) => {
    const d = host.unified!.mountpoint + testPath('bpfbad');
    mkdirSync(d);
    t.teardown(() => rmTree(d));
    // "exit" without setting R0 first: the verifier refuses to read an uninitialised register.
    const bad = Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0]);
    t.throws(() => attachDeviceFilter(d, bad), /BPF_PROG_LOAD.*EACCES[\s\S]*verifier log:[\s\S]*R0/);
    t.equal(deviceFilterIds(d).length, 0);
  });
}
