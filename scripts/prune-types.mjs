// After `tsc -p tsconfig.types.json` (make types): keeps in dist/types only
// the declarations that dist/types/index.d.ts reaches, and fails if one of
// them refers to a relative file that is not there (such a package would
// type-check only with skipLibCheck). tsc writes a declaration for every
// module the program loads, most of which no exported type mentions.
// The declarations are marked CommonJS (dist/types/package.json), which is
// what the package's code is: dist/index.cjs, re-exported by dist/index.mjs.
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const types = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist/types');
const entry = join(types, 'index.d.ts');
// `from './x.js'`, `import('./x.js')`, `/// <reference path="./x.d.ts" />`
const REFERENCE = /(?:\bfrom\s*|\bimport\s*\(\s*|<reference\s+path=)['"](\.{1,2}\/[^'"]+)['"]/g;

const reached = new Set();
const missing = [];
const todo = [entry];
while (todo.length > 0) {
  const file = todo.pop();
  if (reached.has(file)) continue;
  reached.add(file);
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(REFERENCE)) {
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.d.ts'));
    if (existsSync(target)) todo.push(target);
    else missing.push(`${relative(types, file)}: ${spec}`);
  }
}
if (missing.length > 0) {
  console.error(`prune-types: declarations refer to files that are not built:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      walk(p);
      if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
    } else if (!reached.has(p)) {
      rmSync(p);
    }
  }
}
walk(types);
writeFileSync(join(types, 'package.json'), '{ "type": "commonjs" }\n');
