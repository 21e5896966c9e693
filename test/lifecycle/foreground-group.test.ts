// A signal sent to the process group of a foreground `tsrun run` (a shell's
// job control, `kill -USR1 -PGID`) reaches tsrun and its executor alike. It
// must be forwarded to the container once, and must not kill the executor
// (which would end the run early and force-delete a container that still runs).
import t from 'tap';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, TSRUN, uniqueId, waitFor } from '../helpers.js';

for (const sig of ['SIGUSR1', 'SIGUSR2', 'SIGHUP', 'SIGINT', 'SIGTERM'] as const) {
  t.test(`${sig} to the process group of a foreground run goes to the container and the run goes on`, async (t) => {
    const { root } = stateRoot(t);
    const name = sig.slice(3);
    const { dir } = makeBundle(t, (s) => {
      s.process!.args = ['sh', '-c', `trap "echo got-${name}" ${name}; echo ready; i=0; while [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done; echo done; exit 5`];
    });
    const tmp = mkdtempSync('/tmp/tsrun-test-out-');
    t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
    const out = openSync(join(tmp, 'out'), 'w');
    const err = openSync(join(tmp, 'err'), 'w');
    // detached: tsrun leads a process group of its own, as a shell's foreground job does.
    const child = spawn(TSRUN, ['--root', root, 'run', '--bundle', dir, uniqueId('integ3-pg')], { stdio: ['ignore', out, err], detached: true });
    closeSync(out);
    closeSync(err);
    t.teardown(() => void child.kill('SIGKILL'));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
    const stdout = () => readFileSync(join(tmp, 'out'), 'utf8');
    t.ok(await waitFor(() => stdout().includes('ready'), 20_000), 'container up');
    process.kill(-child.pid!, sig);
    const ex = await exited;
    const stderr = readFileSync(join(tmp, 'err'), 'utf8');
    t.same(ex, { code: 5, signal: null }, `tsrun exits with the container's own status (${stderr})`);
    t.match(stdout(), new RegExp(`^got-${name}$`, 'm'), `the container got ${sig}`);
    t.match(stdout(), /^done$/m, 'and ran to its end');
    t.same(readdirSync(root), [], 'the container is deleted after the run');
  });
}
