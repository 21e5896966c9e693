// The v2 driver against real cgroups on a pure cgroup v2 host (run it in the
// VM: ../shared/cgroup2-vm/run-in-vm.sh 'npx tap test/cgroups/'). Same
// behaviours as v1.test.ts, through the v2 files and the eBPF device filter.
import t from 'tap';
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { openCgroup, reopenCgroup, stats, statsToJSON } from '../../src/cgroups/index.js';
import { detectCgroups } from '../../src/cgroups/detect.js';
import { deviceFilterIds } from '../../src/linux/bpf.js';
import { openTestCgroup, cleanupAfter, cpuTicks, read, rmTree, sleep, startWaiting, testPath, waitFor } from './fixtures/helpers.js';

const host = detectCgroups();
if (host.mode !== 'v2') {
  t.skip(`cgroup v2 driver: this host runs cgroup ${host.mode} (run this file in ../shared/cgroup2-vm)`, () => {});
} else if (process.getuid?.() !== 0) {
  t.skip('cgroup v2 driver: needs root', () => {});
} else {
  run();
}

const open = openTestCgroup;

function run(): void {
  const mnt = host.unified!.mountpoint;

  t.test('nested create enables controllers in the parent; destroy removes only what we created', async (t) => {
    const joined = mnt + testPath('joined');
    mkdirSync(joined);
    t.teardown(() => rmTree(joined));
    const rel = joined.slice(mnt.length);
    const cg = openCgroup({ cgroupsPath: `${rel}/mid/leaf`, id: 'x' });
    cleanupAfter(t, cg);
    t.equal(cg.mode, 'v2');
    await cg.create();
    const dir = cg.record.dirs.unified;
    t.equal(dir, `${joined}/mid/leaf`);
    t.same(cg.record.created, [`${joined}/mid`, dir]);
    for (const c of ['memory', 'pids', 'cpu']) t.match(read(joined, 'cgroup.subtree_control'), c, `${c} enabled in the joined parent`);
    t.match(read(dir, 'cgroup.controllers'), /memory/, 'the leaf gets memory');
    await reopenCgroup(JSON.parse(JSON.stringify(cg.record))).destroy();
    t.notOk(existsSync(`${joined}/mid`));
    t.ok(existsSync(joined), 'joined parent left alone');
  });

  t.test('memory limit OOM-kills a process allocating above it', async (t) => {
    const big = startWaiting('exec busybox dd if=/dev/zero of=/dev/null bs=64M count=1');
    const small = startWaiting('exec busybox dd if=/dev/zero of=/dev/null bs=8M count=1');
    const cg = await open(t, [big, small], { memory: { limit: 32 << 20, swap: 32 << 20 } });
    const dir = cg.record.dirs.unified;
    t.equal(read(dir, 'memory.max'), String(32 << 20));
    t.equal(read(dir, 'memory.swap.max'), '0', 'swap = memory+swap - memory');
    cg.addProcess(big.pid);
    cg.addProcess(small.pid);
    big.go();
    small.go();
    t.same(await small.exited, { code: 0, signal: null }, '8 MiB fits');
    t.same(await big.exited, { code: null, signal: 'SIGKILL' }, '64 MiB is OOM-killed');
    t.match(read(dir, 'memory.events'), /oom_kill [1-9]/);
  });

  t.test('pids limit makes fork fail', async (t) => {
    const p = startWaiting('for i in 1 2 3 4 5 6; do busybox sleep 5 & done; echo forked');
    const cg = await open(t, [p], { pids: { limit: 4 } });
    t.equal(read(cg.record.dirs.unified, 'pids.max'), '4');
    cg.addProcess(p.pid);
    p.go();
    await waitFor(() => /fork/i.test(p.stderr()), 10000);
    t.match(p.stderr(), /can't fork|Resource temporarily unavailable/);
    t.ok(Number(read(cg.record.dirs.unified, 'pids.current')) <= 4);
  });

  t.test('cpu: shares as weight, quota and period as cpu.max, throttling', async (t) => {
    const p = startWaiting('while :; do :; done');
    const cg = await open(t, [p], { cpu: { shares: 512, quota: 20000, period: 100000 } });
    const dir = cg.record.dirs.unified;
    t.equal(read(dir, 'cpu.weight'), '59');
    t.equal(read(dir, 'cpu.max'), '20000 100000');
    cg.setResources({ cpu: { period: 50000 } }, { update: true });
    t.equal(read(dir, 'cpu.max'), '20000 50000', 'a period-only update keeps the quota');
    cg.addProcess(p.pid);
    p.go();
    await sleep(1000);
    const s = stats(cg);
    t.ok((s.cpu.throttling.throttledPeriods ?? 0) > 0, `throttled ${s.cpu.throttling.throttledPeriods} periods`);
    t.ok((s.cpu.usage.total ?? 0) > 0);
  });

  t.test('cpuset pins the process', async (t) => {
    const p = startWaiting('exec busybox sleep 30');
    const cg = await open(t, [p], { cpu: { cpus: '0', mems: '0' } });
    cg.addProcess(p.pid);
    t.match(read('/proc/' + p.pid, 'status'), /Cpus_allowed_list:\s+0\n/);
  });

  t.test('freeze stops progress, thaw resumes', async (t) => {
    const p = startWaiting('while :; do :; done');
    const cg = await open(t, [p]);
    cg.addProcess(p.pid);
    p.go();
    await sleep(200);
    cg.freeze();
    t.equal(cg.isFrozen(), true);
    t.match(read(cg.record.dirs.unified, 'cgroup.events'), /frozen 1/);
    const a = cpuTicks(p.pid);
    await sleep(400);
    t.equal(cpuTicks(p.pid), a, 'no CPU time while frozen');
    cg.thaw();
    t.equal(cg.isFrozen(), false);
    await sleep(400);
    t.ok(cpuTicks(p.pid) > a, 'runs again after thaw');
    cg.freeze();
    cg.killAll(15);
    t.equal(cg.isFrozen(), true, 'a non-KILL signal leaves a paused container paused');
    cg.thaw();
    t.same(await p.exited, { code: null, signal: 'SIGTERM' });
  });

  t.test('update changes live limits; swap follows the v1 meaning', async (t) => {
    const p = startWaiting('exec busybox sleep 30');
    const cg = await open(t, [p], { memory: { limit: 64 << 20 }, pids: { limit: 10 } });
    cg.addProcess(p.pid);
    const later = reopenCgroup(cg.record);
    later.setResources({ memory: { limit: 128 << 20, swap: 192 << 20, reservation: 16 << 20 }, pids: { limit: -1 } }, { update: true });
    const dir = cg.record.dirs.unified;
    t.equal(read(dir, 'memory.max'), String(128 << 20));
    t.equal(read(dir, 'memory.swap.max'), String(64 << 20));
    t.equal(read(dir, 'memory.low'), String(16 << 20));
    t.equal(read(dir, 'pids.max'), 'max');
    later.setResources({ memory: { limit: -1 } }, { update: true });
    t.equal(read(dir, 'memory.max'), 'max');
    t.equal(read(dir, 'memory.swap.max'), 'max', 'unlimited memory with swap unset: unlimited swap');
  });

  t.test('checkBeforeUpdate refuses a limit below usage', async (t) => {
    const shm = `/dev/shm/tsrun-test-cg-${process.pid}-below`;
    t.teardown(() => existsSync(shm) && unlinkSync(shm));
    const p = startWaiting(`busybox dd if=/dev/zero of=${shm} bs=1M count=16 2>/dev/null; echo done; exec busybox sleep 30`);
    const cg = await open(t, [p]);
    cg.addProcess(p.pid);
    p.go();
    await waitFor(() => p.stdout().includes('done'), 10000);
    t.throws(() => cg.setResources({ memory: { limit: 4 << 20, checkBeforeUpdate: true } }, { update: true }), /memory\/limit=4194304: below the current usage/);
    t.equal(read(cg.record.dirs.unified, 'memory.max'), 'max', 'not written');
  });

  t.test('stats reflect memory use', async (t) => {
    const shm = `/dev/shm/tsrun-test-cg-${process.pid}-stats`;
    t.teardown(() => existsSync(shm) && unlinkSync(shm));
    const p = startWaiting(`busybox dd if=/dev/zero of=${shm} bs=1M count=16 2>/dev/null; echo done; exec busybox sleep 30`);
    const cg = await open(t, [p], { memory: { limit: 256 << 20 }, pids: { limit: 50 } });
    cg.addProcess(p.pid);
    p.go();
    await waitFor(() => p.stdout().includes('done'), 10000);
    const s = stats(cg);
    t.ok((s.memory.usage.usage ?? 0) >= 16 << 20, `usage ${s.memory.usage.usage}`);
    t.equal(s.memory.usage.limit, 256 << 20);
    t.ok((s.memory.raw?.shmem ?? 0) >= 16 << 20, 'raw memory.stat included');
    t.equal(s.pids.limit, 50);
    t.equal(s.pids.current, 1);
    t.ok(s.memory.psi?.some, 'PSI included');
    const json = statsToJSON(s);
    t.match(json, /"swap":\{"limit":18446744073709551615,/, 'unlimited printed as the exact u64 max');
  });

  t.test('killAll(SIGKILL) uses cgroup.kill and empties the cgroup', async (t) => {
    const p = startWaiting('busybox sleep 30 & busybox sleep 30 & busybox sleep 30 & wait');
    const cg = await open(t, [p]);
    cg.addProcess(p.pid);
    p.go();
    await waitFor(() => cg.pids().length === 4, 10000);
    t.equal(cg.pids().length, 4);
    cg.killAll(9);
    t.ok(await waitFor(() => cg.pids().length === 0, 10000), 'empty');
    await cg.destroy();
    t.notOk(existsSync(cg.record.dirs.unified), 'removed');
  });

  t.test('devices: the eBPF filter denies unlisted devices; an update replaces it', async (t) => {
    const script = 'busybox cat /dev/null && echo null-ok; busybox head -c1 /dev/zero >/dev/null 2>&1 && echo zero-ok || echo zero-denied';
    const p1 = startWaiting(script);
    const p2 = startWaiting(script);
    const devices = [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    ];
    const cg = await open(t, [p1, p2], { devices });
    const dir = cg.record.dirs.unified;
    t.equal(deviceFilterIds(dir).length, 1, 'one program attached');
    cg.addProcess(p1.pid);
    cg.addProcess(p2.pid);
    p1.go();
    await p1.exited;
    t.match(p1.stdout(), /null-ok/);
    t.match(p1.stdout(), /zero-denied/);
    cg.setResources({ devices: [...devices, { allow: true, type: 'c', major: 1, minor: 5, access: 'r' }] }, { update: true });
    t.equal(deviceFilterIds(dir).length, 1, 'still one program: the old one was detached');
    p2.go();
    await p2.exited;
    t.match(p2.stdout(), /zero-ok/);
  });

  t.test('io: throttles and weight', async (t) => {
    const cg = await open(t);
    const dir = cg.record.dirs.unified;
    if (existsSync('/dev/vda')) {
      cg.setResources({ blockIO: { throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: 254, minor: 0, rate: 100 }] } });
      t.match(read(dir, 'io.max'), /254:0 rbps=1048576 wbps=max riops=max wiops=100/);
    }
    cg.setResources({ blockIO: { weight: 500, leafWeight: 300 } });
    if (existsSync(dir + '/io.bfq.weight')) t.match(read(dir, 'io.bfq.weight'), /500/);
    else t.match(read(dir, 'io.weight'), /default 4950/);
  });

  t.test('v1-only fields: warnings or errors naming the field', async (t) => {
    const cg = await open(t);
    const w = cg.setResources({ memory: { limit: 64 << 20, kernel: 1 << 20, kernelTCP: 1 << 20, swappiness: 10 }, network: { classID: 1, priorities: [{ name: 'lo', priority: 1 }] } });
    t.equal(w.length, 5, w.join('\n'));
    t.match(w.join('\n'), /memory\/kernel: ignored/);
    t.match(w.join('\n'), /network\/classID: ignored/);
    t.throws(() => cg.setResources({ cpu: { realtimeRuntime: 1000 } }), /cpu\/realtimeRuntime: cgroup v2 has no real-time/);
    t.throws(() => cg.setResources({ unified: { 'nosuch.file': '1' } }), /unified\/nosuch\.file: the nosuch controller is not available/);
    cg.setResources({ unified: { 'memory.high': String(48 << 20) } });
    t.equal(read(cg.record.dirs.unified, 'memory.high'), String(48 << 20));
    t.throws(() => cg.setResources({ hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }), /hugepageLimits\/0\/pageSize: "3MB" is not a huge page size/);
    cg.setResources({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] });
    t.equal(read(cg.record.dirs.unified, 'hugetlb.2MB.max'), String(4 << 20));
  });

  // How fast this is belongs to `make bench`, not to a timed assertion here.
  t.test('addProcessAsync puts the process in the cgroup', async (t) => {
    const p = startWaiting('exec busybox sleep 30');
    const cg = await open(t, [p], { pids: { limit: 100 } });
    await cg.addProcessAsync(p.pid);
    t.match(read('/proc/' + p.pid, 'cgroup'), new RegExp(`^0::${cg.record.path}$`, 'm'));
    t.match(read(cg.record.dirs.unified!, 'cgroup.procs'), new RegExp(`^${p.pid}$`, 'm'));
  });
}
