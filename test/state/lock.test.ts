import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { lockDir } from '../../src/state/lock.js';
import { tempDir } from '../helpers.js';

t.test('the lock is exclusive and is free again once released', async (t) => {
  const dir = tempDir(t, 'lock');
  const release = await lockDir(dir);
  await t.rejects(lockDir(dir, 60), /another tsrun command holds the container's lock/);
  release();
  const again = await lockDir(dir, 60);
  again();
  const other = await lockDir(join(dir, 'x'), 60);
  other();
});

t.test('without the pipe_wrap binding, node:net takes the same lock', async (t) => {
  const dir = tempDir(t, 'lock');
  const proc = process as unknown as { binding: (n: string) => unknown };
  const binding = proc.binding;
  t.teardown(() => (proc.binding = binding));
  const viaPipe = await lockDir(dir);
  proc.binding = () => {
    throw new Error('no bindings here');
  };
  await t.rejects(lockDir(dir, 60), /holds the container's lock/, 'net sees the pipe lock');
  viaPipe();
  const viaNet = await lockDir(dir, 60);
  proc.binding = binding;
  await t.rejects(lockDir(dir, 60), /holds the container's lock/, 'and the pipe sees the net lock');
  viaNet();
  (await lockDir(dir, 60))();
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
