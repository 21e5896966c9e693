// SCMP_ACT_NOTIFY with listenerPath: the agent gets the container process
// state (config-linux.md) and the notify fd over SCM_RIGHTS, and answers the
// container's syscalls (test/tools/seccomp-agent.py answers with EXDEV).
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, TOP, uniqueId } from '../helpers.js';
import { tmpDir } from './lib.js';

const AGENT = join(TOP, 'test/tools/seccomp-agent.py');

function startAgent(t: Parameters<typeof tmpDir>[0], dir: string, mode = '1'): Promise<{ socket: string; out: string; done: Promise<number | null> }> {
  const socket = join(dir, 'agent.sock');
  const out = join(dir, 'agent.json');
  const child = spawn('python3', [AGENT, socket, out, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void child.kill('SIGKILL'));
  const done = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  return new Promise((res) => child.stdout.on('data', () => res({ socket, out, done })));
}

t.test('the agent gets the state and the fd, and answers for the kernel', async (t) => {
  const { run } = stateRoot(t);
  const dir = tmpDir(t);
  const agent = await startAgent(t, dir);
  const { dir: bundle } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'mkdir /tmp/x 2>&1; echo "rc=$?"'];
    s.annotations = { k: 'v' };
    s.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: agent.socket,
      listenerMetadata: 'meta-data',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
    };
  });
  const id = uniqueId('notify');
  const r = await run(['run', '--bundle', bundle, id]);
  t.match(r.stdout, /Invalid cross-device link/, "mkdir got the agent's answer (EXDEV)");
  t.equal(await agent.done, 0, 'the agent answered and exited');
  const got = JSON.parse(readFileSync(agent.out, 'utf8'));
  t.equal(got.nfds, 1, 'one fd over SCM_RIGHTS');
  t.same(got.state.fds, ['seccompFd']);
  t.equal(got.state.metadata, 'meta-data');
  t.ok(got.state.pid > 0, 'the host pid');
  t.match(got.state.state, { id, status: 'creating', pid: got.state.pid, bundle, annotations: { k: 'v' } });
});

// The init's own calls after its filter goes on (sendmsg of the fd, close,
// the write to the runtime, execve's) go to the agent like the container's:
// a helper forked before the filter sends the fd, so none waits for nobody.
// Before, tsrun refused these configs ("would block the container's own start").
for (const nnp of [false, true]) {
  t.test(`NOTIFY on write, close, sendmsg and execve works (noNewPrivileges ${nnp})`, { skip: process.arch !== 'x64' && 'syscall numbers below are x86_64' }, async (t) => {
    const dir = tmpDir(t);
    const agent = await startAgent(t, dir, 'continue');
    const { run } = stateRoot(t);
    const { dir: bundle } = makeBundle(t, (s) => {
      s.process!.args = ['sh', '-c', 'echo hello'];
      s.process!.noNewPrivileges = nnp;
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: agent.socket, syscalls: [{ names: ['write', 'close', 'sendmsg', 'execve'], action: 'SCMP_ACT_NOTIFY' }] };
    });
    const r = await run(['run', '--bundle', bundle, uniqueId('nf')], { timeoutMs: 20_000 });
    t.equal(r.code, 0, r.stderr);
    if (r.code !== 0) return; // the agent may never have been reached
    t.equal(r.stdout, 'hello\n', "the container's write went on after the agent let it");
    t.equal(await agent.done, 0, 'the agent saw the container go');
    const nrs = new Set(JSON.parse(readFileSync(agent.out, 'utf8')).nrs as number[]);
    // x86_64: write 1, close 3, execve 59.
    for (const [name, nr] of [
      ['write', 1],
      ['close', 3],
      ['execve', 59],
    ] as const)
      t.ok(nrs.has(nr), `the agent was asked about ${name}`);
  });
}

t.test('NOTIFY needs a listener that is there', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/nonexistent/agent.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
  });
  const r = await run(['create', '--bundle', dir, uniqueId('nl')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /connect to seccomp listener \/nonexistent\/agent.sock: ENOENT/);
  t.same(readdirSync(root), [], 'nothing left');
});
