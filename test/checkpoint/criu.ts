// What the checkpoint tests share: the CRIU binary `make criu` builds (or
// TSRUN_CRIU), why the tests skip when it cannot work here, and containers
// whose stdio CRIU can dump (never the test's output files).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TSRUN, waitFor, type Result } from '../helpers.js';

export const CRIU = process.env.TSRUN_CRIU ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tsrun-harness/criu/bin/criu');

/** Why CRIU cannot be used here, or undefined when `criu check` passes. */
function skipReason(): string | undefined {
  if (!existsSync(CRIU)) return `no CRIU at ${CRIU}: \`make criu\` builds it (Debian's 3.17 cannot run on this kernel)`;
  const c = spawnSync(CRIU, ['check'], { encoding: 'utf8' });
  if (c.status !== 0) return `\`${CRIU} check\` failed: ${(c.stderr || c.stdout).trim().split('\n').pop()}`;
  return undefined;
}
export const SKIP = skipReason();
/** tap's skip option: false, or the reason. */
export const skip = SKIP ?? false;

/**
 * tsrun with stdin and stdout /dev/null and stderr a file, which a detached
 * container inherits: CRIU dumps a container's stdio only if it can reach
 * it (a pipe would also keep the test waiting for its end).
 */
export function tsrunQuiet(args: string[], timeoutMs = 60_000): Promise<Result> {
  const dir = mkdtempSync('/tmp/tsrun-test-out-');
  const errFile = join(dir, 'err');
  const err = openSync(errFile, 'w');
  return new Promise((res) => {
    const child = spawn(TSRUN, args, { stdio: ['ignore', 'ignore', err] });
    closeSync(err);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const stderr = readFileSync(errFile, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      res({ code: code ?? 128 + (signal ? 9 : 0), stdout: '', stderr });
    });
  });
}

/** The counter a counting container last wrote to FILE (in its rootfs), or -1. */
export function counter(file: string): number {
  try {
    const n = parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isNaN(n) ? -1 : n;
  } catch {
    return -1;
  }
}

/** Waits until the counter passes `min`. */
export async function countsPast(file: string, min: number, ms = 10_000): Promise<boolean> {
  return waitFor(() => counter(file) > min, ms);
}

/** A shell loop that writes an increasing number to /counter every 100 ms. */
export const COUNTER_SCRIPT = 'i=0; while true; do echo $i > /counter; i=$((i+1)); sleep 0.1; done';
