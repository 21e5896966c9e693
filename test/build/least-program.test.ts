// bench/least.cjs is make bench's yardstick for #14's targets: the least a
// Node program does for state, kill, start and delete of a container tsrun
// created. It reads tsrun's state directory itself, so a change to that
// layout must fail here rather than turn the bench's figures into failures.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { TOP, makeBundle, stateRoot, uniqueId } from '../helpers.js';

const LEAST = join(TOP, 'bench/least.cjs');
const LIBRARY = join(TOP, 'dist/index.cjs');
const koffi = createRequire(join(TOP, 'package.json')).resolve(`@koromix/koffi-linux-${process.arch}/linux_${process.arch}/koffi.node`);

function least(root: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [LEAST, '--root', root, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, LEAST_KOFFI: koffi, LEAST_LIBRARY: LIBRARY } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const pidOf = (root: string, id: string): number => (JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')) as { pid: number }).pid;

async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'latin1') : '';
    if (!stat || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`pid ${pid} did not exit`);
}

t.test('the least program states, starts and deletes a container tsrun created', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['true'];
  });
  const id = uniqueId('least');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0, 'create');
  const ours = least(root, ['state', id]);
  t.equal(ours.code, 0, ours.stderr);
  const theirs = JSON.parse((await run(['state', id])).stdout);
  t.same(JSON.parse(ours.stdout), theirs, "its state is tsrun's");
  const viaLibrary = least(root, ['library-state', id]);
  t.equal(viaLibrary.code, 0, viaLibrary.stderr);
  t.same(JSON.parse(viaLibrary.stdout), theirs, "the library's state is tsrun's");
  const cgroups = (JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')) as { cgroup?: { created?: string[] } }).cgroup?.created ?? [];
  t.ok(cgroups.length > 0, 'the container has cgroups of its own');
  const pid = pidOf(root, id);
  const started = least(root, ['start', id]);
  t.equal(started.code, 0, started.stderr);
  await gone(pid);
  t.equal(JSON.parse((await run(['state', id])).stdout).status, 'stopped', 'the init ran and exited');
  const deleted = least(root, ['delete', id]);
  t.equal(deleted.code, 0, deleted.stderr);
  t.notOk(existsSync(join(root, id)), 'state directory removed');
  t.same(
    cgroups.filter((d) => existsSync(d)),
    [],
    'cgroups removed',
  );
});

t.test('the least program kills a created container, bare and through the library', async (t) => {
  t.ok(existsSync(LIBRARY), 'built: make build');
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['true'];
  });
  for (const command of ['kill', 'library-kill']) {
    const id = uniqueId('least-kill');
    t.equal((await run(['create', '--bundle', dir, id])).code, 0, 'create');
    const pid = pidOf(root, id);
    const killed = least(root, [command, id, 'KILL']);
    t.equal(killed.code, 0, `${command}: ${killed.stderr}`);
    await gone(pid);
    t.equal(JSON.parse((await run(['state', id])).stdout).status, 'stopped', `${command}: the init is gone`);
    t.equal(least(root, [command, id, 'KILL']).code, 1, `${command}: a stopped container cannot be killed`);
  }
});
