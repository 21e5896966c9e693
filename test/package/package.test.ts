// The npm package as a user gets it: `npm pack`, then `npm install
// ./tsrun-X.tgz` into an empty project (koffi comes from the registry or
// npm's cache), a consumer type-checked with `tsc --strict` against the
// shipped declarations (skipLibCheck off, so every .d.ts is checked), and
// real containers run through the installed copy: by `import` (a config in
// memory, output captured), by `require` (create, start, wait, delete with
// a piped stdout) and by its `tsrun` bin. Nothing here reads the
// repository's dist/ once the tarball is made: the project lives under
// /tmp, out of its reach.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, tempDir, TOP, uniqueId } from '../helpers.js';

// npm and tsc take about 15 s of CPU, minutes of wall time on a loaded host:
// more than test/run.sh's default for a file.
t.setTimeout(600_000);

interface Done {
  code: number | null;
  out: string;
}

const scratch = mkdtempSync('/tmp/tsrun-test-pkg-out-');
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
let outputs = 0;

/** Runs a command to completion, output through a file: a container holds on to its stdio. */
function runIn(dir: string, cmd: string, args: string[], timeoutMs = 300_000): Done {
  const outFile = join(scratch, `out-${++outputs}`);
  const fd = openSync(outFile, 'w');
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  // The installed copy must find its own executor.
  delete env.TSRUN_EXECUTOR;
  delete env.NODE_OPTIONS;
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: dir, env, stdio: ['ignore', fd, fd], timeout: timeoutMs });
  closeSync(fd);
  t.comment(`${[cmd.replace(/.*\//, ''), ...args.slice(0, 2)].join(' ')}: ${Date.now() - started} ms`);
  const out = readFileSync(outFile, 'utf8');
  rmSync(outFile);
  return { code: r.status, out };
}

const pkg = JSON.parse(readFileSync(join(TOP, 'package.json'), 'utf8')) as { version: string };
const lock = JSON.parse(readFileSync(join(TOP, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
// The consumer's @types/node: the version the repository's own install put in npm's cache.
const typesNode = lock.packages['node_modules/@types/node']!.version;
const TSC = join(TOP, 'node_modules/typescript/bin/tsc');

const ESM_CONSUMER = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Runtime, TsrunError, type ExitStatus, type Mount, type Process, type Spec } from 'tsrun';

const [root, bundle, id] = process.argv.slice(2) as [string, string, string];
// The config in memory, the rootfs given apart.
const spec: Spec = JSON.parse(readFileSync(bundle + '/config.json', 'utf8'));
const proc: Process = { ...spec.process!, args: ['sh', '-c', 'echo "in the container: $(hostname)"; exit 7'] };
const mounts: Mount[] = spec.mounts ?? [];
const rt = new Runtime({ root });
const out = await rt.run(id, { spec: { ...spec, process: proc, mounts }, rootfs: bundle + '/rootfs', capture: true });
const status: ExitStatus = out;
// import and require load the same library: one Runtime, one TsrunError.
const same = createRequire(import.meta.url)('tsrun').Runtime === Runtime;
const error = await rt.state(id).then(() => undefined, (e: unknown) => e);
const deleted = error instanceof TsrunError ? error.code : String(error);
console.log('RESULT ' + JSON.stringify({ flavor: 'esm', exitCode: status.exitCode, stdout: out.stdout?.toString(), same, deleted }));

// Never called: tsc must refuse these, so the declarations are types and not any.
export async function typesAreReal(): Promise<void> {
  // @ts-expect-error root is a string
  new Runtime({ root: 42 });
  // @ts-expect-error exitCode is a number or null
  const s: string = (await rt.run(id)).exitCode;
  void s;
}
`;

const CJS_CONSUMER = `
import { Runtime, TsrunError } from 'tsrun';

async function main(): Promise<void> {
  const [root, bundle, id] = process.argv.slice(2) as [string, string, string];
  const rt = new Runtime({ root });
  const c = await rt.create(id, { bundle, stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  c.stdout!.on('data', (b: Buffer) => chunks.push(b));
  const ended = new Promise((resolve) => c.stdout!.on('end', resolve));
  await c.start();
  const { exitCode } = await c.wait();
  await ended;
  await c.delete({ force: true });
  const error = await rt.state(id).then(() => undefined, (e: unknown) => e);
  const deleted = error instanceof TsrunError ? error.code : String(error);
  console.log('RESULT ' + JSON.stringify({ flavor: 'cjs', exitCode, stdout: Buffer.concat(chunks).toString(), deleted }));
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
`;

function result(out: string): Record<string, unknown> {
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  return line ? (JSON.parse(line.slice(7)) as Record<string, unknown>) : {};
}

t.test('npm pack, install into an empty project, type-check and run containers', async (t) => {
  for (const arch of ['x64', 'arm64']) {
    t.ok(existsSync(join(TOP, `dist/executor/linux-${arch}/tsrun-executor`)), `linux-${arch} executor built (make build)`);
  }
  // Declarations are not part of `make build` (tsc takes seconds): bring them up to date.
  const types = runIn(TOP, 'make', ['-s', 'types']);
  t.equal(types.code, 0, `make types: ${types.out}`);

  const dir = tempDir(t, 'pkg');
  // --ignore-scripts: prepack would rebuild dist/ under the other tests' feet.
  const packed = runIn(TOP, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir]);
  t.equal(packed.code, 0, 'npm pack');
  const [info] = JSON.parse(packed.out.slice(packed.out.indexOf('['))) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string; mode: number }> }>;
  const files = new Map(info!.files.map((f) => [f.path, f.mode]));
  t.comment(`${info!.filename}: ${info!.size} bytes packed, ${info!.unpackedSize} unpacked, ${files.size} files`);
  for (const f of [
    'package.json',
    'README.md',
    'LICENSE',
    'dist/cli.cjs',
    'dist/index.cjs',
    'dist/index.mjs',
    'dist/shim.cjs',
    'dist/containerd-shim-tsrun-v2',
    'dist/commands/create.cjs',
    'dist/executor/linux-x64/tsrun-executor',
    'dist/executor/linux-arm64/tsrun-executor',
    'dist/types/index.d.ts',
  ]) {
    t.ok(files.has(f), `the tarball holds ${f}`);
  }
  for (const f of ['dist/cli.cjs', 'dist/containerd-shim-tsrun-v2', 'dist/executor/linux-x64/tsrun-executor', 'dist/executor/linux-arm64/tsrun-executor']) {
    t.ok(((files.get(f) ?? 0) & 0o111) !== 0, `${f} is executable`);
  }
  t.same(
    [...files.keys()].filter((f) => /^(src|test|bench|\.ci|scripts|schema|bundles|docs|bin|oom)\//.test(f)),
    [],
    'no sources, tests, scripts or bundles',
  );

  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // koffi and @types/node from npm's cache where `make setup` left them, else from the registry.
  const install = runIn(dir, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${info!.filename}`, `@types/node@${typesNode}`]);
  t.equal(install.code, 0, `npm install: ${install.code === 0 ? 'ok' : install.out}`);
  t.ok(existsSync(join(dir, 'node_modules/tsrun/dist/index.cjs')), 'installed');
  t.notOk(existsSync(join(dir, 'node_modules/tsrun/src')), 'installed copy has no sources');

  writeFileSync(join(dir, 'esm.mts'), ESM_CONSUMER);
  writeFileSync(join(dir, 'cjs.cts'), CJS_CONSUMER);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      // skipLibCheck off: the shipped .d.ts are checked (and @types/node with
      // them); TypeScript's own lib files are not what is tested here.
      compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: false, skipDefaultLibCheck: true, outDir: 'out' },
      files: ['esm.mts', 'cjs.cts'],
    }),
  );
  const tsc = runIn(dir, process.execPath, [TSC, '-p', 'tsconfig.json']);
  t.equal(tsc.code, 0, 'the consumer type-checks with tsc --strict against the shipped declarations');
  t.equal(tsc.out, '', 'no diagnostics');

  const { root } = stateRoot(t);
  const { dir: bundle } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'echo "in the container: $(hostname)"; exit 7'];
  });
  for (const flavor of ['esm', 'cjs']) {
    const id = uniqueId(`pkg-${flavor}`);
    const r = runIn(dir, process.execPath, [`out/${flavor}.${flavor === 'esm' ? 'mjs' : 'cjs'}`, root, bundle, id]);
    t.equal(r.code, 0, `${flavor} consumer exits 0`);
    t.match(
      result(r.out),
      { flavor, exitCode: 7, stdout: 'in the container: tsrun-busybox\n', deleted: 'ERR_NOT_FOUND' },
      `${flavor}: the container ran, its output and exit code came back, it is gone`,
    );
    if (flavor === 'esm') t.match(result(r.out), { same: true }, 'import and require give the same Runtime');
  }

  // The bin as npm linked it (what npx runs), then through npx itself.
  const version = runIn(dir, join(dir, 'node_modules/.bin/tsrun'), ['--version']);
  t.match(version.out, new RegExp(`^tsrun version ${pkg.version.replace(/\./g, '\\.')}$`, 'm'), 'node_modules/.bin/tsrun --version');
  // The shim's bin is its sh front end: through npm's link it finds dist/shim.cjs.
  const shim = runIn(dir, join(dir, 'node_modules/.bin/containerd-shim-tsrun-v2'), ['-v']);
  t.match(shim.out, new RegExp(`^  Version: ${pkg.version.replace(/\./g, '\\.')}$`, 'm'), 'node_modules/.bin/containerd-shim-tsrun-v2 -v');
  const id = uniqueId('pkg-bin');
  const bin = runIn(dir, 'npx', ['--no', '--', 'tsrun', '--root', root, 'run', '--bundle', bundle, id]);
  t.equal(bin.code, 7, 'npx tsrun run exits with the container status');
  t.match(bin.out, /^in the container: tsrun-busybox$/m, 'npx tsrun run: the container ran');
  t.same(readdirSync(root), [], 'no container left in the state root');
});
