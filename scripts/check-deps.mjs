#!/usr/bin/env node
// Dependencies flow one way (BRIEF, DESIGN):
//   cli -> index/library/lifecycle (and the shim) -> plan, rootfs, process,
//   seccomp, cgroups, hooks, ... -> linux, native
// This script reads every import under src/ (static, `export ... from`,
// dynamic import() with a literal path; `import type` counts too: a type is
// a dependency of the design, even if the bundle drops it) and fails on any
// edge between folders that ALLOWED below does not list, unless EXCEPTIONS
// names that exact file-to-file edge. It also checks that ALLOWED itself has
// no cycle, so the folders stay layered.
//
// Usage: node scripts/check-deps.mjs [--list] [--src DIR]
//   --list prints every edge between folders; --src checks another tree.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--src');
const src = at >= 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : join(top, 'src');
// Another tree (a test's): its exceptions are its own problem.
const ownTree = at < 0;

/**
 * A module's "unit": its folder under src/, or for a file at the top of
 * src/, its name. index.ts is the library's front door (the Runtime class).
 */
function unitOf(rel) {
  const parts = rel.split('/');
  if (parts.length > 1) return parts[0];
  const base = parts[0].replace(/\.(ts|js|mjs)$/, '');
  return BASE.has(base) ? 'base' : base;
}

/** Top-level files every unit may use, and which use nothing of src/ but each other. */
const BASE = new Set(['errors', 'text', 'log', 'builtins', 'command-loader', 'loop-slice']);

/**
 * Which units each unit may import (besides itself and base). Top to bottom:
 * the CLI sees only the library; the library (index, library/, lifecycle/)
 * and the shim orchestrate; plan composes rootfs/, process/, seccomp/ and
 * cgroups/ into ops; spec/ is the config's types and checks; native/ is the
 * executor, its instruction set, its protocol and the driver that spawns it
 * (with linux/'s posix_spawn); linux/ wraps the kernel.
 */
const ALLOWED = {
  cli: ['index'],
  shim: ['index', 'ttrpc', 'spec', 'linux'],
  index: ['library', 'lifecycle', 'checkpoint', 'state', 'spec'],
  library: ['lifecycle', 'plan', 'cgroups', 'spec', 'linux', 'native'],
  lifecycle: ['checkpoint', 'hooks', 'plan', 'rootfs', 'process', 'seccomp', 'cgroups', 'state', 'spec', 'linux', 'native'],
  checkpoint: ['plan', 'rootfs', 'cgroups', 'spec', 'linux'],
  hooks: ['plan', 'process', 'state', 'spec', 'native'],
  plan: ['rootfs', 'process', 'seccomp', 'cgroups', 'spec', 'linux', 'native'],
  state: ['cgroups', 'spec', 'linux'],
  rootfs: ['cgroups', 'spec', 'linux', 'native'],
  process: ['spec', 'linux', 'native'],
  seccomp: ['spec'],
  cgroups: ['spec', 'linux'],
  spec: [],
  ttrpc: [],
  native: ['linux'],
  linux: [],
  base: [],
};

/**
 * Known violations, each a file-to-file edge with the reason it is still
 * there. Remove an entry when its edge goes; an entry that no longer
 * matches an import fails the check, so the list cannot go stale.
 */
const EXCEPTIONS = [
  // The CLI should reach these through Runtime (src/index.ts), which the
  // lead is reshaping: Runtime.events() in runc's JSON shape, and the
  // checkpoint options' --empty-ns names.
  ['cli/commands/events.ts', 'cgroups/stats-json.ts'],
  ['cli/commands/criu-flags.ts', 'checkpoint/options.ts'],
  // library/ (Runtime's Container) uses lifecycle/; these lifecycle files use
  // library/'s stdio, terminal and plan-data helpers back, a cycle. They
  // belong in lifecycle/ or process/; src/library is being reworked by the
  // lead, so they move after that.
  ['lifecycle/create.ts', 'library/plan-data.ts'],
  ['lifecycle/create.ts', 'library/stdio.ts'],
  ['lifecycle/create.ts', 'library/terminal.ts'],
  ['lifecycle/exec.ts', 'library/stdio.ts'],
  ['lifecycle/exec.ts', 'library/terminal.ts'],
  // `features` lists rootfs's mount options. It is an command (command-loader's
  // 'features'), not config checking: it belongs in lifecycle/, a move that
  // touches src/index.ts, src/command-loader.ts and scripts/build.mjs.
  ['spec/features.ts', 'rootfs/mount-options.ts'],
  // errnoName: native/errno.ts also names the executor's ESCAPED_ROOT. The
  // one errno formatter (issue 13, section 3) moves it to src/errors.ts.
  ['linux/libc.ts', 'native/errno.ts'],
  ['linux/unix-socket.ts', 'native/errno.ts'],
];

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

// `from '...'` ends every static import and re-export; `import('...')` and a
// bare `import '...'` are the rest. Comments are removed first.
const IMPORT = /\bfrom\s*(['"])([^'"]+)\1|\bimport\s*\(\s*(['"])([^'"]+)\3\s*\)|^\s*import\s*(['"])([^'"]+)\5/gm;
function importsOf(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  return [...code.matchAll(IMPORT)].map((m) => m[2] ?? m[4] ?? m[6]);
}

const problems = [];

// The table itself must be layered.
for (const [u, targets] of Object.entries(ALLOWED)) {
  for (const t of targets) if (!(t in ALLOWED)) problems.push(`ALLOWED.${u} names unknown unit ${t}`);
}
const state = new Map();
function visit(u, path) {
  if (state.get(u) === 'done') return;
  if (state.get(u) === 'open') {
    problems.push(`ALLOWED has a cycle: ${[...path.slice(path.indexOf(u)), u].join(' -> ')}`);
    return;
  }
  state.set(u, 'open');
  for (const t of ALLOWED[u] ?? []) visit(t, [...path, u]);
  state.set(u, 'done');
}
for (const u of Object.keys(ALLOWED)) visit(u, []);

const edges = new Map();
const used = new Set();
for (const file of walk(src)) {
  const rel = relative(src, file);
  const from = unitOf(rel);
  if (!(from in ALLOWED)) problems.push(`${rel}: unit ${from} is not in ALLOWED (say where it sits)`);
  for (const spec of importsOf(readFileSync(file, 'utf8'))) {
    if (!spec.startsWith('.')) continue; // node: builtins and packages
    const target = relative(src, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
    if (target.startsWith('..')) {
      problems.push(`${rel}: imports ${spec}, outside src/`);
      continue;
    }
    const to = unitOf(target);
    if (to === from || to === 'base') continue;
    const key = `${from} -> ${to}`;
    edges.set(key, (edges.get(key) ?? 0) + 1);
    if ((ALLOWED[from] ?? []).includes(to)) continue;
    const exception = EXCEPTIONS.findIndex(([f, t]) => f === rel && t === target);
    if (exception >= 0) {
      used.add(exception);
      continue;
    }
    problems.push(`${rel} -> ${target}: ${from} may not import ${to} (allowed: ${(ALLOWED[from] ?? []).join(', ') || 'nothing'})`);
  }
}
EXCEPTIONS.forEach(([f, t], i) => {
  if (ownTree && !used.has(i)) problems.push(`EXCEPTIONS lists ${f} -> ${t}, which no longer exists: remove it`);
});

if (process.argv.includes('--list')) for (const [k, n] of [...edges].sort()) console.log(`${k} (${n})`);
if (problems.length) {
  console.error(`check-deps: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-deps: ${edges.size} edges between ${Object.keys(ALLOWED).length} units follow the allowed direction (${EXCEPTIONS.length} listed exceptions)`);
