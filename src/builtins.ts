/**
 * Node built-ins that only some runs of a command need, loaded on first use:
 * node:child_process (with node:net under it) costs ~6 ms to load. Through
 * require, not import(): a bundle that command-loader.ts runs with a code cache
 * is a vm.Script, which has no dynamic import().
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

export const childProcess = (): typeof import('node:child_process') => requireHere('node:child_process');

/** node:tty (node:net under it), for a terminal's pty master: only a container with process.terminal needs it. */
export const ttyModule = (): typeof import('node:tty') => requireHere('node:tty');
