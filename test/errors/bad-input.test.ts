// Every bad input gets a clear error naming the thing at fault and exit
// status 1, and leaves nothing behind: no state directory, no cgroup, no
// process. Also: create killed at any moment leaves a container that
// `delete --force` removes completely.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDirsNamed, logMessages, makeBundle, stateRoot, TSRUN, uniqueId, waitFor, type Result } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';

interface Spawned extends Result {
  /** tsrun's pid, which is also the process group of everything it started before setsid. */
  pgid: number;
}

/**
 * bin/tsrun in a process group of its own (so that whatever it leaves
 * behind can be found), output through files. `killAfter` SIGKILLs it:
 * a number of ms after the spawn, or when the function returns true.
 */
function tsrunGroup(args: string[], killAfter?: number | (() => boolean)): Promise<Spawned> {
  const tmp = mkdtempSync('/tmp/tsrun-test-out-');
  const out = openSync(join(tmp, 'out'), 'w');
  const err = openSync(join(tmp, 'err'), 'w');
  return new Promise((res) => {
    const child = spawn(TSRUN, args, { stdio: ['ignore', out, err], detached: true });
    closeSync(out);
    closeSync(err);
    let exited = false;
    const kill = () => {
      if (!exited) child.kill('SIGKILL');
    };
    const timer = setTimeout(kill, 30_000);
    if (typeof killAfter === 'number') setTimeout(kill, killAfter);
    else if (killAfter) {
      const poll = () => {
        if (exited) return;
        if (killAfter()) kill();
        else setImmediate(poll);
      };
      poll();
    }
    child.on('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      const r = {
        code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 0),
        stdout: readFileSync(join(tmp, 'out'), 'utf8'),
        stderr: readFileSync(join(tmp, 'err'), 'utf8'),
        pgid: child.pid!,
      };
      rmSync(tmp, { recursive: true, force: true });
      res(r);
    });
  });
}

/** Live (non-zombie) processes in process group `pgid`, or in a cgroup whose path ends in /id. */
function leftovers(pgid: number, id: string): number[] {
  const found: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z') continue;
      const inGroup = Number(f[2]) === pgid;
      const inCgroup = readFileSync(`/proc/${p}/cgroup`, 'utf8')
        .split('\n')
        .some((l) => l.endsWith(`/${id}`) || l.includes(`/${id}/`));
      if (inGroup || inCgroup) found.push(Number(p));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

type T = Test;

/** Nothing of container `id` anywhere: state root, cgroups, processes. */
async function assertNothingLeft(t: T, root: string, id: string, pgid: number): Promise<void> {
  t.notOk(existsSync(join(root, id)), `no state directory for ${id}`);
  t.same(existsSync(root) ? readdirSync(root) : [], [], 'state root empty');
  t.same(cgroupDirsNamed(id), [], 'no cgroup directory named after the container');
  const gone = await waitFor(() => leftovers(pgid, id).length === 0, 3000);
  t.ok(gone, `no process left (${leftovers(pgid, id).join(', ')})`);
}

/** Creates a container from `edit`ed config; expects exit 1 with stderr matching `msg`, and nothing left. */
async function badCreate(t: T, edit: (s: Spec) => void, msg: RegExp, write?: (dir: string) => void, cmd: 'create' | 'run' = 'create'): Promise<Spawned> {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, edit);
  write?.(dir);
  const id = uniqueId('bad');
  const r = await tsrunGroup(['--root', root, cmd, '--bundle', dir, id]);
  t.equal(r.code, 1, 'exit status 1');
  t.match(logMessages(r.stderr), msg, 'the error names what is wrong');
  t.notMatch(r.stderr, /internal error|\n\s+at /, 'a plain message, no stack trace');
  await assertNothingLeft(t, root, id, r.pgid);
  return r;
}

t.test('the leftover checks see a live container (so their silence means something)', async (t) => {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const id = uniqueId('live');
  const r = await tsrunGroup(['--root', root, 'create', '--bundle', dir, id]);
  t.equal(r.code, 0, r.stderr);
  const pid = statePid(root, id);
  t.ok(leftovers(r.pgid, id).includes(pid), 'the init is found');
  t.ok(cgroupDirsNamed(id).length > 0, 'its cgroups are found');
  t.equal((await tsrunGroup(['--root', root, 'delete', '--force', id])).code, 0);
  await assertNothingLeft(t, root, id, r.pgid);
});

t.test('malformed JSON', async (t) => {
  await badCreate(
    t,
    () => {},
    /^config\.json: invalid JSON/m,
    (dir) => writeFileSync(join(dir, 'config.json'), '{"ociVersion": "1.3.0",'),
  );
});

t.test('no config.json in the bundle', async (t) => {
  await badCreate(
    t,
    () => {},
    /config\.json/,
    (dir) => rmSync(join(dir, 'config.json')),
  );
});

t.test('a schema violation names the JSON pointer', async (t) => {
  await badCreate(t, (s) => ((s.process!.user as { uid: unknown }).uid = 'x'), /^config\.json: \/process\/user\/uid: must be integer$/m);
});

t.test('a missing rootfs', async (t) => {
  await badCreate(t, (s) => (s.root!.path = 'no-such-rootfs'), /root\/path.*no-such-rootfs.*does not exist/);
});

t.test('a missing executable', async (t) => {
  await badCreate(t, (s) => (s.process!.args = ['no-such-program', 'x']), /exec: "no-such-program": executable file not found in \$PATH/);
  await badCreate(t, (s) => (s.process!.args = ['no-such-program']), /executable file not found in \$PATH/, undefined, 'run');
});

t.test('an unknown capability name', async (t) => {
  await badCreate(t, (s) => s.process!.capabilities!.bounding!.push('CAP_NOT_A_CAP'), /capabilities\/bounding\/\d+: unknown capability "CAP_NOT_A_CAP"/);
});

t.test('a relative mount destination', async (t) => {
  await badCreate(t, (s) => s.mounts!.push({ destination: 'relative/dir', type: 'tmpfs', source: 'tmpfs' }), /mounts\/\d+\/destination: "relative\/dir" must be an absolute path/);
});

t.test('a bind mount whose source does not exist', async (t) => {
  await badCreate(t, (s) => s.mounts!.push({ destination: '/b', type: 'bind', source: '/nonexistent/tsrun-src', options: ['bind'] }), /mounts\/\d+\/source: \/nonexistent\/tsrun-src does not exist/);
});

t.test('a mount the kernel refuses fails in the init and is cleaned up', async (t) => {
  await badCreate(t, (s) => s.mounts!.push({ destination: '/weird', type: 'no-such-fs-type', source: 'none' }), /\/weird.*ENODEV/);
});

t.test('a namespace given twice', async (t) => {
  await badCreate(t, (s) => s.linux!.namespaces!.push({ type: 'pid' }), /namespaces\/\d+\/type: namespace pid is given twice/);
});

t.test('ociVersion 2.0.0', async (t) => {
  await badCreate(t, (s) => (s.ociVersion = '2.0.0'), /ociVersion.*2\.0\.0/);
});

const hostHasSysResource = (BigInt('0x' + /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) & (1n << 24n)) !== 0n;
t.test(
  'an oomScoreAdj the runtime may not set gets a clear error',
  {
    skip: hostHasSysResource && 'this host has CAP_SYS_RESOURCE: lowering oom_score_adj works',
  },
  async (t) => {
    await badCreate(t, (s) => (s.process!.oomScoreAdj = -1000), /oom_score_adj.*EACCES|EACCES.*oom_score_adj/);
  },
);

t.test('a second create with an existing id fails; the first container is unaffected', async (t) => {
  const { root, run } = stateRoot(t);
  const a = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const b = makeBundle(t, (s) => (s.process!.args = ['sleep', '601']));
  const id = uniqueId('dup');
  t.equal((await run(['create', '--bundle', a.dir, id])).code, 0);
  const before = readFileSync(join(root, id, 'state.json'), 'utf8');
  const cgBefore = cgroupDirsNamed(id);
  t.ok(cgBefore.length > 0, 'the first container has cgroups');
  const second = await run(['create', '--bundle', b.dir, id]);
  t.equal(second.code, 1);
  t.match(second.stderr, new RegExp(`container with given ID already exists: ${id}`));
  t.equal(readFileSync(join(root, id, 'state.json'), 'utf8'), before, "the first container's state is untouched");
  t.same(cgroupDirsNamed(id), cgBefore, 'its cgroups are still there');
  const s = JSON.parse((await run(['state', id])).stdout);
  t.equal(s.status, 'created');
  t.equal(s.bundle, a.dir, 'still the first bundle');
  t.equal((await run(['start', id])).code, 0, 'the first container starts');
  t.equal(JSON.parse((await run(['state', id])).stdout).status, 'running');
  t.equal(readFileSync(`/proc/${s.pid}/cmdline`, 'utf8'), 'sleep\u0000600\u0000', 'and runs its own process');
});

t.test('an unknown id: state, start, kill, delete fail; delete --force does not', async (t) => {
  const { run } = stateRoot(t);
  for (const args of [['state'], ['start'], ['kill'], ['kill', '--all'], ['delete']]) {
    const r = await run([...args, 'no-such-container']);
    t.equal(r.code, 1, `${args.join(' ')}: exit 1`);
    t.match(r.stderr, /container does not exist/, `${args.join(' ')}: says so`);
  }
  const f = await run(['delete', '--force', 'no-such-container']);
  t.equal(f.code, 0, 'delete --force of an unknown id succeeds (as runc)');
  const bad = await run(['state', '../escape']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /invalid container ID format/, 'an id with a slash is refused');
});

t.test('bad signals, start of a running container, delete of a running one', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const id = uniqueId('sig');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0);
  t.equal((await run(['start', id])).code, 0);
  for (const sig of ['FOO', 'SIGFOO', '9x', 'RTMIN+31']) {
    const r = await run(['kill', id, sig]);
    t.equal(r.code, 1, `kill ${sig}: exit 1`);
    t.match(r.stderr, /unknown signal/i, `kill ${sig}: says the signal is bad`);
    t.ok(logMessages(r.stderr).includes(`"${sig}"`), `kill ${sig}: names it (${r.stderr.trim()})`);
  }
  // Numbers go to the kernel as runc passes them: 0 probes, 65 is EINVAL there.
  t.equal((await run(['kill', id, '0'])).code, 0, 'kill 0 is a liveness probe');
  const big = await run(['kill', id, '65']);
  t.equal(big.code, 1, 'kill 65: exit 1');
  t.match(big.stderr, /unable to signal init: invalid argument/, "kill 65: the kernel's EINVAL in runc's words");
  const again = await run(['start', id]);
  t.equal(again.code, 1);
  t.match(again.stderr, /cannot start an already running container/);
  const del = await run(['delete', id]);
  t.equal(del.code, 1);
  t.match(del.stderr, new RegExp(`cannot delete container ${id} that is not stopped: running`));
  const s = JSON.parse((await run(['state', id])).stdout);
  t.equal(s.status, 'running', 'after all that the container still runs');
  t.ok(existsSync(`/proc/${s.pid}`));
});

type When = number | ((id: string) => () => boolean);

/** create, SIGKILLed at `when`; then delete --force must remove every trace. */
async function killCreate(t: T, root: string, dir: string, when: When, what: string): Promise<void> {
  const id = uniqueId('killed');
  const r = await tsrunGroup(['--root', root, 'create', '--bundle', dir, id], typeof when === 'number' ? when : when(id));
  const pid = statePid(root, id);
  const l = await tsrunGroup(['--root', root, 'list', '-q']);
  t.equal(l.code, 0, `killed after ${what} (exit ${r.code}): list still works`);
  const d = await tsrunGroup(['--root', root, 'delete', '--force', id]);
  t.equal(d.code, 0, `delete --force: ${d.stderr}`);
  t.notOk(existsSync(join(root, id)), 'state directory gone');
  t.same(cgroupDirsNamed(id), [], 'cgroups gone');
  const gone = await waitFor(() => leftovers(r.pgid, id).length === 0 && (!pid || !alive(pid)), 3000);
  t.ok(gone, `no process left (${leftovers(r.pgid, id).join(', ')}${pid && alive(pid) ? ` init ${pid}` : ''})`);
  t.equal((await tsrunGroup(['--root', root, 'state', id])).code, 1, 'the container does not exist any more');
  // A leak the assertion above caught must not outlive the test.
  for (const cg of cgroupDirsNamed(id).reverse()) rmdirQuiet(cg);
}

function statePid(root: string, id: string): number {
  try {
    return JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')).pid as number;
  } catch {
    return 0;
  }
}

function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty or gone */
  }
}

t.test('create killed with SIGKILL at random moments: delete --force removes everything', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  // How long a whole create takes here, to spread the later kills over it.
  const probe = uniqueId('kill-probe');
  const t0 = Date.now();
  const full = await run(['create', '--bundle', dir, probe]);
  const duration = Math.max(Date.now() - t0, 120);
  t.equal(full.code, 0, full.stderr);
  t.equal((await run(['delete', '--force', probe])).code, 0);

  const moments: number[] = [];
  for (let i = 0; i < 10; i++) moments.push(i * 6 + Math.floor(Math.random() * 6)); // 0..60 ms
  for (let i = 0; i < 6; i++) moments.push(60 + Math.floor(((duration - 60) * (i + Math.random())) / 6)); // the rest of create
  // A random moment can fall into the window of the bug below.
  for (const ms of moments) await killCreate(t, root, dir, ms, `${ms} ms`);
  t.same(readdirSync(root), [], 'state root empty at the end');
});

t.test('create killed at each step it records: delete --force removes everything', async (t) => {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  await killCreate(t, root, dir, (id) => () => existsSync(join(root, id)), 'the state directory appears');
  await killCreate(t, root, dir, (id) => () => statePid(root, id) > 0, 'the init pid is recorded');
  await killCreate(t, root, dir, (id) => () => existsSync(join(root, id, 'exec.fifo')), 'the exec fifo appears');
  t.same(readdirSync(root), [], 'state root empty at the end');
});

t.test('create killed as its first cgroup directory appears: delete --force removes the cgroups', async (t) => {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const hierarchies = readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h));
  for (let i = 0; i < 3; i++) {
    await killCreate(t, root, dir, (id) => () => hierarchies.some((h) => existsSync(join(h, id))), 'a cgroup directory appears');
  }
});

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
