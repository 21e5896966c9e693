// The v1 driver against real cgroups on a v1 / hybrid host: real processes
// are moved into /tsrun-test-cg-* cgroups and limits are checked from inside
// (what the process experiences) and outside (the cgroup files).
import t from 'tap';
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { openCgroup, reopenCgroup, stats, statsToJSON } from '../../src/cgroups/index.js';
import { detectCgroups } from '../../src/cgroups/detect.js';
import type { Resources } from '../../src/spec/types.js';
import { openTestCgroup, cleanupAfter, cpuTicks, read, rmTree, sleep, startWaiting, testPath, waitFor } from './fixtures/helpers.js';

const host = detectCgroups();
// Swap accounting (CONFIG_MEMCG_SWAP, swapaccount=1) and kernel TCP memory
// accounting are kernel options: without them the files do not exist.
const memFile = (f: string) => host.mode !== 'v2' && host.v1.memory && existsSync(`${host.v1.memory.mountpoint}/${f}`);
const noMemsw = !memFile('memory.memsw.limit_in_bytes') && 'this kernel has no swap accounting (memory.memsw.*)';
const noKmemTcp = !memFile('memory.kmem.tcp.limit_in_bytes') && 'this kernel has no kernel TCP memory accounting (memory.kmem.tcp.*)';
if (host.mode === 'v2') {
  t.skip('cgroup v1 driver: this host runs cgroup v2 (no v1 hierarchy)', () => {});
} else if (process.getuid?.() !== 0) {
  t.skip('cgroup v1 driver: needs root', () => {});
} else {
  run();
}

const open = openTestCgroup;

function run(): void {
  t.test('create, join, destroy: only what we created goes', async (t) => {
    const parent = testPath('parent');
    const pidsParent = host.v1.pids.mountpoint + parent;
    mkdirSync(pidsParent);
    t.teardown(() => rmTree(pidsParent));
    const cg = openCgroup({ cgroupsPath: `${parent}/child`, id: 'x' });
    cleanupAfter(t, cg);
    t.equal(cg.mode, host.mode);
    await cg.create();
    for (const dir of Object.values(cg.record.dirs)) t.ok(existsSync(dir), `${dir} exists`);
    t.notOk(cg.record.created!.includes(pidsParent), 'the pre-existing parent is joined, not created');
    t.ok(cg.record.created!.includes(host.v1.memory.mountpoint + parent), 'a missing parent is created');
    const again = reopenCgroup(JSON.parse(JSON.stringify(cg.record)));
    await again.destroy();
    for (const dir of Object.values(cg.record.dirs)) t.notOk(existsSync(dir), `${dir} removed`);
    t.ok(existsSync(pidsParent), 'joined parent left alone');
    t.notOk(existsSync(host.v1.memory.mountpoint + parent), 'created parent removed');
  });

  t.test('memory limit OOM-kills a process allocating above it', async (t) => {
    const big = startWaiting('exec busybox dd if=/dev/zero of=/dev/null bs=64M count=1');
    const small = startWaiting('exec busybox dd if=/dev/zero of=/dev/null bs=8M count=1');
    const cg = await open(t, [big, small], { memory: { limit: 32 << 20 } });
    t.equal(read(cg.record.dirs.memory, 'memory.limit_in_bytes'), String(32 << 20));
    cg.addProcess(big.pid);
    cg.addProcess(small.pid);
    big.go();
    small.go();
    t.same(await small.exited, { code: 0, signal: null }, '8 MiB fits');
    t.same(await big.exited, { code: null, signal: 'SIGKILL' }, '64 MiB is OOM-killed');
    t.match(read(cg.record.dirs.memory, 'memory.oom_control'), /oom_kill [1-9]/);
  });

  t.test('pids limit makes fork fail', async (t) => {
    const p = startWaiting('for i in 1 2 3 4 5 6; do busybox sleep 5 & done; echo forked');
    const cg = await open(t, [p], { pids: { limit: 4 } });
    t.equal(read(cg.record.dirs.pids, 'pids.max'), '4');
    cg.addProcess(p.pid);
    p.go();
    await waitFor(() => /fork/i.test(p.stderr()), 5000);
    t.match(p.stderr(), /can't fork|Resource temporarily unavailable/);
    t.ok(Number(read(cg.record.dirs.pids, 'pids.current')) <= 4);
    t.ok(Number(read(cg.record.dirs.pids, 'pids.events').split(' ')[1]) > 0, 'pids.events counts the refusals');
  });

  t.test('cpu shares, quota and period land in the files and throttle a busy loop', async (t) => {
    const p = startWaiting('while :; do :; done');
    const cg = await open(t, [p], { cpu: { shares: 512, quota: 20000, period: 100000, burst: 0 } });
    t.equal(read(cg.record.dirs.cpu, 'cpu.shares'), '512');
    t.equal(read(cg.record.dirs.cpu, 'cpu.cfs_quota_us'), '20000');
    t.equal(read(cg.record.dirs.cpu, 'cpu.cfs_period_us'), '100000');
    cg.addProcess(p.pid);
    p.go();
    // A loaded machine may give the loop little time: wait for it to be throttled, up to 10 s.
    await waitFor(() => (stats(cg).cpu.throttling.throttledPeriods ?? 0) > 0, 10_000);
    const s = stats(cg);
    t.ok((s.cpu.throttling.throttledPeriods ?? 0) > 0, `throttled ${s.cpu.throttling.throttledPeriods} periods`);
    t.ok((s.cpu.usage.total ?? 0) > 0);
  });

  t.test('cpuset pins the process', async (t) => {
    const p = startWaiting('exec busybox sleep 30');
    const cg = await open(t, [p], { cpu: { cpus: '0', mems: '0' } });
    cg.addProcess(p.pid);
    t.match(read('/proc/' + p.pid, 'status'), /Cpus_allowed_list:\s+0\n/);
    t.equal(read(cg.record.dirs.cpuset, 'cpuset.cpus'), '0');
  });

  t.test('freeze stops progress, thaw resumes, killAll on a paused container', async (t) => {
    const p = startWaiting('while :; do :; done');
    const cg = await open(t, [p]);
    cg.addProcess(p.pid);
    p.go();
    await sleep(100);
    cg.freeze();
    t.equal(cg.isFrozen(), true);
    const a = cpuTicks(p.pid);
    await sleep(300);
    t.equal(cpuTicks(p.pid), a, 'no CPU time while frozen');
    cg.thaw();
    t.equal(cg.isFrozen(), false);
    await sleep(300);
    t.ok(cpuTicks(p.pid) > a, 'runs again after thaw');
    cg.freeze();
    cg.killAll(15);
    t.equal(cg.isFrozen(), true, 'a non-KILL signal leaves a paused container paused');
    cg.killAll(9);
    t.same(await p.exited, { code: null, signal: 'SIGKILL' }, 'SIGKILL thaws so the task can die');
  });

  t.test('update changes a live limit', { skip: noMemsw }, async (t) => {
    const p = startWaiting('exec busybox sleep 30');
    const cg = await open(t, [p], { memory: { limit: 64 << 20, swap: 64 << 20 }, pids: { limit: 10 } });
    cg.addProcess(p.pid);
    const later = reopenCgroup(cg.record);
    t.same(later.setResources({ memory: { limit: 128 << 20, swap: 256 << 20 }, pids: { limit: 20 } }, { update: true }), []);
    t.equal(read(cg.record.dirs.memory, 'memory.limit_in_bytes'), String(128 << 20));
    t.equal(read(cg.record.dirs.memory, 'memory.memsw.limit_in_bytes'), String(256 << 20), 'swap raised before the limit');
    later.setResources({ memory: { limit: 32 << 20, swap: 32 << 20 } }, { update: true });
    t.equal(read(cg.record.dirs.memory, 'memory.limit_in_bytes'), String(32 << 20), 'limit lowered before swap');
    t.equal(read(cg.record.dirs.pids, 'pids.max'), '20');
  });

  t.test('a limit below usage names the field and the usage', async (t) => {
    const shm = `/dev/shm/tsrun-test-cg-${process.pid}-below`;
    t.teardown(() => existsSync(shm) && unlinkSync(shm));
    const p = startWaiting(`busybox dd if=/dev/zero of=${shm} bs=1M count=16 2>/dev/null; echo done; exec busybox sleep 30`);
    const cg = await open(t, [p], { memory: { disableOOMKiller: true } });
    cg.addProcess(p.pid);
    p.go();
    await waitFor(() => p.stdout().includes('done'));
    t.throws(() => cg.setResources({ memory: { limit: 4 << 20 } }, { update: true }), /\/linux\/resources\/memory\/limit=4194304: below the current usage \d+ .*EBUSY/);
  });

  t.test('stats reflect memory use', async (t) => {
    const shm = `/dev/shm/tsrun-test-cg-${process.pid}-stats`;
    t.teardown(() => existsSync(shm) && unlinkSync(shm));
    const p = startWaiting(`busybox dd if=/dev/zero of=${shm} bs=1M count=16 2>/dev/null; echo done; exec busybox sleep 30`);
    const cg = await open(t, [p], { memory: { limit: 256 << 20 }, pids: { limit: 50 } });
    cg.addProcess(p.pid);
    p.go();
    await waitFor(() => p.stdout().includes('done'));
    const s = stats(cg);
    t.ok((s.memory.usage.usage ?? 0) >= 16 << 20, `usage ${s.memory.usage.usage}`);
    t.equal(s.memory.usage.limit, 256 << 20);
    t.ok((s.memory.raw?.shmem ?? 0) >= 16 << 20, 'raw memory.stat included');
    t.equal(s.pids.limit, 50);
    t.equal(s.pids.current, 1, 'the shell exec-ed into sleep');
    t.ok(s.cpu.usage.percpu && s.cpu.usage.percpu.length > 0);
    t.ok(s.cpuset.cpus && s.cpuset.cpus.length > 0);
    const json = statsToJSON({ type: 'stats', id: 'x', data: s });
    t.match(json, /"swap":\{"limit":9223372036854771712,/, 'huge limits printed exactly');
    t.match(json, /"intel_rdt":\{\},"network_interfaces":null\}/);
  });

  t.test('killAll empties the cgroup (sub-cgroups too)', async (t) => {
    const p = startWaiting('busybox sleep 30 & busybox sleep 30 & busybox sleep 30 & wait');
    const cg = await open(t, [p]);
    cg.addProcess(p.pid);
    p.go();
    await waitFor(() => cg.pids().length === 4);
    t.equal(cg.pids().length, 4);
    cg.killAll(9);
    t.ok(await waitFor(() => cg.pids().length === 0), 'empty');
    await cg.destroy();
    for (const dir of Object.values(cg.record.dirs)) t.notOk(existsSync(dir), `${dir} removed`);
  });

  t.test('devices: deny all, then the list in order; unlisted devices cannot be opened', async (t) => {
    const p = startWaiting('busybox cat /dev/null && echo null-ok; busybox head -c1 /dev/zero >/dev/null 2>&1 || echo zero-denied');
    const devices = [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
      { allow: true, type: 'b', major: 8, minor: 20, access: 'rw' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    ];
    const cg = await open(t, [p], { devices });
    t.equal(read(cg.record.dirs.devices, 'devices.list'), 'c 10:229 rwm\nb 8:20 rw\nc 1:3 rw', 'config order, as runtime-tools checks');
    cg.addProcess(p.pid);
    p.go();
    await p.exited;
    t.match(p.stdout(), /null-ok/);
    t.match(p.stdout(), /zero-denied/);
    // An update only adds and removes what changed.
    cg.setResources(
      {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        ],
      },
      { update: true },
    );
    t.equal(read(cg.record.dirs.devices, 'devices.list'), 'c 1:3 rwm');
  });

  t.test('fields this host cannot do are refused before any write, naming the field', async (t) => {
    const cg = await open(t);
    const memDir = cg.record.dirs.memory;
    const cases: [Resources, RegExp][] = [
      [{ unified: { 'memory.high': '1' } }, /\/linux\/resources\/unified: .*cgroup v1/],
      [{ rdma: { mlx4_0: { hcaHandles: 2 } } }, /rdma controller is not mounted/],
    ];
    if (!host.v1.net_cls) cases.push([{ network: { classID: 1048577 } }, /\/linux\/resources\/network\/classID: the net_cls controller is not mounted on this host/]);
    if (!host.v1.net_prio) cases.push([{ network: { priorities: [{ name: 'lo', priority: 1 }] } }, /network\/priorities: the net_prio controller is not mounted/]);
    if (!host.v1.hugetlb) cases.push([{ hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }] }, /hugepageLimits: the hugetlb controller is not mounted/]);
    if (!existsSync(cg.record.dirs.blkio + '/blkio.weight') && !existsSync(cg.record.dirs.blkio + '/blkio.bfq.weight')) {
      cases.push([{ blockIO: { weight: 500 } }, /blockIO\/weight: the blkio controller here has no weight files/]);
    }
    for (const [r, re] of cases) {
      t.throws(() => cg.setResources({ memory: { limit: 12345678 * 4096 }, ...r }), re, Object.keys(r)[0]);
    }
    t.not(read(memDir, 'memory.limit_in_bytes'), String(12345678 * 4096), 'nothing was written');
  });

  t.test('warnings and kernel memory', { skip: noKmemTcp }, async (t) => {
    const cg = await open(t);
    const w = cg.setResources({ memory: { limit: 64 << 20, kernel: 64 << 20, kernelTCP: 32 << 20, swappiness: 10, useHierarchy: false } });
    t.equal(read(cg.record.dirs.memory, 'memory.kmem.tcp.limit_in_bytes'), String(32 << 20));
    t.equal(read(cg.record.dirs.memory, 'memory.swappiness'), '10');
    t.ok(w.some((x) => /useHierarchy=false: ignored/.test(x)));
    t.comment(w.join('\n'));
  });

  t.test('an error names the file and errno', async (t) => {
    const cg = await open(t);
    t.throws(
      () => cg.setResources({ cpu: { cpus: '999' } }),
      /\/linux\/resources\/cpu\/cpus=999: write \/sys\/fs\/cgroup\/cpuset\/tsrun-test-cg-\w+\/cpuset\.cpus: (EINVAL \(Invalid argument\)|ERANGE \(Result too large\))/,
    );
    t.throws(() => cg.setResources({ cpu: { shares: 1 } }), /cpu\/shares=1: the kernel clamped it to 2/);
  });

  // How fast this is belongs to `make bench` (create's phases), not to a timed assertion here.
  t.test('destroy removes the sub-cgroups a container made, and waits for a task that is still leaving', async (t) => {
    const p = startWaiting('exec busybox sleep 30');
    const cg = await open(t, [p]);
    const subs = Object.values(cg.record.dirs).flatMap((dir) => [`${dir}/made-inside`, `${dir}/made-inside/deeper`]);
    for (const sub of subs) mkdirSync(sub);
    cg.addProcess(p.pid);
    p.go();
    // Killed and not yet reaped: the leaf's rmdir sees the task until its parent waits for it.
    process.kill(p.pid, 'SIGKILL');
    await cg.destroy();
    for (const dir of [...subs, ...Object.values(cg.record.dirs)]) t.notOk(existsSync(dir), `${dir} removed`);
  });

  t.test('addProcessAsync puts the process in every hierarchy', async (t) => {
    const p = startWaiting('exec busybox sleep 30');
    const cg = await open(t, [p], { pids: { limit: 100 } });
    await cg.addProcessAsync(p.pid);
    const lines = read('/proc/' + p.pid, 'cgroup')
      .trim()
      .split('\n');
    const inside = lines.filter((l) => l.split(':')[2] === cg.record.path);
    t.ok(inside.length >= Object.keys(cg.record.dirs).length - 1, `in the container's cgroup in ${inside.length} of ${lines.length} hierarchies`);
    t.match(read(cg.record.dirs.pids, 'cgroup.procs'), new RegExp(`^${p.pid}$`, 'm'));
  });
}
