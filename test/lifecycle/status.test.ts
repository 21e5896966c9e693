// Each status transition, as `state` reports it, and runc's refusals.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, uniqueId } from '../helpers.js';

t.test('created -> running -> stopped -> deleted', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '60']));
  const id = uniqueId('life');
  const pidFile = join(dir, 'pid');

  const c = await run(['create', '--bundle', dir, '--pid-file', pidFile, id]);
  t.equal(c.code, 0, `create: ${c.stderr}`);
  let s = JSON.parse((await run(['state', id])).stdout);
  t.equal(s.status, 'created');
  t.equal(s.id, id);
  t.equal(s.bundle, dir);
  t.equal(String(s.pid), readFileSync(pidFile, 'utf8'), 'pid file holds the init pid');
  t.ok(existsSync(`/proc/${s.pid}`), 'the init exists on the host');
  t.equal(Object.keys(s).join(','), 'ociVersion,id,pid,status,bundle,rootfs,created,owner', "runc's field order");

  t.equal((await run(['start', id])).code, 0);
  s = JSON.parse((await run(['state', id])).stdout);
  t.equal(s.status, 'running');

  const again = await run(['start', id]);
  t.equal(again.code, 1);
  t.match(again.stderr, /cannot start an already running container/);

  const del = await run(['delete', id]);
  t.equal(del.code, 1, 'delete of a running container needs --force');
  t.match(del.stderr, /cannot delete container .* that is not stopped: running/);

  t.equal((await run(['kill', id, 'KILL'])).code, 0);
  for (let i = 0; i < 100 && JSON.parse((await run(['state', id])).stdout).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  s = JSON.parse((await run(['state', id])).stdout);
  t.equal(s.status, 'stopped');
  t.equal(s.pid, 0, 'pid is 0 when stopped');

  const k = await run(['kill', id]);
  t.equal(k.code, 1);
  t.match(k.stderr, /container not running/);

  t.equal((await run(['delete', id])).code, 0);
  const gone = await run(['state', id]);
  t.equal(gone.code, 1);
  t.match(gone.stderr, /container does not exist/);
  t.notOk(existsSync(join(root, id)), 'state directory removed');
});

t.test('delete of a created container needs --force, which kills its init', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '60']));
  const id = uniqueId('del');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0);
  const pid = JSON.parse((await run(['state', id])).stdout).pid;
  const plain = await run(['delete', id]);
  t.equal(plain.code, 1, 'runtime.md: deleting a container that is not stopped is an error');
  t.match(plain.stderr, /not stopped: created/);
  t.equal(JSON.parse((await run(['state', id])).stdout).status, 'created', 'and has no effect');
  t.equal((await run(['delete', '--force', id])).code, 0);
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  t.ok(stat === '' || / Z /.test(stat), 'init gone or a zombie');
});

t.test('run returns the exit code, or 128+signal', async (t) => {
  const { run } = stateRoot(t);
  const a = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', 'exit 42']));
  t.equal((await run(['run', '--bundle', a.dir, uniqueId('exit')])).code, 42);
  // Not pid 1: the init of a pid namespace is immune to its own SIGKILL.
  const b = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'kill -9 $$'];
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
  });
  t.equal((await run(['run', '--bundle', b.dir, uniqueId('sig')])).code, 137);
});

t.test('concurrent commands on one container are serialized by its lock', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '60']));
  const id = uniqueId('lock');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0);
  const starts = await Promise.all([1, 2, 3].map(() => run(['start', id])));
  t.equal(starts.filter((r) => r.code === 0).length, 1, 'exactly one start wins');
  for (const r of starts.filter((r) => r.code !== 0)) t.match(r.stderr, /already running/);
  const deletes = await Promise.all([1, 2, 3].map(() => run(['delete', '--force', id])));
  t.ok(
    deletes.every((r) => r.code === 0),
    'delete --force is idempotent under concurrency',
  );
  t.equal((await run(['state', id])).code, 1, 'gone');
});
