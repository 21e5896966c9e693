import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import * as net from 'node:net';
import { join, resolve } from 'node:path';
import { lockDir } from '../../src/state/lock.js';
import { makeBundle, stateRoot, tempDir, uniqueId } from '../helpers.js';

t.test('the lock is exclusive and is free again once released', async (t) => {
  const dir = tempDir(t, 'lock');
  const release = await lockDir(dir);
  await t.rejects(lockDir(dir, 60), /another tsrun command holds the container's lock/);
  release();
  const again = await lockDir(dir, 60);
  again();
  mkdirSync(join(dir, 'x'));
  const other = await lockDir(join(dir, 'x'), 60);
  other();
});

t.test('a holder that dies without releasing frees the lock', async (t) => {
  const dir = tempDir(t, 'lock');
  const child = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname ?? __dirname, 'hold-lock.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && res());
    child.on('exit', (c) => rej(new Error(`holder exited with ${c}`)));
  });
  await t.rejects(lockDir(dir, 60), /holds the container's lock/, 'held by the child');
  const gone = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await gone;
  const mine = await lockDir(dir, 1000);
  mine();
  t.pass('taken after the holder was killed');
});

t.test('one container reached through two paths of its root (a symlink, as /var/run -> /run) has one lock', async (t) => {
  const real = tempDir(t, 'lock');
  const link = `${real}-link`;
  symlinkSync(real, link);
  t.teardown(() => rmSync(link, { force: true }));
  mkdirSync(join(real, 'c1'));
  const held = await lockDir(join(real, 'c1'));
  await t.rejects(lockDir(join(link, 'c1'), 60), /another tsrun command holds the container's lock/, 'the other path waits for it');
  held();
  (await lockDir(join(link, 'c1'), 60))();
});

t.test("no process outside the runtime can hold a container's lock: a squatter on the old abstract socket name blocks nothing", async (t) => {
  // An abstract unix socket is visible to every process in the network
  // namespace: a container with host networking could bind the name of a
  // guessable id and make create, start and delete of it wait and fail.
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t);
  const id = uniqueId('squat');
  const squatter = net.createServer();
  await new Promise<void>((res, rej) => {
    squatter.once('error', rej);
    squatter.listen({ path: '\0tsrun-lock:' + fnv1a64(resolve(root, id)) }, () => res());
  });
  t.teardown(() => squatter.close());
  const started = Date.now();
  const c = await run(['create', '--bundle', dir, id], { timeoutMs: 40_000 });
  t.equal(c.code, 0, `create: ${c.stderr}`);
  t.ok(Date.now() - started < 15_000, 'without waiting for the lock');
  t.equal((await run(['delete', '--force', id], { timeoutMs: 40_000 })).code, 0, 'delete --force');
});

t.test('the lock file is readable and writable by root only', async (t) => {
  const dir = tempDir(t, 'lock');
  const release = await lockDir(dir);
  t.teardown(release);
  const files = readdirSync(dir);
  t.same(files, ['lock'], 'one file in the container directory');
  t.equal(statSync(join(dir, 'lock')).mode & 0o777, 0o600);
});

/** 64-bit FNV-1a of a path, in hex: the old lock's name. */
function fnv1a64(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

t.test('a command waiting for the lock while the holder deletes the container is told it does not exist', async (t) => {
  const root = tempDir(t, 'lock');
  const dir = join(root, 'c1');
  mkdirSync(dir);
  const held = await lockDir(dir);
  const waiting = lockDir(dir, 10_000);
  await new Promise((r) => setTimeout(r, 50));
  rmSync(dir, { recursive: true });
  held();
  await t.rejects(waiting, /container does not exist/);
});
