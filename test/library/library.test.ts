// The library as a program embedding it uses it: configs in memory, stdio
// through pipes, exit statuses and OOM events from the executor's monitor,
// exec and terminal handles, and typed errors. Everything is checked from
// outside: bytes on the pipes, exit codes, /proc and the cgroup files.
import t from 'tap';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { TsrunError, ERROR_CODES, type ErrorCode } from '../../src/index.js';
import { shSpec, testRuntime } from './helpers.js';
import { TOP, tsrun, uniqueId, waitFor } from '../helpers.js';

t.test('run with capture: stdout and stderr byte-exact, exit codes 0, 7 and 137', async (t) => {
  const rt = testRuntime(t);
  const r = await rt.run(uniqueId('lib'), { spec: shSpec('echo out; echo err >&2; echo via-dev >/dev/stdout'), capture: true });
  t.same({ ...r, stdout: r.stdout!.toString(), stderr: r.stderr!.toString() }, { exitCode: 0, signal: null, oomKilled: false, stdout: 'out\nvia-dev\n', stderr: 'err\n' });
  for (const code of [7, 137]) {
    const s = await rt.run(uniqueId('lib'), { spec: shSpec(`exit ${code}`) });
    t.same(s, { exitCode: code, signal: null, oomKilled: false }, `exit ${code}`);
  }
  t.same(await rt.list(), [], 'run deletes the container');
});

t.test('10 MB of binary output, byte-exact', async (t) => {
  const rt = testRuntime(t);
  // 10 MiB of every byte value: head of /dev/urandom would differ per run, so hash both sides.
  const r = await rt.run(uniqueId('lib'), { spec: shSpec('head -c 10485760 /dev/urandom | tee /dev/stderr | md5sum >&2'), stdio: ['ignore', 'pipe', 'pipe'], capture: true });
  t.equal(r.exitCode, 0);
  const err = r.stderr!;
  const sum = err.subarray(err.length - 36, err.length - 4).toString();
  const data = err.subarray(0, err.length - 36);
  t.equal(data.length, 10485760, 'all 10 MiB arrived');
  t.equal(createHash('md5').update(data).digest('hex'), sum, 'the same bytes the container wrote');
});

t.test('stdin piped in; a signal from outside; the exit event', async (t) => {
  const rt = testRuntime(t);
  const c = await rt.create(uniqueId('lib'), { spec: shSpec('tr a-z A-Z; sleep 100'), stdio: ['pipe', 'pipe', 'inherit'] });
  t.ok(c.pid > 0 && readFileSync(`/proc/${c.pid}/stat`, 'utf8').length > 0, 'pid is the init on the host');
  let out = '';
  c.stdout!.on('data', (d) => (out += d));
  const exitEvent = new Promise((res) => c.once('exit', res));
  await c.start();
  c.stdin!.end('piped in\n');
  t.ok(await waitFor(() => out === 'PIPED IN\n'), 'the process read stdin and wrote stdout');
  await c.kill('SIGKILL');
  const st = await c.wait();
  t.same(st, { exitCode: null, signal: 'SIGKILL', oomKilled: false });
  t.same(await exitEvent, st, "'exit' fired with the same status");
  await c.delete();
  await t.rejects(c.wait(), { code: 'ERR_NOT_FOUND' }, 'wait after delete');
});

t.test('wait() of a detached container long after it exited', async (t) => {
  const rt = testRuntime(t);
  const id = uniqueId('lib');
  const c = await rt.create(id, { spec: shSpec('exit 3'), stdio: ['ignore', 'ignore', 'ignore'] });
  await c.start();
  t.ok(await waitFor(async () => (await rt.state(id)).status === 'stopped'), 'stopped');
  await new Promise((r) => setTimeout(r, 300));
  t.same(await rt.container(id).wait(), { exitCode: 3, signal: null, oomKilled: false }, 'the handle from container(id) is the watching one');
  await c.delete();
});

t.test('exec: a handle with captured output and exit status; a terminal session', async (t) => {
  const rt = testRuntime(t);
  const c = await rt.create(uniqueId('lib'), { spec: shSpec('sleep 100'), stdio: ['ignore', 'ignore', 'ignore'] });
  await c.start();
  const p = await c.exec({ process: { args: ['sh', '-c', 'echo in-$HOSTNAME-$(cat /proc/self/cgroup | wc -l); exit 5'], cwd: '/', env: ['HOSTNAME=x'] }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  t.same(await p.wait(), { exitCode: 5, signal: null, oomKilled: false });
  t.match(out, /^in-x-\d+\n$/);
  const tty = await c.exec({ process: { args: ['sh'], cwd: '/', terminal: true, env: ['PS1=$ '] } });
  t.ok(tty.terminal, 'the pty master');
  tty.terminal!.resize(77, 11);
  let screen = '';
  tty.terminal!.on('data', (d) => (screen += d));
  tty.terminal!.write('stty size; tty; exit 4\n');
  t.same(await tty.wait(), { exitCode: 4, signal: null, oomKilled: false });
  t.match(screen, /11 77/, 'the size set through resize()');
  t.match(screen, /\/dev\/pts\/\d+/, 'a terminal inside');
  await c.delete({ force: true });
});

t.test('a container with a terminal: c.terminal', async (t) => {
  const rt = testRuntime(t);
  const c = await rt.create(uniqueId('lib'), { spec: shSpec('read x; echo got-$x; exit 2', (s) => (s.process!.terminal = true)) });
  t.equal(c.stdout, null);
  let screen = '';
  c.terminal!.on('data', (d) => (screen += d));
  await c.start();
  c.terminal!.write('hi\n');
  t.same(await c.wait(), { exitCode: 2, signal: null, oomKilled: false });
  t.ok(await waitFor(() => /got-hi/.test(screen)), 'read from and wrote to the pty');
  await c.delete();
});

t.test('typed errors: each code, with its facts; nothing left behind', async (t) => {
  const rt = testRuntime(t);
  const codes = new Set<ErrorCode>();
  const expectError = async (p: Promise<unknown>, code: ErrorCode, facts: Record<string, unknown> = {}) => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    t.ok(e instanceof TsrunError, `${code}: a TsrunError`);
    t.match(e, { name: 'TsrunError', code, ...facts }, code);
    codes.add(code);
  };
  const bad = shSpec('true', (s) => ((s.process!.user as { uid: unknown }).uid = 'root'));
  await expectError(rt.create(uniqueId('lib'), { spec: bad }), 'ERR_CONFIG_INVALID', { pointer: '/process/user/uid' });
  await expectError(rt.create(uniqueId('lib'), { spec: shSpec('true', (s) => (s.hostname = 'h')), rootfs: '/nonexistent' }), 'ERR_CONFIG_INVALID', { pointer: '/root/path' });
  t.same(await rt.list(), [], 'nothing created by a bad spec');
  await expectError(rt.state('nope'), 'ERR_NOT_FOUND');
  await expectError(rt.container('nope').wait(), 'ERR_NOT_FOUND');
  const id = uniqueId('lib');
  const c = await rt.create(id, { spec: shSpec('sleep 100'), stdio: ['ignore', 'ignore', 'ignore'] });
  await expectError(rt.create(id, { spec: shSpec('true') }), 'ERR_EXISTS');
  await expectError(rt.resume(id), 'ERR_BAD_STATE');
  await expectError(rt.create(uniqueId('lib'), { spec: shSpec('true'), stdio: ['ignore', new PassThrough(), 'ignore'] }), 'ERR_INVALID_ARGUMENT');
  await expectError(rt.create(uniqueId('lib'), { spec: shSpec('true', (s) => (s.process!.args = ['/no/such/program'])) }), 'ERR_NOT_FOUND', { path: '/no/such/program' });
  await expectError(
    rt.create(uniqueId('lib'), { spec: shSpec('true', (s) => s.mounts!.push({ destination: '/mnt/x', type: 'bind', source: '/no/such/dir', options: ['bind'] })) }),
    'ERR_CONFIG_INVALID',
    { pointer: /^\/mounts\/\d+\/source$/ },
  );
  await expectError(rt.create(uniqueId('lib'), { spec: shSpec('true', (s) => s.mounts!.push({ destination: '/mnt/x', type: 'nosuchfs', source: 'x' })) }), 'ERR_SYSCALL', {
    errno: 'ENODEV',
    syscall: 'mount',
    op: Number,
  });
  const hook = (extra: object) => shSpec('true', (s) => (s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'sleep 5; exit 9'], ...extra }] }));
  await expectError(rt.create(uniqueId('lib'), { spec: hook({}) }), 'ERR_HOOK', { pointer: '/hooks/createRuntime/0' });
  await expectError(rt.create(uniqueId('lib'), { spec: hook({ timeout: 1 }) }), 'ERR_TIMEOUT', { pointer: '/hooks/createRuntime/0' });
  await expectError(rt.update(id, { cpu: { realtimeRuntime: 1 << 30, realtimePeriod: 1000 } }), 'ERR_SYSCALL');
  // A cgroup v2 file on this cgroup v1 host (the VM suite has the reverse: cpu.rt_* on v2).
  const v2Only = (await import('../../src/cgroups/index.js')).detectCgroups().mode !== 'v2';
  await expectError(
    rt.create(uniqueId('lib'), { spec: shSpec('true', (s) => (s.linux!.resources = v2Only ? { unified: { 'memory.high': '1M' } } : { cpu: { realtimeRuntime: 1000 } })) }),
    'ERR_UNSUPPORTED',
    { pointer: v2Only ? '/linux/resources/unified' : '/linux/resources/cpu/realtimeRuntime' },
  );
  await c.delete({ force: true });
  t.same(await rt.list(), [], 'only the containers that were made, and they are gone');
  t.same(
    ERROR_CODES.filter((code) => !codes.has(code)),
    [],
    'every code was seen',
  );
});

t.test('no process-wide side effects: no signal handlers, no MaxListeners warnings at 100 concurrent operations', async (t) => {
  const rt = testRuntime(t);
  const before = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'].map((s) => process.listenerCount(s));
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => rt.run(uniqueId('lib'), { spec: shSpec(`exit ${i}`), stdio: ['ignore', 'ignore', 'ignore'] })));
  t.same(
    results.map((r) => r.exitCode),
    Array.from({ length: 20 }, (_, i) => i),
  );
  // forwardSignals: one listener per signal for any number of runs, gone afterwards.
  // The sleep starts after the trap is set: two processes in the container mean it is ready.
  const trapped = shSpec('trap "exit 42" TERM; sleep 100 & wait');
  const runs = Array.from({ length: 12 }, () => {
    const id = uniqueId('lib');
    return { id, result: rt.run(id, { spec: trapped, stdio: ['ignore', 'ignore', 'ignore'], forwardSignals: true }) };
  });
  const ready = async (id: string) => (await rt.pids(id).catch(() => [])).length >= 2;
  t.ok(await waitFor(async () => (await Promise.all(runs.map((r) => ready(r.id)))).every(Boolean), 60_000), '12 forwarding runs are running');
  t.equal(process.listenerCount('SIGTERM'), before[1]! + 1, 'one SIGTERM listener for all of them');
  process.kill(process.pid, 'SIGTERM');
  t.same(
    (await Promise.all(runs.map((r) => r.result))).map((r) => r.exitCode),
    Array(12).fill(42),
    'each container got the SIGTERM sent to this program',
  );
  const states = await Promise.all(Array.from({ length: 100 }, () => rt.list()));
  t.equal(states.length, 100);
  t.same(
    ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'].map((s) => process.listenerCount(s)),
    before,
    'no signal listeners added',
  );
  t.same(
    warnings.map((w) => w.name),
    [],
    'no warnings',
  );
});

t.test('the host program dies: the container keeps running and the CLI can delete it', async (t) => {
  const rt = testRuntime(t);
  const id = uniqueId('lib');
  const program = `
    const { Runtime } = await import(${JSON.stringify(TOP + '/src/index.ts')});
    const rt = new Runtime({ root: ${JSON.stringify(rt.root)} });
    const c = await rt.create(${JSON.stringify(id)}, { spec: ${JSON.stringify(shSpec('sleep 100'))}, stdio: ['ignore', 'ignore', 'ignore'] });
    await c.start();
    process.stdout.write(String(c.pid));
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  let pid = '';
  child.stdout.on('data', (d) => (pid += d));
  await new Promise((r) => child.on('exit', r));
  t.match(pid, /^\d+$/, 'the program created and started a container, then was killed');
  t.equal((await rt.state(id)).status, 'running', 'the container still runs');
  const r = await tsrun(['--root', rt.root, 'delete', '--force', id]);
  t.equal(r.code, 0, 'tsrun delete --force');
  t.same(await rt.list(), []);
});
