/**
 * Loads one lifecycle operation's code on first use. A build bundles each
 * operation into its own CommonJS file, dist/commands/NAME.cjs, and a command
 * then loads just two files (the CLI and its operation): Node's ES-module
 * loader and every extra file cost each short-lived command several ms.
 * From source (tests run the TypeScript directly), the module is imported.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import type ModuleClass from 'node:module';
import { dirname } from 'node:path';
import type { Script as ScriptClass } from 'node:vm';
import { nextSlice } from './loop-slice.js';

// node:vm and node:module only where a code cache is used (create): other commands skip loading them.
const vm = (): typeof import('node:vm') => require('node:vm');
const moduleApi = (): typeof ModuleClass => require('node:module');

declare const TSRUN_BUNDLED: boolean | undefined;
/** Set by the build: where dist/commands is from the bundle this code is in ("commands" from dist/, "." from dist/commands/). */
declare const TSRUN_COMMANDS_DIR: string;

export const COMMANDS = ['create', 'start', 'state', 'kill', 'delete', 'run', 'exec', 'cgroup-commands', 'spec', 'watch', 'checkpoint', 'restore', 'container-hooks', 'features'] as const;
export type CommandName = (typeof COMMANDS)[number];
/** Operations whose source is not lifecycle/NAME (scripts/build.mjs has the same map). */
const SOURCE_OF: Partial<Record<CommandName, string>> = { spec: './spec/commands.js', features: './spec/features.js' };

export async function loadCommand<T>(name: CommandName): Promise<T> {
  // Each command starts in a stretch of its own (see loop-slice.ts).
  await nextSlice();
  // A long-lived program calls each operation many times: require's own lookup costs more than this.
  const had = loaded.get(name);
  if (had) return had as T;
  let mod: unknown;
  if (typeof TSRUN_BUNDLED !== 'undefined' && TSRUN_BUNDLED) mod = requireBundle(`${__dirname}/${TSRUN_COMMANDS_DIR}/${name}.cjs`);
  else mod = await import(SOURCE_OF[name] ?? `./lifecycle/${name}.js`);
  loaded.set(name, mod);
  return mod as T;
}

const loaded = new Map<CommandName, unknown>();

/**
 * require() of a bundle, through V8's code cache when the build left one
 * beside it (NAME.v8cache, see scripts/code-cache.mjs): V8 then skips
 * compiling what the cache holds, the big config validator among it.
 * Node 22 does this itself (module.enableCompileCache); Node 20 does not.
 * A cache V8 rejects (another Node, another build) only costs the time to
 * read it; no cache at all is plain require().
 */
function requireBundle(file: string): unknown {
  const req = require; // not a literal call: the bundler must leave it to run time
  if (req.cache[file]) return req(file);
  const cacheFile = file.replace(/\.cjs$/, '.v8cache');
  if (process.env.TSRUN_WRITE_CODE_CACHE === '1') return writingCodeCache(file, cacheFile);
  const cachedData = freshCache(file, cacheFile);
  if (!cachedData) return req(file);
  const script = new (vm().Script)(readWrapped(file), { filename: file, cachedData });
  return runAsModule(script, file).exports;
}

// Node's own CommonJS wrapper (Module.wrap), to the byte: V8 checks a cache
// against the source's length.
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n});';

/**
 * A bundle's source inside the CommonJS wrapper, as one string made in one
 * step. `Module.wrap(readFileSync(file, 'utf8'))` touched about three times
 * the bundle's size in new memory (Node reads UTF-8 in 8 KiB steps into a
 * growing buffer, then V8 copies the joined string flat before it compiles),
 * and each new page costs this VM about 12 µs: 280 page faults, 6 ms, per
 * create (docs/bench.md, "Session 10"). The build keeps bundles ASCII
 * (scripts/build.mjs checks), so Latin-1 decoding is exact.
 */
export function readWrapped(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafeSlow(WRAP_HEAD.length + size + WRAP_TAIL.length);
    let at = buf.write(WRAP_HEAD, 0, 'latin1');
    for (let n; at < WRAP_HEAD.length + size && (n = readSync(fd, buf, at, WRAP_HEAD.length + size - at, null)) > 0; ) at += n;
    at += buf.write(WRAP_TAIL, at, 'latin1');
    return buf.toString('latin1', 0, at);
  } finally {
    closeSync(fd);
  }
}

/**
 * The cache, if it is at least as new as the bundle. V8 checks a cache
 * against its own version and flags but the source only by length, so a
 * cache left from another build of a same-sized bundle would be taken: the
 * build deletes old caches before it bundles, and this refuses older ones.
 */
function freshCache(file: string, cacheFile: string): Buffer | undefined {
  // Most bundles have no cache: no ENOENT exception (a stack trace to build) for those.
  const cache = statSync(cacheFile, { throwIfNoEntry: false });
  if (!cache) return undefined;
  try {
    if (cache.mtimeMs < statSync(file).mtimeMs) return undefined;
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

/**
 * The build's training run (scripts/code-cache.mjs): load the bundle
 * uncached and, at exit, save what V8 compiled by then, so the cache holds
 * the functions this command really ran and not just the top level.
 */
function writingCodeCache(file: string, cacheFile: string): unknown {
  const script = new (vm().Script)(readWrapped(file), { filename: file });
  const mod = runAsModule(script, file);
  process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
  return mod.exports;
}

/** Runs a compiled CommonJS wrapper as `file`, entered in require's cache as if required. */
function runAsModule(script: ScriptClass, file: string): ModuleClass {
  const Module = moduleApi();
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  const req = require;
  req.cache[file] = mod;
  try {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  } catch (e) {
    delete req.cache[file];
    throw e;
  }
  mod.loaded = true;
  return mod;
}
