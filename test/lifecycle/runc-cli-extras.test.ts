// runc CLI options engines use (issue 12): run --no-subreaper,
// create/run/exec --pidfd-socket (runc >= 1.2, containerd 2), exec --cgroup.
// Each checked from outside and inside, and against runc where this host's
// runc (1.1.5) has the option: --no-subreaper and exec --cgroup.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { detectCgroups } from '../../src/cgroups/detect.js';
import { logMessages, makeBundle, stateRoot, tempDir, TOP, uniqueId } from '../helpers.js';
import { NO_RUNC } from '../isolation/runc-run.js';
import type { Spec } from '../../src/spec/types.js';

// An orphan (the init's grandchild, its parent gone) and the init: whose child is each?
const ORPHAN = '(sleep 3 & echo $! > /tmp/orphan); sleep 0.5; grep PPid /proc/$(cat /tmp/orphan)/status | cut -f2; grep PPid /proc/$$/status | cut -f2';
const noPidNs = (s: Spec) => {
  s.process!.args = ['sh', '-c', ORPHAN];
  s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
};

for (const flag of [[], ['--no-subreaper']]) {
  t.test(`run ${flag.join(' ') || '(subreaper)'}: orphans go to ${flag.length ? 'someone else' : "the init's parent"}`, async (t) => {
    const { run } = stateRoot(t);
    const { dir } = makeBundle(t, noPidNs);
    const r = await run(['run', ...flag, '--bundle', dir, uniqueId('spec13-reaper')]);
    t.equal(r.code, 0, r.stderr);
    const [orphanParent, initParent] = r.stdout.trim().split('\n');
    if (flag.length) t.not(orphanParent, initParent, `orphan's parent ${orphanParent}, init's ${initParent}`);
    else t.equal(orphanParent, initParent, 'the watcher of the init reaps the orphan');
    if (NO_RUNC) return;
    const runc = spawnSync('runc', ['--root', tempDir(t, 'runc-root'), 'run', ...flag, '--bundle', dir, uniqueId('spec13-reaper-runc')], { encoding: 'utf8', timeout: 30_000 });
    const [ro, ri] = runc.stdout.trim().split('\n');
    t.equal(ro === ri, orphanParent === initParent, `runc ${flag.join(' ')} agrees (${runc.stdout.trim().replace('\n', ' ')})`);
  });
}

/** A pidfd receiver at a fresh path; resolves with its output once it got one. */
async function receiver(t: Test): Promise<{ path: string; got: Promise<string> }> {
  const path = join(tempDir(t, 'pidfd'), 'sock');
  const child = spawn('python3', [join(TOP, 'test/tools/recvpidfd.py'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void child.kill());
  let out = '';
  const got = new Promise<string>((res) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/payload/.test(out)) res(out);
    });
    child.on('exit', () => res(out));
  });
  await new Promise<void>((res) => child.stdout!.once('data', () => res()));
  return { path, got };
}

t.test('create --pidfd-socket: a pidfd of the init', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const rx = await receiver(t);
  const id = uniqueId('spec13-pidfd');
  const c = await run(['create', '--pidfd-socket', rx.path, '--bundle', dir, id]);
  t.equal(c.code, 0, c.stderr);
  const state = JSON.parse((await run(['state', id])).stdout) as { pid: number };
  t.match(await rx.got, new RegExp(`^payload pidfd pid ${state.pid}$`, 'm'));
});

t.test("exec --pidfd-socket: a pidfd of the exec'd process", async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const id = uniqueId('spec13-pidfd');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  const rx = await receiver(t);
  const pidFile = join(tempDir(t, 'pidfile'), 'pid');
  const e = await run(['exec', '-d', '--pid-file', pidFile, '--pidfd-socket', rx.path, id, 'sleep', '600']);
  t.equal(e.code, 0, e.stderr);
  t.match(await rx.got, new RegExp(`^payload pidfd pid ${readFileSync(pidFile, 'utf8').trim()}$`, 'm'));
});

t.test('exec --cgroup: the process runs in an existing sub-cgroup', async (t) => {
  const host = detectCgroups();
  const controller = host.mode === 'v2' ? '' : 'memory';
  const id = uniqueId('spec13-subcg');
  const path = `/tsrun-spec13-${id}`;
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '600'];
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
    s.linux!.cgroupsPath = path;
  });
  const mount = host.mode === 'v2' ? host.unified!.mountpoint : host.v1.memory!.mountpoint;
  const runtimes: [string, (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>][] = [['tsrun', stateRoot(t).run]];
  if (!NO_RUNC) {
    const root = tempDir(t, 'runc-root');
    runtimes.push([
      'runc',
      async (args) => {
        const r = spawnSync('runc', ['--root', root, ...args], { encoding: 'utf8', timeout: 30_000 });
        return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
      },
    ]);
  }
  for (const [name, run] of runtimes) {
    const cid = `${id}-${name}`;
    t.teardown(() => void run(['delete', '--force', cid]));
    t.equal((await run(['run', '-d', '--bundle', dir, cid])).code, 0, `${name}: started`);
    const sub = join(mount, path, 'sub');
    mkdirSync(sub);
    t.teardown(() => existsSync(sub) && rmdirSync(sub));
    const e = await run(['exec', '--cgroup', controller ? `${controller}:sub` : 'sub', cid, 'cat', '/proc/self/cgroup']);
    t.equal(e.code, 0, `${name}: ${e.stderr}`);
    const line = e.stdout.split('\n').find((l) => (controller ? l.split(':')[1] === controller : l.startsWith('0::')));
    t.equal(line?.split(':')[2], `${path}/sub`, `${name}: in the sub-cgroup`);
    const missing = await run(['exec', '--cgroup', controller ? `${controller}:nope` : 'nope', cid, 'true']);
    t.equal(missing.code, 255, `${name}: a missing sub-cgroup fails exec itself (255)`);
    if (name === 'tsrun') t.match(logMessages(missing.stderr), /sub-cgroup .*nope does not exist/);
    rmdirSync(sub);
    t.equal((await run(['delete', '--force', cid])).code, 0, `${name}: deleted`);
  }
});
