// runc's command line where engines and scripts depend on it (issue 12,
// section 3): exit codes, error words, stderr lines, state/list formats,
// help layout. Each case runs against tsrun and, where runc is installed,
// against runc with the same bundle, and both must give what the case says.
// (crun is not compared: crun 1.8 refuses this host's hybrid cgroups.)
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { logMessages, makeBundle, TOP, TSRUN, uniqueId, type Result } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';

const RUNC = spawnSync('runc', ['--version'], { encoding: 'utf8' }).status === 0 ? 'runc' : undefined;
const RECVTTY = join(TOP, 'test/tools/recvtty.py');

/** Runs bin with args; output through files (a created container keeps stdio open). */
function runBin(bin: string, args: string[]): Promise<Result> {
  const tmp = mkdtempSync('/tmp/tsrun-test-out-');
  const out = openSync(join(tmp, 'out'), 'w');
  const err = openSync(join(tmp, 'err'), 'w');
  return new Promise((res) => {
    const child = spawn(bin, args, { stdio: ['ignore', out, err] });
    closeSync(out);
    closeSync(err);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const r = { code: code ?? 128 + (signal ? 9 : 0), stdout: readFileSync(join(tmp, 'out'), 'utf8'), stderr: readFileSync(join(tmp, 'err'), 'utf8') };
      rmSync(tmp, { recursive: true, force: true });
      res(r);
    });
  });
}

interface Runtime {
  name: string;
  run(args: string[]): Promise<Result>;
}

/** tsrun, and runc when installed, each with its own --root, cleaned up (delete --force) on teardown. */
function runtimes(t: Test): Runtime[] {
  const list: [string, string][] = [['tsrun', TSRUN]];
  if (RUNC) list.push(['runc', RUNC]);
  return list.map(([name, bin]) => {
    const root = mkdtempSync(`/tmp/tsrun-test-root-${name}-`);
    t.teardown(async () => {
      for (const id of existsSync(root) ? readdirSync(root) : []) await runBin(bin, ['--root', root, 'delete', '--force', id]);
      rmSync(root, { recursive: true, force: true });
    });
    return { name, run: (args: string[]) => runBin(bin, ['--root', root, ...args]) };
  });
}

/** For each runtime: a fresh id and the case's body. */
async function each(t: Test, edit: (s: Spec) => void, body: (t: Test, r: Runtime, dir: string, id: string) => Promise<void>): Promise<void> {
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '600'];
    edit(s);
  });
  for (const r of runtimes(t)) await t.test(r.name, (tt) => body(tt, r, dir, uniqueId('spec12')));
}

const LOGRUS_ERROR = /^time="\d{4}-\d\d-\d\dT[^"]+" level=error msg=".*"$/m;

// Two runtimes, a dozen containers each: more than the default file timeout on a loaded host.
t.setTimeout(900_000);
if (!RUNC) t.comment('runc is not installed: the cases run against tsrun only');

t.test('kill --all / kill -a 0 on a stopped container exit 0; plain kill says "container not running"', (t) =>
  each(
    t,
    () => {},
    async (t, r, dir, id) => {
      t.equal((await r.run(['run', '-d', '--bundle', dir, id])).code, 0);
      t.equal((await r.run(['kill', id, 'KILL'])).code, 0);
      for (let i = 0; i < 100 && JSON.parse((await r.run(['state', id])).stdout).status !== 'stopped'; i++) await new Promise((res) => setTimeout(res, 20));
      t.equal((await r.run(['kill', '--all', id, '9'])).code, 0, 'kill --all ID 9 (containerd CRI, after every exit)');
      t.equal((await r.run(['kill', '-a', id, '0'])).code, 0, 'kill -a ID 0 (a liveness probe)');
      const k = await r.run(['kill', id, '9']);
      t.equal(k.code, 1);
      t.match(logMessages(k.stderr), /container not running/);
      const p = await r.run(['pause', id]);
      t.equal(p.code, 1, 'pause of a stopped container');
      t.match(logMessages(p.stderr), /container not running/);
      const e = await r.run(['exec', id, 'true']);
      t.equal(e.code, 255, 'exec into a stopped container: a failure of exec itself');
      t.match(logMessages(e.stderr), /cannot exec in a stopped container/);
    },
  ),
);

t.test('kill ID 99 goes to the kernel (EINVAL); kill ID 0 probes a running container', (t) =>
  each(
    t,
    () => {},
    async (t, r, dir, id) => {
      t.equal((await r.run(['run', '-d', '--bundle', dir, id])).code, 0);
      const k = await r.run(['kill', id, '99']);
      t.equal(k.code, 1);
      t.match(logMessages(k.stderr), /unable to signal init: invalid argument/);
      t.equal((await r.run(['kill', id, '0'])).code, 0);
      t.equal(JSON.parse((await r.run(['state', id])).stdout).status, 'running', 'still running');
    },
  ),
);

t.test("runc's error words, as logrus lines on stderr", (t) =>
  each(
    t,
    () => {},
    async (t, r, dir, id) => {
      t.equal((await r.run(['create', '--bundle', dir, id])).code, 0);
      const dup = await r.run(['create', '--bundle', dir, id]);
      t.equal(dup.code, 1);
      t.match(dup.stderr, LOGRUS_ERROR, 'a logrus text line');
      t.match(logMessages(dup.stderr), /container with given ID already exists/);
      const bad = await r.run(['create', '--bundle', dir, 'bad/id']);
      t.equal(bad.code, 1);
      t.match(logMessages(bad.stderr), /invalid container ID format/);
      const nob = await r.run(['create', '--bundle', '/nonexistent-spec12', uniqueId('spec12')]);
      t.equal(nob.code, 1);
      t.match(logMessages(nob.stderr), /chdir \/nonexistent-spec12: no such file or directory/, 'the bundle path and the errno');
      const unk = await r.run(['no-such-command']);
      t.equal(unk.code, 3, 'an unknown command exits 3');
      t.match(logMessages(unk.stderr), /No help topic for 'no-such-command'/);
    },
  ),
);

t.test('exec failures exit 255: paused container, --pid-file in a missing directory', (t) =>
  each(
    t,
    () => {},
    async (t, r, dir, id) => {
      t.equal((await r.run(['run', '-d', '--bundle', dir, id])).code, 0);
      t.equal((await r.run(['pause', id])).code, 0);
      t.equal((await r.run(['exec', id, 'true'])).code, 255, 'exec into a paused container');
      t.equal((await r.run(['resume', id])).code, 0);
      t.equal((await r.run(['exec', '--pid-file', '/nonexistent-spec12/dir/pid', id, 'true'])).code, 255, '--pid-file in a missing directory');
      t.equal((await r.run(['exec', id, 'sh', '-c', 'exit 7'])).code, 7, "the process's own status passes through");
    },
  ),
);

t.test('state: the runtime\'s own ociVersion, created in RFC 3339 with nanoseconds, owner ""', (t) =>
  each(
    t,
    (s) => (s.ociVersion = '1.0.0'),
    async (t, r, dir, id) => {
      t.equal((await r.run(['create', '--bundle', dir, id])).code, 0);
      const s = JSON.parse((await r.run(['state', id])).stdout);
      const own = /^spec: (\S+)$/m.exec((await r.run(['--version'])).stdout)![1];
      t.equal(s.ociVersion, own, `the runtime's spec version (${own}), not the config's 1.0.0`);
      t.match(s.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{4,9}Z$/, `nanosecond precision (${s.created})`);
      t.equal(s.owner, '', 'owner empty for root');
    },
  ),
);

/** True when the table is laid out as Go's tabwriter(minwidth 12, padding 3) lays it. */
function tabwriterLayout(text: string): string | true {
  const rows = text.split('\n').filter(Boolean);
  const cells = rows.map((l) => l.split(/ +/)); // no cell here holds a space
  const n = cells[0]!.length;
  let at = 0;
  for (let c = 0; c < n - 1; c++) {
    const w = Math.max(12, ...cells.map((r) => r[c]!.length + 3));
    for (const [i, l] of rows.entries()) if (l.slice(at, at + cells[i]![c]!.length) !== cells[i]![c]) return `column ${c} of "${l}" does not start at ${at}`;
    at += w;
  }
  return true;
}

t.test('list: tabwriter columns, RFC 3339 nanosecond times, the owner by name', (t) =>
  each(
    t,
    () => {},
    async (t, r, dir, id) => {
      t.equal((await r.run(['create', '--bundle', dir, id])).code, 0);
      const l = await r.run(['list']);
      t.equal(l.code, 0);
      t.equal(tabwriterLayout(l.stdout), true, l.stdout);
      t.match(l.stdout, new RegExp(`^${id}\\s+\\d+\\s+created\\s+${dir}\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z\\s+root$`, 'm'));
    },
  ),
);

t.test('device access "rwa" is accepted (the "a" grants nothing more)', (t) =>
  each(
    t,
    (s) => {
      s.process!.args = ['sh', '-c', 'head -c 1 /dev/zero | wc -c'];
      s.linux!.resources = {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 5, access: 'rwa' },
        ],
      };
    },
    async (t, r, dir, id) => {
      const x = await r.run(['run', '--bundle', dir, id]);
      t.equal(x.code, 0, x.stderr);
      t.equal(x.stdout.trim(), '1', '/dev/zero readable');
    },
  ),
);

t.test('--debug --log FILE exec writes level=debug lines to FILE', (t) =>
  each(
    t,
    () => {},
    async (t, r, dir, id) => {
      t.equal((await r.run(['run', '-d', '--bundle', dir, id])).code, 0);
      const log = join(dir, `${r.name}-debug.log`);
      t.equal((await r.run(['--debug', '--log', log, 'exec', id, 'true'])).code, 0);
      t.ok(existsSync(log), 'the log file exists');
      t.match(existsSync(log) ? readFileSync(log, 'utf8') : '', /^time="[^"]+" level=debug msg=/m);
    },
  ),
);

t.test('help: runc layout, help COMMAND, unknown topic exits 3', async (t) => {
  for (const r of runtimes(t)) {
    const main = await r.run(['--help']);
    t.equal(main.code, 0, `${r.name} --help`);
    for (const h of ['NAME:', 'USAGE:', 'VERSION:', 'COMMANDS:', 'GLOBAL OPTIONS:']) t.match(main.stdout, new RegExp(`^${h}$`, 'm'), `${r.name}: ${h}`);
    t.match(main.stdout, /^ {3}kill {2,}\S/m, `${r.name}: a row per command`);
    t.match(main.stdout, /^ {3}--root value {2,}\S/m, `${r.name}: global option rows`);
    const k = await r.run(['help', 'kill']);
    t.equal(k.code, 0);
    t.match(k.stdout, new RegExp(`^NAME:\\n {3}${r.name} kill - .+\\n\\nUSAGE:\\n {3}${r.name} kill \\[command options\\] <container-id> \\[signal\\]`), `${r.name} help kill`);
    t.match(k.stdout, /^OPTIONS:\n {3}--all, -a {2}\S/m);
    t.same((await r.run(['kill', '--help'])).stdout, k.stdout, 'kill --help is help kill');
    t.equal((await r.run(['help', 'no-such-topic'])).code, 3);
  }
});

t.test('spec: a cgroup namespace only on a cgroup v2 host', async (t) => {
  const v2 = spawnSync('stat', ['-fc', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).stdout.trim() === 'cgroup2fs';
  for (const r of runtimes(t)) {
    const dir = mkdtempSync('/tmp/tsrun-test-spec-');
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    t.equal((await r.run(['spec', '--bundle', dir])).code, 0);
    const s = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Spec;
    t.equal(
      s.linux!.namespaces!.some((n) => n.type === 'cgroup'),
      v2,
      `${r.name}: cgroup namespace ${v2 ? 'present (v2 host)' : 'absent (v1/hybrid host)'}`,
    );
  }
});

t.test('exec -t: the pty slave belongs to the process user and the tty group', (t) =>
  each(
    t,
    () => {},
    async (t, r, dir, id) => {
      t.equal((await r.run(['run', '-d', '--bundle', dir, id])).code, 0);
      const sock = join(dir, `${r.name}.sock`);
      const rx = spawn('python3', [RECVTTY, sock], { stdio: ['ignore', 'pipe', 'ignore'] });
      t.teardown(() => rx.kill('SIGKILL'));
      let out = '';
      const done = new Promise<string>((res) => rx.on('close', () => res(out)));
      await new Promise<void>((res) => rx.stdout.on('data', (d) => ((out += d), out.startsWith('ready\n') && res())));
      // -d: runc takes a console socket only for a detached exec.
      const e = await r.run(['exec', '-d', '-t', '--console-socket', sock, '-u', '1000:1000', id, 'sh', '-c', 'stat -c "%u:%g" $(tty)']);
      t.equal(e.code, 0, e.stderr);
      const timer = setTimeout(() => rx.kill('SIGKILL'), 20_000);
      t.match((await done).replace(/\r/g, ''), /^1000:5$/m);
      clearTimeout(timer);
    },
  ),
);
