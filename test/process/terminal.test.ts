// process.terminal: the pty master sent over --console-socket (runc's
// protocol, received here by test/tools/recvtty.py), exec -t, and a
// foreground run attached to the caller's terminal (given one by script(1)).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeBundle, stateRoot, TOP, TSRUN, uniqueId } from '../helpers.js';

const RECVTTY = join(TOP, 'test/tools/recvtty.py');

/** Starts recvtty on a fresh socket; resolves once it listens. Its stdout is what the container printed. */
function consoleReceiver(t: { teardown(f: () => void): void }, dir: string): Promise<{ path: string; output: Promise<string>; name: Promise<string> }> {
  const path = join(dir, 'console.sock');
  const child = spawn('python3', [RECVTTY, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  const output = new Promise<string>((res) => child.on('close', () => res(out.replace(/^ready\n/, ''))));
  const name = new Promise<string>((res) => child.stderr.on('data', (d) => ((err += d), /pty (\S+)/.test(err) && res(/pty (\S+)/.exec(err)![1]!))));
  return new Promise((res) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.startsWith('ready\n')) res({ path, output, name });
    });
  });
}

t.test('create --console-socket: the init gets a pty from its own devpts, sized and bound to /dev/console', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.terminal = true;
    s.process!.consoleSize = { height: 31, width: 97 };
    s.process!.args = ['sh', '-c', 'echo "tty=$(tty)"; echo "size=$(stty size)"; [ -t 0 ] && [ -t 1 ] && echo stdio-is-tty; stat -c "console=%t:%T" /dev/console'];
  });
  const rx = await consoleReceiver(t, dir);
  const id = uniqueId('tty');
  const c = await run(['create', '--bundle', dir, '--console-socket', rx.path, id]);
  t.equal(c.code, 0, c.stderr);
  t.equal(await rx.name, '/dev/pts/0', "the payload names the pty in the container's devpts");
  t.equal((await run(['start', id])).code, 0);
  const out = (await rx.output).replace(/\r/g, '');
  t.match(out, /tty=\/dev\/pts\/0/);
  t.match(out, /size=31 97/, 'consoleSize');
  t.match(out, /stdio-is-tty/);
  t.match(out, /console=88:0/, '/dev/console is the pty (136:0 = 0x88:0)');
});

t.test('exec -t --console-socket', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '30']));
  const id = uniqueId('etty');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  const rx = await consoleReceiver(t, dir);
  const e = await run(['exec', '-t', '--console-socket', rx.path, id, 'sh', '-c', 'tty; exit 5']);
  t.equal(e.code, 5, 'exit status of the exec');
  t.match((await rx.output).replace(/\r/g, ''), /^\/dev\/pts\/\d+$/m);
});

t.test('a terminal needs a console socket or a caller terminal', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.terminal = true));
  const r = await run(['create', '--bundle', dir, uniqueId('nosock')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /terminal needs --console-socket/);
  const { readdirSync } = await import('node:fs');
  t.same(readdirSync(root), [], 'nothing left');
});

t.test("foreground run attaches the caller's terminal", async (t) => {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.terminal = true;
    s.process!.args = ['sh', '-c', 'echo "in=$(tty)"; stty size; exit 3'];
  });
  // script(1) gives tsrun a pty of 24x80 as its stdio; -e returns the child's status.
  const cmd = `stty rows 24 cols 80; ${TSRUN} --root ${root} run --bundle ${dir} ${uniqueId('fg')}`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 3, "the container's exit status");
  const out = r.stdout.replace(/\r/g, '');
  t.match(out, /in=\/dev\/pts\/0/, 'the container has its own pty');
  // script(1) passes the end of its (empty) input into the pty, which the
  // container's terminal may echo as "^@" just before stty's line.
  t.match(out, /^(\^@)?24 80$/m, "with the caller's window size");
});
