// The build's V8 code cache for create (scripts/code-cache.mjs, command-loader.ts).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, openSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { readWrapped } from '../../src/command-loader.js';
import { makeBundle, stateRoot, tempDir, TOP, uniqueId } from '../helpers.js';

const BUNDLE = join(TOP, 'dist/commands/create.cjs');
const CACHE = join(TOP, 'dist/commands/create.v8cache');

t.test('the build leaves a cache for create that this Node accepts', async (t) => {
  const script = new Script(readWrapped(BUNDLE), { filename: BUNDLE, cachedData: readFileSync(CACHE) });
  t.equal(script.cachedDataRejected, false);
});

t.test("the loader's wrapped source is Module.wrap's, to the byte", async (t) => {
  // V8 checks a cache against the source's length; the bundle is ASCII, so Latin-1 reads it exactly.
  const Module = (await import('node:module')).default;
  t.equal(readWrapped(BUNDLE), Module.wrap(readFileSync(BUNDLE, 'utf8')));
  const file = join(tempDir(t, 'wrap'), 'empty.cjs');
  writeFileSync(file, '');
  t.equal(readWrapped(file), Module.wrap(''));
});

t.test('a damaged or stale cache only costs time: create still works', async (t) => {
  // A private copy of the built runtime, so the real dist/ stays untouched.
  const copy = tempDir(t, 'dist');
  for (const f of ['dist', 'bin', 'package.json', 'node_modules/koffi', 'node_modules/@koromix'])
    cpSync(join(TOP, f), join(copy, f), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  const tsrun = join(copy, 'bin/tsrun');
  const cache = join(copy, 'dist/commands/create.v8cache');
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t);
  // stderr through a file: the container's init inherits it, and a pipe would stay open.
  const errFile = join(copy, 'stderr');
  const create = () => {
    const id = uniqueId('cache');
    const err = openSync(errFile, 'w');
    const r = spawnSync(tsrun, ['--root', root, 'create', '--bundle', dir, id], { stdio: ['ignore', 'ignore', err], timeout: 30_000 });
    closeSync(err);
    spawnSync(tsrun, ['--root', root, 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
    return { status: r.status, stderr: readFileSync(errFile, 'utf8') };
  };
  writeFileSync(cache, Buffer.alloc(readFileSync(CACHE).length, 0x5a)); // garbage: V8 rejects it
  let r = create();
  t.equal(r.status, 0, `garbage cache: ${r.stderr}`);
  cpSync(CACHE, cache);
  const old = new Date(Date.now() - 3600_000);
  utimesSync(cache, old, old); // older than its bundle: not even read
  r = create();
  t.equal(r.status, 0, `stale cache: ${r.stderr}`);
});
