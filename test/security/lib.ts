// Shared by the test/security suites: hashing the files a container must
// never change, a way to start bin/tsrun with extra fds, a held-open stdin
// or another node binary, and building small static helpers.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { EXECUTOR, TOP, TSRUN, type Result } from '../helpers.js';

interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** What the build puts in dist/ that the runtime loads or runs: bundles (.js, .cjs, .mjs), code caches, native addons. */
export const RUNTIME_FILE = /\.(c|m)?js$|\.v8cache$|\.node$/;

/** tsrun's files on the host: the launcher, everything the build put in dist/, the executor; and the node binary running them. */
export function runtimeFiles(): string[] {
  const files = [process.execPath, TSRUN, EXECUTOR];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (RUNTIME_FILE.test(e.name)) files.push(p);
    }
  };
  walk(join(TOP, 'dist'));
  return files;
}

/** sha256 of each file ("missing" for one that is gone: a rebuild may rename dist/chunks). */
export function hashes(files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, existsSync(f) ? sha256(f) : 'missing']));
}

/** A private temporary directory, removed on teardown. */
export function tmpDir(t: Teardown, prefix = 'tsrun-test-sec-'): string {
  const d = mkdtempSync(join('/tmp', prefix));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A copy of the executor (run through TSRUN_EXECUTOR), so an attack that works damages only the copy. */
export function executorCopy(t: Teardown): { path: string; env: NodeJS.ProcessEnv } {
  const d = tmpDir(t, 'tsrun-test-exe-');
  const path = join(d, 'tsrun-executor');
  copyFileSync(EXECUTOR, path);
  chmodSync(path, 0o755);
  return { path, env: { ...process.env, TSRUN_EXECUTOR: path } };
}

export interface Spawned {
  child: ChildProcess;
  /** Ends tsrun's stdin (which the container may be reading). */
  endStdin(): void;
  done: Promise<Result>;
}

/**
 * bin/tsrun with more control than helpers.tsrun: extra fds become tsrun's
 * fds 3, 4, ... (a number at index i is fd 3+i; null leaves that fd closed),
 * stdin stays open until endStdin(), and `node` runs tsrun through another
 * node binary (a copy an attack may damage). Output goes through files.
 */
export function spawnTsrun(args: string[], opts: { extraFds?: (number | null)[]; env?: NodeJS.ProcessEnv; node?: string; timeoutMs?: number } = {}): Spawned {
  const tmp = mkdtempSync('/tmp/tsrun-test-out-');
  const out = openSync(join(tmp, 'out'), 'w');
  const err = openSync(join(tmp, 'err'), 'w');
  const extra = (opts.extraFds ?? []).map((f) => (f === null ? 'ignore' : f));
  // Through env(1), as bin/tsrun's own #! line does: tap adds its loader to
  // NODE_OPTIONS of every process a test spawns. env execs node: same pid.
  const [cmd, argv] = opts.node ? ['/usr/bin/env', ['-u', 'NODE_OPTIONS', opts.node, TSRUN, ...args]] : [TSRUN, args];
  const child = spawn(cmd, argv, { stdio: ['pipe', out, err, ...extra] as never, env: opts.env ?? process.env });
  closeSync(out);
  closeSync(err);
  const done = new Promise<Result>((res) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const r = { code: code ?? 128 + (signal ? 9 : 0), stdout: readFileSync(join(tmp, 'out'), 'utf8'), stderr: readFileSync(join(tmp, 'err'), 'utf8') };
      rmSync(tmp, { recursive: true, force: true });
      res(r);
    });
  });
  let ended = false;
  return {
    child,
    endStdin() {
      if (!ended) child.stdin!.end();
      ended = true;
    },
    done,
  };
}

/** Compiles a C source (from test/security) into a static binary in dir. */
export function buildStatic(source: string, dir: string, name: string): string {
  const out = join(dir, name);
  execFileSync('gcc', ['-static', '-O2', '-Wall', '-o', out, join(TOP, 'test/security', source)]);
  return out;
}

/** /proc/PID's descendants, from the children lists of its threads. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const walk = (p: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.split(' ').filter(Boolean).map(Number)) {
        found.push(k);
        walk(k);
      }
    }
  };
  walk(pid);
  return found;
}

/** /proc/self/status-style "Key:\tvalue" lines as a map. */
export function statusFields(out: string): Record<string, string> {
  const m: Record<string, string> = {};
  for (const l of out.split('\n')) {
    const x = /^(\w+):\s*(.*?)\s*$/.exec(l);
    if (x) m[x[1]!] = x[2]!;
  }
  return m;
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
