// Hooks through the CLI, as engines use them: each kind runs at its moment,
// in its namespace, with the state on stdin, and its failure has the
// consequence the spec gives it (runtime.md "Lifecycle", config.md "POSIX-platform Hooks").
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDirsNamed, makeBundle, nsOf, stateRoot, tempDir, uniqueId, waitFor } from '../helpers.js';
import type { Hook, Spec } from '../../src/spec/types.js';

type Kind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';
const KINDS: Kind[] = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

/** A hook that appends "KIND <its mount ns> <state on stdin>" to dir/log, then runs `then`. */
function logHook(kind: string, dir: string, then = ''): Hook {
  return { path: '/bin/sh', args: ['sh', '-c', `s=$(cat); echo "${kind} $(readlink /proc/self/ns/mnt) $s" >> ${dir}/log; ${then}`] };
}

/**
 * The hooks' log directory goes into the container at the same path, so a
 * hook writes to the same place before pivot_root, after it, and on the host.
 */
function withLogMount(s: Spec, dir: string): void {
  s.mounts = [...(s.mounts ?? []), { destination: dir, type: 'bind', source: dir, options: ['rbind', 'rw'] }];
}

interface Entry {
  kind: string;
  mntNs: string;
  state: { id: string; status: string; pid: number; bundle: string };
}

function readLog(dir: string): Entry[] {
  if (!existsSync(join(dir, 'log'))) return [];
  return readFileSync(join(dir, 'log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [kind, mntNs, ...rest] = l.split(' ');
      return { kind: kind!, mntNs: mntNs!, state: JSON.parse(rest.join(' ')) };
    });
}

t.test('all six kinds run once, in order, each in its namespace, with the state on stdin', async (t) => {
  const { run } = stateRoot(t);
  const logs = tempDir(t, 'hooks');
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['true'];
    withLogMount(s, logs);
    s.hooks = Object.fromEntries(KINDS.map((k) => [k, [logHook(k, logs)]]));
  });
  const id = uniqueId('hooks');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0);
  const pid = Number(JSON.parse((await run(['state', id])).stdout).pid);
  const containerNs = nsOf(pid, 'mnt');
  t.same(
    readLog(logs).map((e) => e.kind),
    ['prestart', 'createRuntime', 'createContainer'],
    'create ran its three',
  );
  t.equal((await run(['start', id])).code, 0);
  t.ok(await waitFor(async () => JSON.parse((await run(['state', id])).stdout).status === 'stopped'), 'the container ran');
  t.equal((await run(['delete', id])).code, 0);

  const log = readLog(logs);
  t.same(
    log.map((e) => e.kind),
    KINDS,
    'each kind once, in lifecycle order',
  );
  const hostNs = nsOf('self', 'mnt');
  for (const e of log) {
    t.equal(e.state.id, id, `${e.kind}: the id`);
    t.equal(e.state.bundle, dir, `${e.kind}: the bundle`);
    const inContainer = e.kind === 'createContainer' || e.kind === 'startContainer';
    t.equal(e.mntNs, inContainer ? containerNs : hostNs, `${e.kind}: runs in the ${inContainer ? "container's" : "runtime's"} mount namespace`);
    if (e.kind !== 'poststop') t.equal(e.state.pid, pid, `${e.kind}: the init's pid`);
  }
  t.not(containerNs, hostNs);
  t.equal(log.find((e) => e.kind === 'poststart')!.state.status, 'running');
  t.same([log.at(-1)!.state.status, log.at(-1)!.state.pid], ['stopped', 0], 'poststop: stopped, pid 0');
});

t.test('a failing prestart hook fails create, leaves nothing, and poststop still runs', async (t) => {
  const { run } = stateRoot(t);
  const logs = tempDir(t, 'hooks');
  const { dir } = makeBundle(t, (s) => {
    withLogMount(s, logs);
    s.hooks = { prestart: [logHook('prestart', logs, 'echo broken >&2; exit 3')], poststop: [logHook('poststop', logs)] };
  });
  const id = uniqueId('prefail');
  const r = await run(['create', '--bundle', dir, id]);
  t.equal(r.code, 1);
  t.match(r.stderr, /prestart hook 0 \(\/bin\/sh\): exit status 3: broken/);
  t.equal((await run(['state', id])).code, 1, 'no container');
  t.same(cgroupDirsNamed(id), [], 'no cgroup left');
  t.same(
    readLog(logs).map((e) => e.kind),
    ['prestart', 'poststop'],
  );
});

t.test('a hook past its timeout is killed and fails create', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'sleep 30'], timeout: 1 }] };
  });
  const id = uniqueId('timeout');
  const began = Date.now();
  const r = await run(['create', '--bundle', dir, id]);
  t.equal(r.code, 1);
  t.match(r.stderr, /createRuntime hook 0 \(\/bin\/sh\): timed out after 1s/);
  t.ok(Date.now() - began < 20_000, 'did not wait for the hook to end by itself');
  t.equal((await run(['state', id])).code, 1, 'no container');
});

t.test('an in-container hook past its timeout is killed, with what it forked', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '60'];
    s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'sleep 30 & sleep 30'], timeout: 1 }] };
  });
  const id = uniqueId('ctimeout');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0);
  const began = Date.now();
  const r = await run(['start', id]);
  t.equal(r.code, 1);
  t.match(r.stderr, /startContainer hook 0 \(\/bin\/sh\): timed out after 1s/);
  t.ok(Date.now() - began < 20_000, 'did not wait for the hook to end by itself');
  t.equal((await run(['state', id])).code, 1, 'destroyed');
});

t.test('a hook gets only its own env and args', async (t) => {
  const { run } = stateRoot(t);
  const logs = tempDir(t, 'hooks');
  const { dir } = makeBundle(t, (s) => {
    s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['my-argv0', '-c', `echo "$0 $FOO $(env | grep -c .)" > ${logs}/env`], env: ['FOO=bar'] }] };
  });
  const id = uniqueId('hookenv');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0);
  // sh itself adds PWD (and perhaps SHLVL, _) to what it was given.
  const [argv0, foo, count] = readFileSync(join(logs, 'env'), 'utf8').trim().split(' ');
  t.equal(argv0, 'my-argv0');
  t.equal(foo, 'bar');
  t.ok(Number(count) <= 4, `a near-empty environment (${count} variables)`);
});

t.test('a failing startContainer hook fails start and destroys the container', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '60'];
    s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 5'] }] };
  });
  const id = uniqueId('startfail');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0);
  const pid = Number(JSON.parse((await run(['state', id])).stdout).pid);
  const r = await run(['start', id]);
  t.equal(r.code, 1);
  t.match(r.stderr, /startContainer hook 0 \(\/bin\/sh\): exit status 5/);
  t.equal((await run(['state', id])).code, 1, 'destroyed');
  t.notOk(existsSync(`/proc/${pid}/stat`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '), 'the init is gone');
  t.same(cgroupDirsNamed(id), [], 'no cgroup left');
});

t.test('a failing poststop hook only warns: delete succeeds', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.hooks = { poststop: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 1'] }] };
  });
  const id = uniqueId('postfail');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0);
  const r = await run(['delete', '--force', id]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /poststop hook 0 \(\/bin\/sh\): exit status 1/);
  t.equal((await run(['state', id])).code, 1, 'gone');
});
