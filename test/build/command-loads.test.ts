// Every CLI command pays Node's start-up, then loads its own bundle: the
// lifecycle commands must not pull node:child_process into it (a few ms per
// command) unless they spawn something. Hooks, `ip` for netDevices and
// newuidmap load it when they run, not when the bundle loads.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOP, makeBundle, stateRoot, tempDir, uniqueId } from '../helpers.js';

for (const cmd of ['create', 'start', 'state', 'kill', 'delete']) {
  const bundle = join(TOP, 'dist/commands', `${cmd}.cjs`);
  t.test(`loading the ${cmd} bundle loads no node:child_process`, { skip: existsSync(bundle) ? false : 'no build: run make build' }, async (t) => {
    const r = spawnSync(
      'env',
      ['-u', 'NODE_OPTIONS', process.execPath, '-e', `require(${JSON.stringify(bundle)}); process.stdout.write(process.moduleLoadList.filter((m) => /child_process/.test(m)).join(' '))`],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      },
    ); // no NODE_OPTIONS: tap's loaders load child_process
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, '', 'child_process modules loaded');
  });
}

// Node modules a short command must not pay for: node:fs/promises (eight
// more internal modules), the global `performance` (ten: perf_hooks), node:vm.
// Checked on the real CLI, since some load only when a command runs.
const HEAVY = /^NativeModule (fs\/promises|internal\/fs\/promises|perf_hooks|internal\/perf\/performance|vm|child_process)$/;
const PERF = /^NativeModule (perf_hooks|internal\/perf\/performance)$/;

t.test('create, state, kill, start and delete load none of the heavy built-ins', { skip: existsSync(join(TOP, 'dist/cli.cjs')) ? false : 'no build: run make build' }, async (t) => {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['true'];
  });
  const id = uniqueId('loads');
  t.equal((await run(['create', '--bundle', dir, id])).code, 0, 'create');
  const out = join(tempDir(t, 'loads'), 'modules.txt');
  const preload = join(tempDir(t, 'loads-preload'), 'dump.cjs');
  const files = join(tempDir(t, 'loads-files'), 'files.txt');
  const threads = join(tempDir(t, 'loads-threads'), 'threads.txt');
  writeFileSync(
    preload,
    `process.on('exit', () => { const fs = require('fs'); fs.writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')); fs.writeFileSync(${JSON.stringify(files)}, Object.keys(require.cache).join('\\n')); fs.writeFileSync(${JSON.stringify(threads)}, String(fs.readdirSync('/proc/self/task').length)); });`,
  );
  // The threads of a script that starts no thread pool: Node's own (main, V8's platform workers).
  const empty = spawnSync('env', ['-i', `PATH=${process.env.PATH}`, process.execPath, '-r', preload, '-e', '0'], { encoding: 'utf8' });
  t.equal(empty.status, 0, empty.stderr);
  const nodeThreads = Number(readFileSync(threads, 'utf8'));
  for (const args of [
    ['create', '--bundle', dir, `${id}-2`],
    ['state', id],
    ['kill', id, '0'],
    ['start', id],
    ['delete', '--force', id],
    ['delete', '--force', `${id}-2`],
  ]) {
    // env -i: tap's process-info hook puts its own loaders into NODE_OPTIONS of what a test spawns.
    // create's init keeps the stdio it is given until it starts: no pipes for it, or spawnSync waits for them.
    const stdio = args[0] === 'create' ? 'ignore' : 'pipe';
    const r = spawnSync('env', ['-i', `PATH=${process.env.PATH}`, process.execPath, '-r', preload, join(TOP, 'dist/cli.cjs'), '--root', root, ...args], { encoding: 'utf8', stdio });
    t.equal(r.status, 0, `${args[0]}: ${r.stderr}`);
    const modules = readFileSync(out, 'utf8').split('\n');
    // create has its use for node:vm (the code cache), not for `performance`.
    t.same(
      modules.filter((m) => (args[0] === 'create' ? PERF : HEAVY).test(m)),
      [],
      `${args[0]} loads no heavy built-in`,
    );
    // The CLI waits for its create (RuntimeOptions.blocking): the executor's socket is a bare fd, no node:net (~4 ms) under it.
    t.same(
      modules.filter((m) => /^NativeModule (net|stream)$/.test(m)),
      [],
      `${args[0]} loads neither node:net nor node:stream`,
    );
    if (args[0] === 'state') t.notOk(modules.includes('NativeModule os'), 'state does not load node:os');
    // The CLI waits for each command (RuntimeOptions.blocking): none starts libuv's thread pool (four threads) for its few file operations.
    if (args[0] === 'create' || args[0] === 'start' || args[0] === 'delete') t.equal(Number(readFileSync(threads, 'utf8')), nodeThreads, `${args[0]} starts no thread pool`);
    // start and delete lock the container (flock through koffi): koffi's native addon, not its probing entry (src/linux/koffi.ts).
    if (args[0] === 'start' || args[0] === 'delete') {
      const loaded = readFileSync(files, 'utf8').split('\n');
      t.ok(
        loaded.some((f) => f.endsWith('/koffi.node')),
        `${args[0]} loads koffi's addon`,
      );
      t.same(
        loaded.filter((f) => /node_modules\/koffi\//.test(f)),
        [],
        `${args[0]} loads none of koffi's JavaScript`,
      );
    }
  }
});

// The cgroup resource writers and stats readers (cgroups/index.ts) cost every
// command that bundles them ~4 ms of compiling: only create, run, update and
// events need them (cgroups/handle.ts and record.ts serve the others).
for (const cmd of ['start', 'state', 'kill', 'delete']) {
  const bundle = join(TOP, 'dist/commands', `${cmd}.cjs`);
  t.test(`the ${cmd} bundle holds no cgroup resource or stats code`, { skip: existsSync(bundle) ? false : 'no build: run make build' }, async (t) => {
    const sources = [...readFileSync(bundle, 'utf8').matchAll(/^\/\/ (src\/cgroups\/\S+)$/gm)].map((m) => m[1]);
    t.same(
      sources.filter((s) => /resources|stats|managers|systemd\/manager/.test(s!)),
      [],
      'cgroup modules bundled',
    );
  });
}
