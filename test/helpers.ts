// Shared by the tests: a private state root, throw-away bundles made from
// the busybox rootfs, and a way to run the real bin/tsrun. Everything made
// here is removed in t.teardown, which also runs when a test fails.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Spec } from '../src/spec/types.js';

export const TOP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TSRUN = join(TOP, 'bin/tsrun');
export const ROOTFS = join(TOP, 'bundles/busybox/rootfs');
/** The executor `make build` wrote for this machine (what src/native/executor-path.ts picks). */
export const EXECUTOR = join(TOP, 'dist/executor', `${process.platform}-${process.arch}`, 'tsrun-executor');

export interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh directory under /tmp (tsrun-test-NAME-*), removed on teardown. */
export function tempDir(t: Teardown, name: string): string {
  const dir = mkdtempSync(`/tmp/tsrun-test-${name}-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let counter = 0;
/** An id no other test (or test run) uses. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Runs bin/tsrun with args; never throws on a non-zero exit. Output goes
 * through files, not pipes: a created container inherits tsrun's stdio and
 * would hold a pipe open long after tsrun exits.
 */
export function tsrun(args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  const tmp = mkdtempSync('/tmp/tsrun-test-out-');
  const outFile = join(tmp, 'out');
  const errFile = join(tmp, 'err');
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  return new Promise((res) => {
    const child = spawn(TSRUN, args, { stdio: ['pipe', out, err], env: opts.env ?? process.env });
    closeSync(out);
    closeSync(err);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? 128 + (signal ? 9 : 0), stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8') };
      rmSync(tmp, { recursive: true, force: true });
      res(result);
    });
    // tsrun may exit (e.g. kill, state) before it reads stdin: EPIPE is not a test failure.
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
  });
}

/**
 * A private --root for one test. On teardown every container left in it is
 * deleted with --force (killing it, removing its cgroup), then the root goes.
 */
export function stateRoot(t: Teardown): { root: string; run: (args: string[], opts?: Parameters<typeof tsrun>[1]) => Promise<Result> } {
  const root = mkdtempSync('/tmp/tsrun-test-root-');
  t.teardown(async () => {
    for (const id of existsSync(root) ? readdirSync(root) : []) {
      await tsrun(['--root', root, 'delete', '--force', id]);
    }
    rmSync(root, { recursive: true, force: true });
  });
  return { root, run: (args, opts) => tsrun(['--root', root, ...args], opts) };
}

/** The busybox bundle's config with the given changes, for a config of one's own. */
export function baseSpec(): Spec {
  const spec = JSON.parse(readFileSync(join(TOP, 'bundles/busybox/config.json'), 'utf8')) as Spec;
  spec.root = { path: 'rootfs', readonly: false };
  return spec;
}

/**
 * A throw-away bundle: a copy of the busybox rootfs (tests may write to it)
 * and a config.json made by `edit` from baseSpec().
 */
export function makeBundle(t: Teardown, edit: (spec: Spec) => void = () => {}): { dir: string; rootfs: string; spec: Spec } {
  const dir = mkdtempSync('/tmp/tsrun-test-bundle-');
  t.teardown(() => {
    // Mounts made by a container live in its own mount namespace, so none can be left here.
    rmSync(dir, { recursive: true, force: true });
  });
  const rootfs = join(dir, 'rootfs');
  cpSync(ROOTFS, rootfs, { recursive: true, verbatimSymlinks: true });
  const spec = baseSpec();
  edit(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return { dir, rootfs, spec };
}

/** Runs `sh -c script` in a fresh container with the given config changes; returns its output and exit code. */
export async function runScript(t: Teardown, script: string, edit: (spec: Spec) => void = () => {}): Promise<Result> {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', script];
    edit(s);
  });
  return run(['run', '--bundle', dir, uniqueId('run')]);
}

/** The host's view of a namespace: the target of /proc/PID/ns/TYPE. */
export function nsOf(pid: number | 'self', type: string): string {
  return spawnSync('readlink', [`/proc/${pid}/ns/${type}`], { encoding: 'utf8' }).stdout.trim();
}

/** One line of /proc/PID/mountinfo, split into its fields (see proc(5)). */
export interface MountInfo {
  id: number;
  parent: number;
  root: string;
  mountPoint: string;
  /** Per-mount options: "rw,nosuid,relatime". */
  options: string[];
  /** Optional fields: "shared:1", "master:2", ... */
  optional: string[];
  fstype: string;
  source: string;
  /** Per-superblock options: "rw,size=65536k,mode=755". */
  superOptions: string[];
}

/** Parses mountinfo text (the host's, or what a container printed). */
export function parseMountinfo(text: string): MountInfo[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .filter((l) => / - /.test(l))
    .map((l) => {
      const [left, right] = l.split(' - ') as [string, string];
      const f = left.split(' ');
      const r = right.split(' ');
      return {
        id: Number(f[0]),
        parent: Number(f[1]),
        root: unescape(f[3]!),
        mountPoint: unescape(f[4]!),
        options: f[5]!.split(','),
        optional: f.slice(6).filter(Boolean),
        fstype: r[0]!,
        source: unescape(r[1]!),
        superOptions: (r[2] ?? '').split(','),
      };
    });
}

/** Host cgroup directories named `name` (any hierarchy, any depth up to 6): leftovers of a container. */
export function cgroupDirsNamed(name: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name === name) found.push(p);
      if (depth < 6) walk(p, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return found;
}

/** Polls `cond` every 20 ms until it is true or `ms` have passed; returns its last value. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** waitFor that throws, naming what it waited for, when the time is up. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, ms = 10000): Promise<void> {
  if (!(await waitFor(cond, ms))) throw new Error(`timed out: ${what}`);
}

export const hostMountinfo = (): string => readFileSync('/proc/self/mountinfo', 'utf8');

/**
 * Host mounts made since `before` (a hostMountinfo() text) at or below one
 * of `paths` ("/" for all). Other tests and engines mount things on this
 * host concurrently, so the table as a whole is not compared.
 */
export function newHostMounts(before: string, paths: string[]): MountInfo[] {
  const old = new Set(before.split('\n'));
  const added = hostMountinfo()
    .split('\n')
    .filter((l) => l && !old.has(l))
    .join('\n');
  return parseMountinfo(added).filter((m) => paths.some((p) => p === '/' || m.mountPoint === p || m.mountPoint.startsWith(p + '/')));
}

/** Lazily unmounts whatever is left at or below dir, deepest first. */
export function unmountBelow(dir: string): void {
  const points = parseMountinfo(hostMountinfo())
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(dir + '/'))
    .sort()
    .reverse();
  for (const p of points) spawnSync('umount', ['-l', p]);
}

/**
 * The messages of logrus text lines (`time="…" level=error msg="…"`, what
 * tsrun and runc write to stderr), one per line; other lines are kept as they are.
 */
export function logMessages(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => {
      const m = /^time=\S+ level=\w+ msg=("(?:[^"\\]|\\.)*"|\S*)/.exec(l);
      if (!m) return l;
      return m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
    })
    .join('\n');
}
