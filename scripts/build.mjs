// Bundles tsrun into CommonJS files, one per unit of work: dist/cli.cjs (the
// CLI: argument parsing, the commands, the Runtime class), dist/index.cjs
// (the library entry) and dist/commands/NAME.cjs (each lifecycle operation with
// everything it uses). A command loads the CLI and one operation: two files.
// Measured (docs/bench.md): ES modules and many small chunks cost every
// short-lived command 10-30 ms of start-up; one CommonJS file costs ~1 ms.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8'));
// Operations whose source is not src/lifecycle/NAME.ts.
const SOURCE_OF = { spec: 'src/spec/commands.ts', features: 'src/spec/features.ts' };
const COMMANDS = ['create', 'start', 'state', 'kill', 'delete', 'run', 'exec', 'cgroup-commands', 'spec', 'watch', 'checkpoint', 'restore', 'container-hooks', 'features'];

const common = {
  absWorkingDir: top,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: {
    TSRUN_COMMIT: JSON.stringify(process.env.TSRUN_COMMIT ?? 'unknown'),
    TSRUN_VERSION: JSON.stringify(version),
    TSRUN_BUNDLED: 'true',
    TSRUN_COMMANDS_DIR: JSON.stringify('commands'),
    // CommonJS has no import.meta: give modules their file's URL, worked
    // out when first read (pathToFileURL costs ~0.5 ms; few commands need it).
    'import.meta': '__tsrun_import_meta',
  },
  banner: { js: "var __tsrun_import_meta = { get url() { return require('url').pathToFileURL(__filename).href; } };" },
};

// A code cache from an earlier build must not meet the new bundles (V8
// checks only the source's length): scripts/code-cache.mjs makes new ones.
for (const f of existsSync(join(top, 'dist/commands')) ? readdirSync(join(top, 'dist/commands')) : []) {
  if (f.endsWith('.v8cache')) rmSync(join(top, 'dist/commands', f));
}

await Promise.all([
  build({
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    // bin/tsrun is a link to this file. env -u drops NODE_EXTRA_CA_CERTS (tsrun
    // opens no TLS connection; loading a CA bundle costs ~50 ms a start) and
    // NODE_OPTIONS (a caller's loaders or flags must not change the runtime).
    banner: { js: '#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS -u NODE_OPTIONS node\n' + common.banner.js },
  }),
  // The shim (front.sh, bin/containerd-shim-tsrun-v2, runs it), with the library in-process.
  build({
    ...common,
    entryPoints: { shim: 'src/shim/main.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    banner: { js: '#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS -u NODE_OPTIONS node\n' + common.banner.js },
  }),
  build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist', outExtension: { '.js': '.cjs' } }),
  build({
    ...common,
    entryPoints: Object.fromEntries(COMMANDS.map((c) => [c, SOURCE_OF[c] ?? `src/lifecycle/${c}.ts`])),
    define: { ...common.define, TSRUN_COMMANDS_DIR: JSON.stringify('.') },
    outdir: 'dist/commands',
    outExtension: { '.js': '.cjs' },
  }),
]);
chmodSync(join(top, 'dist/cli.cjs'), 0o755);
chmodSync(join(top, 'dist/shim.cjs'), 0o755);
// The shim's bin: a POSIX sh front end that runs dist/shim.cjs only when it must (src/shim/front.sh).
copyFileSync(join(top, 'src/shim/front.sh'), join(top, 'dist/containerd-shim-tsrun-v2'));
chmodSync(join(top, 'dist/containerd-shim-tsrun-v2'), 0o755);
// The ES module entry (package.json exports: "import") re-exports the one
// CommonJS bundle rather than being a second build of it: import and require
// then share one copy of the library's state and one TsrunError class. Node
// finds the names through esbuild's export annotation in index.cjs.
writeFileSync(join(top, 'dist/index.mjs'), "export * from './index.cjs';\nimport lib from './index.cjs';\nexport default lib;\n");

// command-loader.ts decodes a command's bundle as Latin-1 (one copy instead of
// UTF-8's three): that is exact only while the bundles are ASCII, which
// esbuild's default charset makes them. Fail the build if that ever changes.
for (const f of readdirSync(join(top, 'dist/commands')).filter((f) => f.endsWith('.cjs'))) {
  const at = readFileSync(join(top, 'dist/commands', f)).findIndex((b) => b > 0x7f);
  if (at >= 0) throw new Error(`build: dist/commands/${f} has a non-ASCII byte at ${at}; command-loader.ts reads bundles as Latin-1`);
}
