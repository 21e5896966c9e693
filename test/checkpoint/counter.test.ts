// A counting container through checkpoint and restore: the dump stops it,
// the restore continues from the dumped value with the same pid 1 (a new
// process would start again at 0), --leave-running keeps it, one image
// restores twice under new ids, and into another --root.
import t from 'tap';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, tempDir, tsrun, uniqueId, waitFor } from '../helpers.js';
import { COUNTER_SCRIPT, CRIU, counter, countsPast, skip, tsrunQuiet } from './criu.js';

const rootArgs = (root: string) => ['--root', root, '--criu', CRIU];

async function statusOf(root: string, id: string): Promise<{ status: string; pid: number } | undefined> {
  const r = await tsrun(['--root', root, 'state', id]);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

/** What pid 1 in the container is: its command line, from inside (exec). */
async function initCmdline(root: string, id: string): Promise<string> {
  const r = await tsrun(['--root', root, 'exec', id, 'cat', '/proc/1/cmdline']);
  return r.stdout.replace(/\0/g, ' ').trim();
}

t.test('checkpoint stops the container; restore continues the count with the same pid 1', { skip }, async (t) => {
  const { root } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', COUNTER_SCRIPT]));
  const images = join(tempDir(t, 'criu-img'), 'img');
  const id = uniqueId('cr-count');
  const file = join(rootfs, 'counter');
  t.equal((await tsrunQuiet([...rootArgs(root), 'run', '-d', '--bundle', dir, id])).code, 0);
  // Teardowns run last-in first-out: the container goes before its bundle.
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', id]).then(() => {}));
  t.ok(await countsPast(file, 5), 'counting');
  const before = await initCmdline(root, id);
  t.match(before, /^sh -c i=0;/, 'pid 1 is the counting shell');

  const c = await tsrunQuiet([...rootArgs(root), 'checkpoint', '--image-path', images, id]);
  t.equal(c.code, 0, c.stderr);
  t.ok(existsSync(join(images, 'inventory.img')), 'CRIU wrote the images');
  t.equal(await statusOf(root, id), undefined, 'the container is gone after the checkpoint, as with runc');
  const dumped = counter(file);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(counter(file), dumped, 'nothing counts any more');

  const r = await tsrunQuiet([...rootArgs(root), 'restore', '-d', '--image-path', images, '--bundle', dir, id]);
  t.equal(r.code, 0, r.stderr);
  const st = await statusOf(root, id);
  t.equal(st?.status, 'running', 'running after restore');
  t.ok(st && st.pid > 0 && existsSync(`/proc/${st.pid}`), 'state has the new host pid');
  t.ok(await countsPast(file, dumped), 'the count goes on');
  t.ok(counter(file) < dumped + 40, `from the dumped value ${dumped}, not from 0 (now ${counter(file)})`);
  t.ok(counter(file) > dumped, 'past it');
  t.equal(await initCmdline(root, id), before, 'pid 1 is the same shell');
  t.equal(readFileSync(`/proc/${st!.pid}/cmdline`, 'utf8').split('\0')[0], 'sh', 'the host pid in state is the init');

  t.equal((await tsrun(['--root', root, 'kill', id, 'KILL'])).code, 0, 'kill works on the restored container');
  t.ok(await waitFor(async () => (await statusOf(root, id))?.status === 'stopped'), 'then it is stopped');
  t.equal((await tsrun(['--root', root, 'delete', id])).code, 0, 'delete works');
  t.notOk(existsSync(join(root, id)), 'state gone');
});

t.test('--leave-running keeps the original; one image restores twice, under new ids and another --root', { skip }, async (t) => {
  const { root } = stateRoot(t);
  const other = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', COUNTER_SCRIPT]));
  const images = join(tempDir(t, 'criu-img'), 'img');
  const id = uniqueId('cr-leave');
  const file = join(rootfs, 'counter');
  t.equal((await tsrunQuiet([...rootArgs(root), 'run', '-d', '--bundle', dir, id])).code, 0);
  // Teardowns run last-in first-out: the container goes before its bundle.
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', id]).then(() => {}));
  t.ok(await countsPast(file, 3), 'counting');
  const pid = (await statusOf(root, id))!.pid;

  const c = await tsrunQuiet([...rootArgs(root), 'checkpoint', '--leave-running', '--image-path', images, id]);
  t.equal(c.code, 0, c.stderr);
  const st = await statusOf(root, id);
  t.same(st && { status: st.status, pid: st.pid }, { status: 'running', pid }, 'the original runs on, same host pid');
  const mark = counter(file);
  t.ok(await countsPast(file, mark), 'and keeps counting');

  // Two restores, each into a copy of the rootfs as it was (a bundle of its own).
  const copies: { id: string; file: string; root: string }[] = [];
  for (const [i, r] of [root, other.root].entries()) {
    const b = mkdtempSync('/tmp/tsrun-test-bundle-');
    t.teardown(() => rmSync(b, { recursive: true, force: true }));
    cpSync(dir, b, { recursive: true, verbatimSymlinks: true });
    // Not removed: the dump may have caught the shell with /counter open (between its
    // redirection and the write), and CRIU then reopens it. Blanked to the same size, so
    // that a number in it is one the restored process wrote.
    const copied = join(b, 'rootfs', 'counter');
    if (existsSync(copied)) writeFileSync(copied, ' '.repeat(statSync(copied).size));
    const rid = uniqueId(`cr-copy${i}`);
    const res = await tsrunQuiet([...rootArgs(r), 'restore', '-d', '--image-path', images, '--bundle', b, rid]);
    t.equal(res.code, 0, `restore ${i + 1} under ${rid}: ${res.stderr}`);
    // Before its bundle goes (teardowns run last-in first-out).
    t.teardown(() => tsrun(['--root', r, 'delete', '--force', rid]).then(() => {}));
    copies.push({ id: rid, file: join(b, 'rootfs', 'counter'), root: r });
  }
  for (const c of copies) {
    t.ok(await countsPast(c.file, 0), `${c.id} counts in its own rootfs`);
    t.equal((await statusOf(c.root, c.id))?.status, 'running', `${c.id} is running`);
  }
  t.not((await statusOf(copies[0]!.root, copies[0]!.id))!.pid, (await statusOf(copies[1]!.root, copies[1]!.id))!.pid, 'two processes');
  t.equal((await statusOf(root, id))?.status, 'running', 'the original still runs');
  for (const c of copies) t.equal((await tsrun(['--root', c.root, 'delete', '--force', c.id])).code, 0, `delete ${c.id}`);
});
