// Socket activation: LISTEN_FDS=n in tsrun's environment passes fds 3..3+n-1
// into the container and tells it LISTEN_FDS=n, LISTEN_PID=1 (as runc does).
import t from 'tap';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TSRUN, makeBundle, stateRoot, uniqueId } from '../helpers.js';

function runWithFds(root: string, bundle: string, id: string, env: NodeJS.ProcessEnv, extra: number): Promise<string> {
  const dir = mkdtempSync('/tmp/tsrun-test-out-');
  const out = openSync(join(dir, 'out'), 'w');
  const fds = Array.from({ length: extra }, () => openSync('/dev/null', 'r'));
  return new Promise((res) => {
    const child = spawn(TSRUN, ['--root', root, 'run', '--bundle', bundle, id], { stdio: ['ignore', out, 'inherit', ...fds], env });
    child.on('exit', () => {
      for (const fd of [out, ...fds]) closeSync(fd);
      const text = readFileSync(join(dir, 'out'), 'utf8');
      rmSync(dir, { recursive: true, force: true });
      res(text);
    });
  });
}

t.test('LISTEN_FDS passes the fds and sets the env', async (t) => {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', 'echo "$LISTEN_FDS $LISTEN_PID"; for f in 3 4 5; do [ -e /proc/self/fd/$f ] && readlink /proc/self/fd/$f; done; true']));
  const on = await runWithFds(root, dir, uniqueId('lfd'), { ...process.env, LISTEN_FDS: '2' }, 2);
  const [vars, ...links] = on.trim().split('\n');
  t.equal(vars, '2 1');
  t.same(links.slice(0, 2), ['/dev/null', '/dev/null'], "fds 3 and 4 are the caller's");
  const off = await runWithFds(root, dir, uniqueId('lfd'), { ...process.env, LISTEN_FDS: '' }, 2);
  t.equal(off.split('\n')[0], ' ', 'without LISTEN_FDS: no env');
  t.notMatch(off, /\/dev\/null/, 'and no fds beyond 0-2');
});
