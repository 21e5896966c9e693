// linux.personality, process.scheduler, process.ioPriority and
// process.execCPUAffinity, each checked from inside the container (uname,
// /proc/self/stat, /proc/self/status) or, for the I/O priority that no /proc
// file shows, from the host with ionice(1) on the container's process.
// runc 1.1.5 (this host's) ignores all four; runc >= 1.2 and crun apply them.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { logMessages, makeBundle, runScript, stateRoot, uniqueId } from '../helpers.js';

t.test('personality LINUX32: uname -m says i686', { skip: process.arch !== 'x64' && 'an x86_64 host is needed' }, async (t) => {
  const r = await runScript(t, 'uname -m', (s) => (s.linux!.personality = { domain: 'LINUX32' }));
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.trim(), 'i686');
  const plain = await runScript(t, 'uname -m');
  t.equal(plain.stdout.trim(), 'x86_64', 'without it, x86_64');
});

t.test('scheduler SCHED_BATCH with nice 5: /proc/self/stat fields 19 (nice) and 41 (policy)', async (t) => {
  const r = await runScript(t, 'cut -d" " -f19,41 /proc/self/stat', (s) => (s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 5 }));
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.trim(), '5 3', 'nice 5, policy 3 (SCHED_BATCH)');
});

// A real-time policy (SCHED_FIFO) is not tested: on this cgroup v1 host the
// container's cpu cgroup has no real-time budget (cpu.rt_runtime_us 0), so
// the kernel refuses it with EPERM, for runc too.
t.test('scheduler SCHED_IDLE', async (t) => {
  const r = await runScript(t, 'cut -d" " -f41 /proc/self/stat', (s) => (s.process!.scheduler = { policy: 'SCHED_IDLE' }));
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.trim(), '5', 'policy 5 (SCHED_IDLE)');
});

t.test('ioPriority: the container process has the class and level', async (t) => {
  const { run } = stateRoot(t);
  for (const [io, want] of [
    [{ class: 'IOPRIO_CLASS_IDLE' as const, priority: 0 }, /^idle$/],
    [{ class: 'IOPRIO_CLASS_BE' as const, priority: 6 }, /^best-effort: prio 6$/],
  ] as const) {
    const { dir } = makeBundle(t, (s) => {
      s.process!.args = ['sleep', '600'];
      s.process!.ioPriority = io;
    });
    const id = uniqueId('spec12-ioprio');
    t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
    const pid = JSON.parse((await run(['state', id])).stdout).pid as number;
    t.match(spawnSync('ionice', ['-p', String(pid)], { encoding: 'utf8' }).stdout.trim(), want, io.class);
    // exec'd processes get the exec process's own.
    const e = await run(['exec', id, 'sleep', '0']);
    t.equal(e.code, 0);
    await run(['delete', '--force', id]);
  }
});

t.test('execCPUAffinity final: the process runs on those CPUs only', { skip: availableParallelism() < 2 && 'two CPUs are needed' }, async (t) => {
  const r = await runScript(t, 'grep Cpus_allowed_list /proc/self/status', (s) => (s.process!.execCPUAffinity = { initial: '0', final: '1' }));
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^Cpus_allowed_list:\s+1$/m);
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const id = uniqueId('spec12-aff');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const tmp = mkdtempSync('/tmp/tsrun-test-proc-');
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  writeFileSync(join(tmp, 'p.json'), JSON.stringify({ cwd: '/', args: ['grep', 'Cpus_allowed_list', '/proc/self/status'], env: ['PATH=/bin:/usr/bin'], execCPUAffinity: { final: '0' } }));
  const e = await run(['exec', '--process', join(tmp, 'p.json'), id]);
  t.equal(e.code, 0, e.stderr);
  t.match(e.stdout, /^Cpus_allowed_list:\s+0$/m, 'exec --process with its own affinity');
});

t.test('bad values are refused naming the field, before anything is made', async (t) => {
  const cases: [string, (s: import('../../src/spec/types.js').Spec) => void, RegExp][] = [
    ['personality flags', (s) => (s.linux!.personality = { domain: 'LINUX', flags: ['X'] }), /\/linux\/personality\/flags/],
    ['ioPriority level 9', (s) => (s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 9 }), /\/process\/ioPriority\/priority: 9 is not 0 to 7/],
    ['cpu list', (s) => (s.process!.execCPUAffinity = { final: '3-1' }), /\/process\/execCPUAffinity\/final: "3-1" is not a CPU list/],
  ];
  for (const [what, edit, msg] of cases) {
    const { root, run } = stateRoot(t);
    const { dir } = makeBundle(t, edit);
    const id = uniqueId('spec12-bad');
    const r = await run(['create', '--bundle', dir, id]);
    t.equal(r.code, 1, `${what}: exit 1`);
    t.match(logMessages(r.stderr), msg, `${what}: names the field`);
    t.notOk(existsSync(join(root, id)), `${what}: no state directory`);
  }
});
