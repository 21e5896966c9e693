// Bundles each entry point with esbuild. The CLI entry is tiny and loads
// each command's code with a dynamic import, so `tsrun state` never parses
// ajv, the plan builder or koffi (splitting gives each its own chunk).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8'));
// Old hashed chunks are left in place: a tsrun started before this build may
// still be loading them (`make clean` removes them).
await build({
  absWorkingDir: top,
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: false,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { TSRUN_COMMIT: JSON.stringify(process.env.TSRUN_COMMIT ?? 'unknown'), TSRUN_VERSION: JSON.stringify(version) },
});
