// Bad input to checkpoint and restore: a clear error, a non-zero exit, the
// original container untouched, and nothing of a failed restore left
// behind (no state directory, cgroup, mount or process).
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { create, toBinary } from '@bufbuild/protobuf';
import { chmodSync, cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDirsNamed, hostMountinfo, makeBundle, newHostMounts, stateRoot, tempDir, tsrun, uniqueId, logMessages } from '../helpers.js';
import { COUNTER_SCRIPT, CRIU, countsPast, skip, tsrunQuiet } from './criu.js';
import { criu_req_type, criu_respSchema } from '../../src/checkpoint/generated/rpc_pb.js';

/** A running counter container; returns its root, bundle, id and how to check it is untouched. */
async function counting(t: Test) {
  const { root } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', COUNTER_SCRIPT]));
  const id = uniqueId('cr-bad');
  t.equal((await tsrunQuiet(['--root', root, 'run', '-d', '--bundle', dir, id])).code, 0, 'started');
  // Teardowns run last-in first-out: the container goes before its bundle.
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', id]).then(() => {}));
  const state = async () => JSON.parse((await tsrun(['--root', root, 'state', id])).stdout) as { status: string; pid: number };
  const { pid } = await state();
  const untouched = async (t: Test, status = 'running') => {
    const s = await state();
    t.same({ status: s.status, pid: s.pid }, { status, pid }, `the original is ${status}, same pid`);
    if (status === 'running') t.ok(await countsPast(join(rootfs, 'counter'), Number(0)), 'and counting');
  };
  return { root, dir, rootfs, id, untouched };
}

/** Runs a restore expected to fail and checks that it left nothing. */
async function failedRestore(t: Test, root: string, args: string[], pattern: RegExp) {
  const id = uniqueId('cr-fail');
  const before = hostMountinfo();
  const r = await tsrunQuiet(['--root', root, '--criu', CRIU, 'restore', '-d', ...args, id]);
  t.equal(r.code, 1, 'exit status 1');
  t.match(logMessages(r.stderr), pattern, 'says why');
  t.notOk(existsSync(join(root, id)), 'no state directory');
  t.same(cgroupDirsNamed(id), [], 'no cgroup');
  // Other tests mount under /tmp at the same time: look at ours only.
  const ours = newHostMounts(before, ['/']).filter((m) => m.mountPoint.startsWith(root) || m.mountPoint.includes(id) || m.mountPoint.includes('criu-root'));
  t.same(
    ours.map((m) => m.mountPoint),
    [],
    'no mount left (the bound root for CRIU is gone)',
  );
  t.notOk((await tsrun(['--root', root, 'list', '--format', 'json'])).stdout.includes(id), 'not listed');
}

t.test('restore: a missing or empty image directory', { skip }, async (t) => {
  const { root, dir } = await counting(t);
  const empty = tempDir(t, 'criu-empty');
  await failedRestore(t, root, ['--image-path', join(empty, 'nope'), '--bundle', dir], /image path \S+\/nope does not exist/);
  await failedRestore(t, root, ['--image-path', empty, '--bundle', dir], /holds no checkpoint \(no inventory.img\)/);
});

t.test('restore: a corrupt image directory fails in CRIU and leaves nothing', { skip }, async (t) => {
  const { root, dir, id, untouched } = await counting(t);
  const images = join(tempDir(t, 'criu-img'), 'img');
  const c = await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--leave-running', '--image-path', images, id]);
  t.equal(c.code, 0, c.stderr);
  const bad = join(tempDir(t, 'criu-bad'), 'img');
  cpSync(images, bad, { recursive: true });
  for (const f of readdirSync(bad).filter((f) => /^(core|pstree|mm)-?\d*\.img$/.test(f))) writeFileSync(join(bad, f), Buffer.alloc(64, 0xa5));
  await failedRestore(t, root, ['--image-path', bad, '--bundle', dir], /restore of \S+ failed \(log: \S+restore\.log\)/);
  await untouched(t);
});

t.test('restore of an id that exists is refused; the original runs on', { skip }, async (t) => {
  const { root, dir, id, untouched } = await counting(t);
  const images = join(tempDir(t, 'criu-img'), 'img');
  t.equal((await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--leave-running', '--image-path', images, id])).code, 0);
  const r = await tsrunQuiet(['--root', root, '--criu', CRIU, 'restore', '-d', '--image-path', images, '--bundle', dir, id]);
  t.equal(r.code, 1);
  t.match(logMessages(r.stderr), /container with id "\S+" already exists/);
  await untouched(t);
});

t.test('checkpoint of a paused or a stopped container is refused', { skip }, async (t) => {
  const { root, id, untouched } = await counting(t);
  const images = join(tempDir(t, 'criu-img'), 'img');
  t.equal((await tsrun(['--root', root, 'pause', id])).code, 0);
  const p = await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--image-path', images, id]);
  t.equal(p.code, 1);
  t.match(logMessages(p.stderr), /cannot checkpoint a paused container/);
  await untouched(t, 'paused');
  t.equal((await tsrun(['--root', root, 'resume', id])).code, 0);
  await untouched(t);

  const { dir: quick } = makeBundle(t, (s) => (s.process!.args = ['true']));
  const done = uniqueId('cr-stopped');
  t.equal((await tsrunQuiet(['--root', root, 'run', '-d', '--bundle', quick, done])).code, 0);
  await new Promise((r) => setTimeout(r, 300));
  const s = await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--image-path', images, done]);
  t.equal(s.code, 1);
  t.match(logMessages(s.stderr), /cannot checkpoint a stopped container/);
  t.notOk(existsSync(join(images, 'inventory.img')), 'no images written');
});

t.test('a missing CRIU, or one that does not answer, is a clear error; the container runs on', { skip }, async (t) => {
  const { root, id, untouched } = await counting(t);
  const images = join(tempDir(t, 'criu-img'), 'img');
  const m = await tsrunQuiet(['--root', root, '--criu', '/nonexistent/criu', 'checkpoint', '--image-path', images, id]);
  t.equal(m.code, 1);
  t.match(logMessages(m.stderr), /criu binary "\/nonexistent\/criu" not found: install CRIU 3\.15 or newer, or name it with --criu PATH/);
  await untouched(t);

  const fake = join(tempDir(t, 'criu-fake'), 'criu');
  writeFileSync(fake, '#!/bin/sh\necho "criu 2.0: no swrk here" >&2\nexit 1\n');
  chmodSync(fake, 0o755);
  const f = await tsrunQuiet(['--root', root, '--criu', fake, 'checkpoint', '--image-path', images, id]);
  t.equal(f.code, 1);
  t.match(logMessages(f.stderr), /criu \(\S+\) exited without answering \(status 1\)/);
  await untouched(t);
});

t.test('--pre-dump is refused where the kernel has no soft-dirty tracking', { skip }, async (t) => {
  const soft = (await import('node:child_process')).spawnSync(CRIU, ['check', '--feature', 'mem_dirty_track']).status === 0;
  if (soft) {
    t.skip('this kernel tracks soft-dirty pages: pre-dump works here', () => {});
    return;
  }
  const { root, id, untouched } = await counting(t);
  const images = join(tempDir(t, 'criu-img'), 'img');
  const r = await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--pre-dump', '--image-path', images, id]);
  t.equal(r.code, 1);
  t.match(logMessages(r.stderr), /--pre-dump needs memory change tracking \(soft-dirty pages, CONFIG_MEM_SOFT_DIRTY\)/);
  await untouched(t);
});

t.test('checkpoint of a created (not started) container is refused, as runc 1.1.5 refuses it; it starts afterwards', { skip }, async (t) => {
  const { root } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', COUNTER_SCRIPT]));
  const id = uniqueId('cr-created');
  t.equal((await tsrunQuiet(['--root', root, 'create', '--bundle', dir, id])).code, 0, 'created');
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', id]).then(() => {}));
  const before = JSON.parse((await tsrun(['--root', root, 'state', id])).stdout) as { status: string; pid: number };
  t.equal(before.status, 'created');
  const images = join(tempDir(t, 'criu-img'), 'img');
  const r = await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--image-path', images, id]);
  t.equal(r.code, 1, 'exit status 1');
  t.match(logMessages(r.stderr), /cannot checkpoint a created container: only a running one can be checkpointed/);
  t.notOk(existsSync(images), 'no image directory made');
  const after = JSON.parse((await tsrun(['--root', root, 'state', id])).stdout) as { status: string; pid: number };
  t.same(after, { ...after, status: 'created', pid: before.pid }, 'still created, same init');
  t.equal((await tsrun(['--root', root, 'start', id])).code, 0, 'and it starts');
  t.ok(await countsPast(join(rootfs, 'counter'), 0), 'and counts');

  // runc, the reference, refuses the same way ("Container cannot be checkpointed in created state").
  const runc = spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).stdout.trim();
  if (!runc) return;
  const rroot = tempDir(t, 'criu-runc');
  const rid = uniqueId('cr-created-runc');
  const { dir: rdir } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', COUNTER_SCRIPT]));
  t.equal(spawnSync(runc, ['--root', rroot, 'create', '--bundle', rdir, rid], { stdio: 'ignore' }).status, 0, 'runc: created');
  t.teardown(() => void spawnSync(runc, ['--root', rroot, 'delete', '--force', rid]));
  const rr = spawnSync(runc, ['--root', rroot, '--criu', CRIU, 'checkpoint', '--image-path', join(rroot, 'img'), rid], { encoding: 'utf8' });
  t.equal(rr.status, 1, 'runc: exit status 1 too');
  t.match(logMessages(rr.stderr), /cannot be checkpointed in created state/, 'runc: refused too');
  t.match(spawnSync(runc, ['--root', rroot, 'state', rid], { encoding: 'utf8' }).stdout, /"status": "created"/, 'runc: still created');
});

/** A fake `criu swrk 3` that reads the request and answers VERSION with the given version, as a CRIU that old would. */
function oldCriu(t: Test, major: number, minor: number): string {
  const resp = toBinary(criu_respSchema, create(criu_respSchema, { type: criu_req_type.VERSION, success: true, version: { majorNumber: major, minorNumber: minor } }));
  const fake = join(tempDir(t, 'criu-old'), 'criu');
  writeFileSync(fake, `#!${process.execPath}\nconst fs = require('fs');\nfs.readSync(3, Buffer.alloc(65536));\nfs.writeSync(3, Buffer.from('${Buffer.from(resp).toString('hex')}', 'hex'));\n`);
  chmodSync(fake, 0o755);
  return fake;
}

t.test('a CRIU too old is refused by name and version: checkpoint leaves the container running, restore leaves nothing', { skip }, async (t) => {
  const { root, dir, id, untouched } = await counting(t);
  const fake = oldCriu(t, 3, 14);
  const images = join(tempDir(t, 'criu-img'), 'img');
  const c = await tsrunQuiet(['--root', root, '--criu', fake, 'checkpoint', '--image-path', images, id]);
  t.equal(c.code, 1, 'checkpoint: exit status 1');
  t.match(logMessages(c.stderr), /criu "\S+" is version 3\.14: CRIU 3\.15 or newer is needed/);
  t.notOk(existsSync(join(images, 'inventory.img')), 'no images');
  await untouched(t);

  t.equal((await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--leave-running', '--image-path', images, id])).code, 0, 'a real checkpoint to restore from');
  const rid = uniqueId('cr-old');
  const r = await tsrunQuiet(['--root', root, '--criu', fake, 'restore', '-d', '--image-path', images, '--bundle', dir, rid]);
  t.equal(r.code, 1, 'restore: exit status 1');
  t.match(logMessages(r.stderr), /criu "\S+" is version 3\.14: CRIU 3\.15 or newer is needed/);
  t.notOk(existsSync(join(root, rid)), 'no state directory');
  t.same(cgroupDirsNamed(rid), [], 'no cgroup');
  await untouched(t);
});

t.test('restore with a missing CRIU binary: a clear error, nothing left', { skip }, async (t) => {
  const { root, dir, id, untouched } = await counting(t);
  const images = join(tempDir(t, 'criu-img'), 'img');
  t.equal((await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--leave-running', '--image-path', images, id])).code, 0);
  const rid = uniqueId('cr-nocriu');
  const r = await tsrunQuiet(['--root', root, '--criu', '/nonexistent/criu', 'restore', '-d', '--image-path', images, '--bundle', dir, rid]);
  t.equal(r.code, 1);
  t.match(logMessages(r.stderr), /criu binary "\/nonexistent\/criu" not found: install CRIU 3\.15 or newer, or name it with --criu PATH/);
  t.notOk(existsSync(join(root, rid)), 'no state directory');
  t.same(cgroupDirsNamed(rid), [], 'no cgroup');
  await untouched(t);
});
