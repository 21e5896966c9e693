// The command line as runc users and engines drive it: --version, list,
// spec, --log/--log-format, refused flags, kill's signal spellings and
// --all, foreground run (signal forwarding, --keep), run -d, create --dry-run.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import { cgroupDirsNamed, makeBundle, stateRoot, TOP, TSRUN, tsrun, uniqueId, waitFor } from '../helpers.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('--version prints three lines', async (t) => {
  for (const flag of ['--version', '-v']) {
    const r = await tsrun([flag]);
    t.equal(r.code, 0);
    const lines = r.stdout.split('\n');
    t.equal(lines.length, 4, 'three lines and a final newline');
    t.match(lines[0], /^tsrun version \d+\.\d+\.\d+\S*$/);
    t.match(lines[1], /^commit: \S+$/);
    t.equal(lines[2], 'spec: 1.3.0');
    t.equal(lines[3], '');
  }
});

t.test('list: table, --format json, -q', async (t) => {
  const { root, run } = stateRoot(t);
  const header = 'ID          PID         STATUS      BUNDLE      CREATED     OWNER\n';
  const empty = await run(['list']);
  t.equal(empty.code, 0);
  t.equal(empty.stdout, header, "runc's header when there are no containers");

  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const a = uniqueId('list-a');
  const b = uniqueId('list-b');
  t.equal((await run(['create', '--bundle', dir, a])).code, 0);
  t.equal((await run(['create', '--bundle', dir, b])).code, 0);
  t.equal((await run(['start', b])).code, 0);
  const pidA = JSON.parse((await run(['state', a])).stdout).pid;
  const pidB = JSON.parse((await run(['state', b])).stdout).pid;

  const table = await run(['list']);
  t.equal(table.code, 0);
  const lines = table.stdout.split('\n').filter(Boolean);
  t.match(lines[0], /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
  t.equal(lines.length, 3, 'a header and one row per container');
  const rowA = lines.find((l) => l.startsWith(a + ' '))!;
  const rowB = lines.find((l) => l.startsWith(b + ' '))!;
  t.match(rowA, new RegExp(`^${a}\\s+${pidA}\\s+created\\s+${dir}\\s+\\d{4}-\\d\\d-\\d\\dT`));
  t.match(rowB, new RegExp(`^${b}\\s+${pidB}\\s+running\\s+${dir}\\s+`));
  // Columns line up: every row starts its PID column where the header does.
  const pidCol = lines[0]!.indexOf('PID');
  t.equal(rowA.indexOf(String(pidA)), pidCol, 'columns aligned');

  const json = await run(['list', '--format', 'json']);
  t.equal(json.code, 0);
  const list = JSON.parse(json.stdout) as Record<string, unknown>[];
  t.equal(list.length, 2);
  const byId = Object.fromEntries(list.map((c) => [c.id, c]));
  t.same(Object.keys(byId[a]!), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner']);
  t.match(byId[a], { id: a, pid: pidA, status: 'created', bundle: dir, rootfs: join(dir, 'rootfs') });
  t.match(byId[b], { id: b, pid: pidB, status: 'running' });
  t.equal((await run(['list', '-f', 'json'])).stdout, json.stdout, '-f is --format');

  const q = await run(['list', '-q']);
  t.same(q.stdout.split('\n').filter(Boolean).sort(), [a, b].sort(), '-q: the ids only');
  const bad = await run(['list', '--format', 'yaml']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /format.*yaml/);
  t.ok(existsSync(join(root, a)));
});

t.test("list: OWNER is the state directory's owner by name, as runc shows it", async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const id = uniqueId('owner');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0);
  t.equal(JSON.parse((await run(['list', '--format', 'json'])).stdout)[0].owner, 'root');
  t.match((await run(['list'])).stdout, new RegExp(`^${id} .*\\sroot$`, 'm'));
});

t.test('spec writes a config.json that validates, and refuses to overwrite it', async (t) => {
  const dir = mkdtempSync('/tmp/tsrun-test-spec-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false }); // CJS: the class is also its own .default
  // The vendored schema writes some refs as "#definitions/x"; read them as JSON pointers.
  for (const f of readdirSync(join(TOP, 'schema')).filter((f) => f.endsWith('.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(TOP, 'schema', f), 'utf8').replace(/"\$ref": "([^"#]*)#definitions\//g, '"$ref": "$1#/definitions/')), f);
  }
  const validate = ajv.getSchema('config-schema.json')!;

  for (const [sub, extra] of [
    ['plain', []],
    ['rootless', ['--rootless']],
  ] as const) {
    const b = join(dir, sub);
    mkdirSync(join(b, 'rootfs'), { recursive: true });
    const r = await tsrun(['spec', ...extra, '--bundle', b]);
    t.equal(r.code, 0, `spec ${extra.join(' ')}: ${r.stderr}`);
    const text = readFileSync(join(b, 'config.json'), 'utf8');
    const spec = JSON.parse(text);
    t.ok(validate(spec), `${sub}: valid against the runtime-spec schema ${JSON.stringify(validate.errors)}`);
    t.equal(spec.ociVersion, '1.3.0');
    t.same(spec.process.args, ['sh']);
    t.equal(spec.root.path, 'rootfs');
    // And tsrun itself accepts it (semantics included); terminal: true needs a console socket.
    const { run } = stateRoot(t);
    const plan = await run(['create', '--dry-run', '--console-socket', join(dir, 'console.sock'), '--bundle', b, uniqueId('spec')]);
    t.equal(plan.code, 0, `${sub}: tsrun accepts it: ${plan.stderr}`);

    const again = await tsrun(['spec', ...extra, '--bundle', b]);
    t.equal(again.code, 1, 'a second spec fails');
    t.match(again.stderr, /config\.json.*exists/);
    t.equal(readFileSync(join(b, 'config.json'), 'utf8'), text, 'the file is left as it was');
  }
});

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

t.test('--log FILE --log-format json: lines with exactly level, msg, time', async (t) => {
  const { root } = stateRoot(t);
  const dir = mkdtempSync('/tmp/tsrun-test-log-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'log.json');
  const r = await tsrun(['--root', root, '--log', log, '--log-format', 'json', 'state', 'no-such-id']);
  t.equal(r.code, 1);
  t.match(r.stderr, /container does not exist/, 'the error still reaches stderr');
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  t.equal(lines.length, 1, 'one line');
  const entry = JSON.parse(lines[0]!);
  t.same(Object.keys(entry), ['level', 'msg', 'time'], 'exactly these keys, in this order');
  t.equal(entry.level, 'error');
  t.equal(entry.msg, 'container does not exist');
  t.match(entry.time, RFC3339, 'RFC 3339 time');
  t.ok(Math.abs(Date.parse(entry.time) - Date.now()) < 60_000, 'and it is now');

  // A warning (capability the host lacks, or none) goes to the same log with level "warning".
  const { dir: bundle } = makeBundle(t, (s) => {
    s.process!.args = ['true'];
    s.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_SYS_RESOURCE', 'CAP_MAC_ADMIN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
  });
  const hostBnd = BigInt('0x' + /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
  const lacks = !(hostBnd & (1n << 24n)) || !(hostBnd & (1n << 33n));
  const w = await tsrun(['--root', root, '--log', log, '--log-format', 'json', 'run', '--bundle', bundle, uniqueId('log')]);
  t.equal(w.code, 0, w.stderr);
  for (const l of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const e = JSON.parse(l);
    t.same(Object.keys(e), ['level', 'msg', 'time']);
    t.match(e.time, RFC3339);
  }
  if (lacks) t.match(readFileSync(log, 'utf8'), /"level":"warning","msg":"[^"]*CAP_/, 'warnings are logged too');

  const text = join(dir, 'log.txt');
  await tsrun(['--root', root, '--log', text, 'state', 'no-such-id']);
  t.match(readFileSync(text, 'utf8'), /^time="[^"]+" level=error msg="container does not exist"\n$/, 'the text format');
});

t.test(
  "--systemd-cgroup on a host without systemd: refused with runc's reason, creating nothing",
  { skip: existsSync('/run/systemd/system') && 'systemd runs here: test/systemd covers the driver' },
  async (t) => {
    const { root } = stateRoot(t);
    const { dir } = makeBundle(t, (s) => delete s.linux!.cgroupsPath);
    const id = uniqueId('systemd');
    const r = await tsrun(['--root', root, '--systemd-cgroup', 'create', '--bundle', dir, id]);
    t.equal(r.code, 1);
    t.match(r.stderr, /systemd not running on this host/);
    t.same(readdirSync(root), []);
    t.same(cgroupDirsNamed(id), []);
  },
);

/** A running container that appends the names of the signals it gets to rootfs/sigs. */
async function trapContainer(t: Test, run: ReturnType<typeof stateRoot>['run']) {
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'for s in TERM USR1 USR2 HUP INT; do trap "echo $s >> /sigs" $s; done; touch /ready; while :; do sleep 0.05; done'];
  });
  const id = uniqueId('trap');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  t.ok(await waitFor(() => existsSync(join(rootfs, 'ready'))), 'traps installed');
  const sigs = () => (existsSync(join(rootfs, 'sigs')) ? readFileSync(join(rootfs, 'sigs'), 'utf8').split('\n').filter(Boolean) : []);
  return { id, sigs };
}

t.test('kill accepts numbers, names, SIG names, any case; default SIGTERM', async (t) => {
  const { run } = stateRoot(t);
  const { id, sigs } = await trapContainer(t, run);
  const sent: [string | undefined, string][] = [
    ['sigterm', 'TERM'],
    ['10', 'USR1'],
    ['SIGUSR2', 'USR2'],
    ['hup', 'HUP'],
    ['INT', 'INT'],
    [undefined, 'TERM'],
  ];
  const want: string[] = [];
  for (const [arg, name] of sent) {
    const r = await run(['kill', id, ...(arg === undefined ? [] : [arg])]);
    t.equal(r.code, 0, `kill ${arg ?? '(default)'}: ${r.stderr}`);
    want.push(name);
    t.ok(await waitFor(() => sigs().length === want.length), `kill ${arg ?? '(default)'} arrived`);
    t.same(sigs(), want, `as ${name}`);
  }
  t.equal(JSON.parse((await run(['state', id])).stdout).status, 'running', 'trapped signals do not stop it');

  for (const k of ['9', 'KILL', 'SIGKILL']) {
    const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
    const kid = uniqueId('kill');
    t.equal((await run(['run', '-d', '--bundle', dir, kid])).code, 0);
    const r = await run(['kill', kid, k]);
    t.equal(r.code, 0, `kill ${k}: ${r.stderr}`);
    t.ok(await waitFor(async () => JSON.parse((await run(['state', kid])).stdout).status === 'stopped'), `kill ${k} stops it`);
  }
});

t.test('kill --all signals every process of the container, kill only the init', async (t) => {
  const { run } = stateRoot(t);
  // The init (pid 1, no handler) ignores SIGTERM; its children do not.
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'sleep 600 & sleep 600 & touch /ready; wait; touch /children-gone; while :; do sleep 0.05; done'];
  });
  const id = uniqueId('all');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0);
  t.ok(await waitFor(() => existsSync(join(rootfs, 'ready'))));
  const pid = JSON.parse((await run(['state', id])).stdout).pid as number;
  const children = () => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  t.ok(children().length >= 2, 'the init has its children');

  t.equal((await run(['kill', id, 'TERM'])).code, 0);
  await wait(300);
  t.notOk(existsSync(join(rootfs, 'children-gone')), 'kill without --all leaves the children alone');

  t.equal((await run(['kill', '--all', id, 'TERM'])).code, 0);
  t.ok(await waitFor(() => existsSync(join(rootfs, 'children-gone'))), 'kill --all reached the children');
  t.equal(JSON.parse((await run(['state', id])).stdout).status, 'running', 'the init ignored it');

  t.equal((await run(['kill', '-a', id, 'KILL'])).code, 0);
  t.ok(await waitFor(async () => JSON.parse((await run(['state', id])).stdout).status === 'stopped'), '-a KILL stops everything');
});

/** bin/tsrun as a child we can signal; stdout and stderr through files we can read meanwhile. */
function spawnTsrun(args: string[]) {
  const tmp = mkdtempSync('/tmp/tsrun-test-out-');
  const outFile = join(tmp, 'out');
  const out = openSync(outFile, 'w');
  const err = openSync(join(tmp, 'err'), 'w');
  const child = spawn(TSRUN, args, { stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return {
    child,
    exited,
    stdout: () => readFileSync(outFile, 'utf8'),
    stderr: () => readFileSync(join(tmp, 'err'), 'utf8'),
    cleanup: () => rmSync(tmp, { recursive: true, force: true }),
  };
}

t.test('foreground run forwards SIGTERM (and friends) to the container and returns its status', async (t) => {
  const { root } = stateRoot(t);
  for (const [sig, code] of [
    ['SIGTERM', 7],
    ['SIGINT', 8],
    ['SIGHUP', 9],
    ['SIGUSR1', 10],
  ] as const) {
    const name = sig.slice(3);
    const { dir } = makeBundle(t, (s) => {
      s.process!.args = ['sh', '-c', `trap "echo got-${name}; exit ${code}" ${name}; echo ready; while :; do sleep 0.05; done`];
    });
    const p = spawnTsrun(['--root', root, 'run', '--bundle', dir, uniqueId('fg')]);
    t.teardown(() => {
      p.child.kill('SIGKILL');
      p.cleanup();
    });
    t.ok(await waitFor(() => p.stdout().includes('ready'), 20_000), 'container up');
    p.child.kill(sig);
    const ex = await Promise.race([p.exited, wait(10_000).then(() => ({ code: -1, signal: null }))]);
    t.equal(ex.code, code, `${sig}: tsrun exits with the container's status (${p.stderr()})`);
    t.match(p.stdout(), new RegExp(`^got-${name}$`, 'm'), `the container got ${sig}`);
  }
  t.same(readdirSync(root), [], 'the containers are deleted after the run');
});

t.test('run --keep keeps the stopped container; run without it does not', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', 'exit 3']));
  const kept = uniqueId('keep');
  t.equal((await run(['run', '--keep', '--bundle', dir, kept])).code, 3, "run returns the container's status");
  const s = JSON.parse((await run(['state', kept])).stdout);
  t.equal(s.status, 'stopped');
  t.equal(s.pid, 0);
  t.ok(cgroupDirsNamed(kept).length > 0, 'its cgroups are kept too');
  t.equal((await run(['delete', kept])).code, 0, 'a plain delete removes it');
  t.same(cgroupDirsNamed(kept), [], 'and its cgroups');

  const gone = uniqueId('nokeep');
  t.equal((await run(['run', '--bundle', dir, gone])).code, 3);
  t.equal((await run(['state', gone])).code, 1, 'without --keep the container is deleted');
  t.same(cgroupDirsNamed(gone), []);
  t.same(readdirSync(root), []);
});

t.test('run -d returns at once and leaves the container running', async (t) => {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', 'touch /started; sleep 600']));
  const id = uniqueId('detach');
  const t0 = Date.now();
  const r = await run(['run', '-d', '--bundle', dir, id], { timeoutMs: 15_000 });
  t.equal(r.code, 0, r.stderr);
  t.ok(Date.now() - t0 < 15_000, 'tsrun returned while the container sleeps');
  const s = JSON.parse((await run(['state', id])).stdout);
  t.equal(s.status, 'running');
  t.ok(await waitFor(() => existsSync(join(rootfs, 'started'))), 'the process was started');
  t.equal(readFileSync(`/proc/${s.pid}/cmdline`, 'utf8'), 'sleep\u0000600\u0000');
});

t.test('create --dry-run prints the plan and creates nothing', async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => (s.process!.args = ['sleep', '600']));
  const id = uniqueId('dry');
  const r = await run(['create', '--dry-run', '--bundle', dir, id]);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter(Boolean);
  t.ok(lines.length > 20, 'one line per op');
  t.match(r.stdout, /CLONE/);
  t.match(r.stdout, /PIVOT_ROOT/);
  t.match(r.stdout, /mount proc on \/proc/);
  t.match(r.stdout, /EXEC\s.*sleep.*600/);
  t.match(lines.at(-1), /EXEC/, 'exec is the last op');
  t.same(existsSync(root) ? readdirSync(root) : [], [], 'no state');
  t.same(cgroupDirsNamed(id), [], 'no cgroup');
  t.equal((await run(['state', id])).code, 1, 'no container');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0, 'the id is still free');
});

t.test('spec into a directory it cannot write: a clear error, no stack trace', async (t) => {
  const dir = mkdtempSync('/tmp/tsrun-test-spec-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  t.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tsrun-test-spec', ro]).status, 0, 'a read-only directory');
  t.teardown(() => void spawnSync('umount', ['-l', ro]));
  for (const [bundle, errno] of [
    [ro, 'EROFS'],
    [join(dir, 'missing'), 'ENOENT'],
  ] as const) {
    const r = await tsrun(['spec', '--bundle', bundle]);
    t.equal(r.code, 1, `${errno}: exit 1`);
    t.match(r.stderr, `write ${join(bundle, 'config.json')}: ${errno}`, `${errno}: names the file and errno`);
    t.notMatch(r.stderr, /internal error|\n\s+at /, `${errno}: no stack trace`);
  }
});
