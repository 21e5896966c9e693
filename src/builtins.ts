/**
 * Node built-ins that only some runs of a command need, loaded on first use:
 * node:child_process (with node:net under it) costs ~6 ms to load, node:os
 * ~0.4 ms, which `state` has no use for. Through require, not import(): a
 * bundle that command-loader.ts runs with a code cache is a vm.Script, which
 * has no dynamic import(). Not through node:module's createRequire either:
 * loading node:module costs ~0.6 ms of its own.
 */

declare const TSRUN_BUNDLED: boolean | undefined;

/**
 * A built-in module. A bundle is CommonJS and has require; the sources
 * (tests) run as ES modules and use process.getBuiltinModule (Node 20.16).
 */
function builtin<T>(id: string): T {
  if (typeof TSRUN_BUNDLED !== 'undefined' && TSRUN_BUNDLED) {
    const req = require; // not a literal call: the bundler must leave it to run time
    return req(id) as T;
  }
  const { getBuiltinModule } = process as unknown as { getBuiltinModule?: (id: string) => T };
  if (!getBuiltinModule) throw new Error(`tsrun's sources need Node 20.16 or later (process.getBuiltinModule) for ${id}; the built package does not`);
  return getBuiltinModule(id);
}

export const childProcess = (): typeof import('node:child_process') => builtin('node:child_process');

/** node:tty (node:net under it), for a terminal's pty master: only a container with process.terminal needs it. */
export const ttyModule = (): typeof import('node:tty') => builtin('node:tty');

/**
 * require() that resolves packages from this code's place: the bundle's own
 * require, or from source the module at url() (called only then, so that a
 * bundle does not work out its file URL).
 */
export function requireFrom(url: () => string): NodeJS.Require {
  if (typeof TSRUN_BUNDLED !== 'undefined' && TSRUN_BUNDLED) return require;
  return builtin<typeof import('node:module')>('node:module').createRequire(url());
}

/** node:os: its signal and errno tables, the CPU count. */
export const osModule = (): typeof import('node:os') => builtin('node:os');

/** node:net (with node:stream under it, ~4 ms to load): the library's sockets; the CLI's create has no use for it. */
export const netModule = (): typeof import('node:net') => builtin('node:net');
