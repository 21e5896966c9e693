// pause/resume, update, events --stats, ps and kill --all through the CLI,
// checked in the container's cgroup files and from inside the container.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, uniqueId, waitFor } from '../helpers.js';
import { lockDir } from '../../src/state/lock.js';

/** The container's directory for a v1 controller (or the v2 one), from its state. */
function cgroupDir(root: string, id: string, controller: string): string {
  const rec = JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8'));
  return rec.cgroup.dirs[controller] ?? rec.cgroup.dirs.unified;
}

t.test('pause stops progress, resume continues it; state reports paused', async (t) => {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.05; done'];
  });
  const id = uniqueId('pause');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  const count = () => Number(readFileSync(join(rootfs, 'count'), 'utf8') || 0);
  await waitFor(() => count() > 2, 5000);
  t.equal((await run(['pause', id])).code, 0);
  t.equal(JSON.parse((await run(['state', id])).stdout).status, 'paused');
  const frozenAt = count();
  await new Promise((r) => setTimeout(r, 400));
  t.equal(count(), frozenAt, 'no progress while paused');
  const again = await run(['pause', id]);
  t.equal(again.code, 1, 'pausing a paused container is an error');
  t.equal((await run(['resume', id])).code, 0);
  await waitFor(() => count() > frozenAt + 2, 5000);
  t.ok(count() > frozenAt, 'progress after resume');
  t.match((await run(['resume', id])).stderr, /not paused/);
  t.equal((await run(['delete', '--force', id])).code, 0, 'delete --force works on a container that was paused');
});

t.test('delete --force of a paused container', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '60']));
  const id = uniqueId('pdel');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  t.equal((await run(['pause', id])).code, 0);
  t.equal((await run(['delete', '--force', id])).code, 0);
  t.equal((await run(['state', id])).code, 1, 'gone');
});

t.test('update changes live limits and the recorded resources', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '60'];
    s.linux!.resources = { ...s.linux!.resources, pids: { limit: 20 } };
  });
  const id = uniqueId('upd');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  const pidsMax = () => readFileSync(join(cgroupDir(root, id, 'pids'), 'pids.max'), 'utf8').trim();
  t.equal(pidsMax(), '20');
  t.equal((await run(['update', '--pids-limit', '33', id])).code, 0);
  t.equal(pidsMax(), '33', 'per-field flag');
  t.equal((await run(['update', '--resources', '-', id], { input: '{"pids":{"limit":44}}' })).code, 0);
  t.equal(pidsMax(), '44', 'LinuxResources JSON on stdin, as containerd sends it');
  const rec = JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8'));
  t.equal(rec.config.linux.resources.pids.limit, 44, 'recorded resources stay in step');
  const bad = await run(['update', '--memory', 'lots', id]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--memory/);
});

t.test('events --stats, ps and kill --all', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'sleep 60 & sleep 60 & wait'];
    // No pid namespace: kill --all must reach the children through the cgroup.
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
  });
  const id = uniqueId('ev');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  await waitFor(async () => JSON.parse((await run(['ps', '--format', 'json', id])).stdout).length === 3, 5000);
  const pids: number[] = JSON.parse((await run(['ps', '--format', 'json', id])).stdout);
  t.equal(pids.length, 3, 'ps: the shell and its two sleeps');
  const ev = JSON.parse((await run(['events', '--stats', id])).stdout);
  t.equal(ev.type, 'stats');
  t.equal(ev.id, id);
  t.ok(ev.data.memory.usage.usage > 0, 'memory usage reported');
  t.equal(ev.data.pids.current, 3, 'pids.current');
  const table = await run(['ps', id]);
  t.match(table.stdout, /^UID\s+PID/, 'ps table has the header of ps -ef');
  t.equal((await run(['kill', '--all', id, 'KILL'])).code, 0);
  await waitFor(
    () =>
      pids.every((p) => {
        try {
          process.kill(p, 0);
          return false;
        } catch {
          return true;
        }
      }),
    5000,
  );
  t.ok(
    pids.every((p) => {
      try {
        process.kill(p, 0);
        return false;
      } catch {
        return true;
      }
    }),
    'every process is gone',
  );
});

t.test('an update waiting for the lock keeps what another update recorded meanwhile', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '60']));
  const id = uniqueId('upd-race');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  // Hold the lock, as a concurrent update would, and record a limit as it would.
  const unlock = await lockDir(join(root, id));
  const waiting = run(['update', '--pids-limit', '33', id]);
  await new Promise((r) => setTimeout(r, 1500)); // the update has read its state and waits
  const file = join(root, id, 'state.json');
  const rec = JSON.parse(readFileSync(file, 'utf8'));
  ((rec.config.linux.resources ??= {}).cpu ??= {}).shares = 512;
  writeFileSync(file, JSON.stringify(rec));
  unlock();
  t.equal((await waiting).code, 0);
  const after = JSON.parse(readFileSync(file, 'utf8')).config.linux.resources;
  t.equal(after.pids?.limit, 33, 'its own limit is recorded');
  t.equal(after.cpu?.shares, 512, "and the other update's is kept");
});
