// Runtime.checkpoint and Runtime.restore from a program: the same work as
// the CLI, and failures as TsrunErrors with a stable code.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime, TsrunError } from '../../src/index.js';
import { makeBundle, stateRoot, tempDir, tsrun, uniqueId } from '../helpers.js';
import { COUNTER_SCRIPT, CRIU, counter, countsPast, skip, tsrunQuiet } from './criu.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return e instanceof TsrunError ? e.code : `not a TsrunError: ${e}`;
  }
}

t.test('the library checkpoints, and says what went wrong with a code', { skip }, async (t) => {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', COUNTER_SCRIPT]));
  const id = uniqueId('cr-lib');
  t.equal((await tsrunQuiet(['--root', root, 'run', '-d', '--bundle', dir, id])).code, 0);
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', id]).then(() => {}));
  const rt = new Runtime({ root });
  const images = join(tempDir(t, 'criu-img'), 'img');

  await rt.checkpoint(id, { criu: CRIU, imagePath: images, leaveRunning: true });
  t.ok(existsSync(join(images, 'inventory.img')), 'images written');
  t.equal((await rt.state(id)).status, 'running', 'left running');

  t.equal(await codeOf(rt.restore(id, { criu: CRIU, imagePath: images, bundle: dir, detach: true })), 'ERR_EXISTS', 'restore onto an existing id');
  t.equal(await codeOf(rt.restore(uniqueId('cr-lib'), { criu: CRIU, imagePath: join(images, 'nope'), bundle: dir, detach: true })), 'ERR_NOT_FOUND', 'missing images');
  t.equal(await codeOf(rt.checkpoint(id, { criu: '/nonexistent/criu', imagePath: images })), 'ERR_NOT_FOUND', 'missing CRIU');
  t.equal(await codeOf(rt.checkpoint(id, { criu: CRIU, imagePath: images, manageCgroupsMode: 'sometimes' })), 'ERR_INVALID_ARGUMENT', 'bad cgroup mode');
  await rt.pause(id);
  t.equal(await codeOf(rt.checkpoint(id, { criu: CRIU, imagePath: images })), 'ERR_BAD_STATE', 'paused');
  await rt.resume(id);
  t.equal((await rt.state(id)).status, 'running', 'still running after all that');
});

t.test('features says checkpoint is built in, with the key runc uses; checkpoint --help works (what podman probes)', async (t) => {
  const f = await tsrun(['features']);
  t.equal(f.code, 0);
  t.equal(JSON.parse(f.stdout).annotations['org.opencontainers.runc.checkpoint.enabled'], 'true');
  const h = await tsrun(['checkpoint', '--help']);
  t.equal(h.code, 0);
  for (const flag of [
    'image-path',
    'work-path',
    'parent-path',
    'leave-running',
    'tcp-established',
    'ext-unix-sk',
    'shell-job',
    'lazy-pages',
    'status-fd',
    'page-server',
    'file-locks',
    'pre-dump',
    'manage-cgroups-mode',
    'empty-ns',
    'auto-dedup',
  ]) {
    t.match(h.stdout, `--${flag}`, `checkpoint --${flag}`);
  }
  const r = await tsrun(['restore', '--help']);
  for (const flag of [
    'bundle',
    'image-path',
    'work-path',
    'console-socket',
    'detach',
    'pid-file',
    'no-subreaper',
    'no-pivot',
    'tcp-established',
    'ext-unix-sk',
    'shell-job',
    'file-locks',
    'manage-cgroups-mode',
    'empty-ns',
    'auto-dedup',
    'lazy-pages',
  ]) {
    t.match(r.stdout, `--${flag}`, `restore --${flag}`);
  }
});

t.test('the container handle checkpoints; the restored container is reachable by handle', { skip }, async (t) => {
  const { root } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', COUNTER_SCRIPT]));
  const rt = new Runtime({ root });
  const id = uniqueId('cr-handle');
  // /dev/null stdio: CRIU dumps that (a pipe to this test would have to be handed back on restore).
  const c = await rt.create(id, { bundle: dir, stdio: ['ignore', 'ignore', 'ignore'] });
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', id]).then(() => {}));
  await c.start();
  const file = join(rootfs, 'counter');
  t.ok(await countsPast(file, 3), 'counting');
  const images = join(tempDir(t, 'criu-img'), 'img');

  await c.checkpoint({ criu: CRIU, imagePath: join(images, 'leave'), leaveRunning: true });
  t.equal((await c.state()).status, 'running', 'leaveRunning: the handle still runs it');
  const before = counter(file);
  await c.checkpoint({ criu: CRIU, imagePath: images });
  t.ok(existsSync(join(images, 'inventory.img')), 'images written');
  t.equal(await codeOf(c.wait()), 'ERR_NOT_FOUND', 'the checkpointed container is gone, as after delete');
  t.equal(await codeOf(rt.state(id)), 'ERR_NOT_FOUND', 'no state left');
  // -1: dumped between the shell's truncate and its write.
  const dumped = Math.max(counter(file), before);

  t.equal(await rt.restore(id, { criu: CRIU, imagePath: images, bundle: dir, detach: true }), 0, 'restored under the same id');
  const r = rt.container(id);
  t.equal((await r.state()).status, 'running', 'the handle sees it running');
  t.ok(await countsPast(file, dumped), `counting on from ${dumped}`);
  t.ok(counter(file) < dumped + 40, 'not from 0');
  await r.delete({ force: true });
  t.equal(await codeOf(rt.state(id)), 'ERR_NOT_FOUND', 'deleted through the handle');
});
