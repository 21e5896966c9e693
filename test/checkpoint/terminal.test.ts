// A terminal container: restore makes a new pty pair (CRIU's orphan pts
// master) and sends the master to --console-socket; the restored shell
// keeps counting on the new terminal and reads what is typed into it.
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { makeBundle, stateRoot, tempDir, TOP, tsrun, uniqueId, logMessages } from '../helpers.js';
import { CRIU, skip, tsrunQuiet } from './criu.js';

const RECVTTY = join(TOP, 'test/tools/recvtty.py');

/** recvtty on a fresh socket (see test/process/terminal.test.ts); `output` is everything read so far. */
function consoleReceiver(t: { teardown(f: () => void): void }, path: string, input = ''): Promise<{ output: () => string }> {
  const child = spawn('python3', [RECVTTY, path, input], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  return new Promise((res) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.startsWith('ready\n')) res({ output: () => out.replace(/\r/g, '') });
    });
  });
}

async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

const lastTick = (out: string) => Math.max(-1, ...[...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));

t.test('a terminal container restored with --console-socket gets a new pty master', { skip }, async (t) => {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.terminal = true;
    // Counts on the terminal; a line typed into it is echoed back as "got:".
    s.process!.args = ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); if read -t 0.2 line; then echo "got:$line"; fi; done'];
  });
  const sockets = tempDir(t, 'criu-tty');
  const first = await consoleReceiver(t, join(sockets, 'a.sock'));
  const id = uniqueId('cr-tty');
  const r0 = await tsrunQuiet(['--root', root, 'run', '-d', '--console-socket', join(sockets, 'a.sock'), '--bundle', dir, id]);
  t.equal(r0.code, 0, r0.stderr);
  t.teardown(() => tsrun(['--root', root, 'delete', '--force', id]).then(() => {}));
  t.ok(await until(() => lastTick(first.output()) >= 3), 'ticking on the first terminal');

  const images = join(tempDir(t, 'criu-img'), 'img');
  const c = await tsrunQuiet(['--root', root, '--criu', CRIU, 'checkpoint', '--image-path', images, id]);
  t.equal(c.code, 0, c.stderr);
  const dumped = lastTick(first.output());

  const second = await consoleReceiver(t, join(sockets, 'b.sock'), 'hello\n');
  const r = await tsrunQuiet(['--root', root, '--criu', CRIU, 'restore', '-d', '--console-socket', join(sockets, 'b.sock'), '--image-path', images, '--bundle', dir, id]);
  t.equal(r.code, 0, r.stderr);
  t.ok(await until(() => lastTick(second.output()) > dumped + 2), 'ticking on the new terminal');
  const ticks = [...second.output().matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
  t.ok(ticks[0]! > 0 && ticks[0]! <= dumped + 3, `the count continues from ${dumped} (first tick on the new terminal: ${ticks[0]})`);
  t.ok(await until(() => /got:hello/.test(second.output())), 'input typed into the new master reaches the shell');
});

t.test('restoring a terminal container without --console-socket is refused before anything is made', { skip }, async (t) => {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.terminal = true));
  const images = tempDir(t, 'criu-img');
  // An image directory that passes the first checks: the bundle is refused next.
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(images, 'inventory.img'), '');
  writeFileSync(join(images, 'descriptors.json'), '[]');
  const r = await tsrunQuiet(['--root', root, '--criu', CRIU, 'restore', '-d', '--image-path', images, '--bundle', dir, uniqueId('cr-tty')]);
  t.equal(r.code, 1);
  t.match(logMessages(r.stderr), /restoring a terminal container needs --console-socket/);
});
