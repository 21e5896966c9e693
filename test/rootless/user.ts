// An unprivileged user of the tests' own, made for one test file and removed
// in teardown, with a sub-id range in /etc/subuid and /etc/subgid; both files
// are put back exactly as they were (or removed again if they did not exist).
// It runs a private copy of bin/ and dist/ from a directory it can read, since
// the checkout may sit under a directory others cannot enter.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOTFS, TOP, type Result, type Teardown } from '../helpers.js';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** First host id of the user's range in /etc/subuid and /etc/subgid (65536 ids). */
  subStart: number;
  /** A directory the user owns (mode 755): bundles, state roots and HOME go here. */
  home: string;
  /** The private copy of bin/tsrun. */
  tsrun: string;
  /** A copy of the busybox rootfs the user owns, for bundles to point at. */
  rootfs: string;
  /** Runs a program as the user (uid, gid, no supplementary groups) with env on top of a minimal one. */
  run(cmd: string, args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Result>;
  /** Writes /etc/subgid (or subuid) without the user's line until teardown, then with it again. */
  dropSubIds(t: Teardown, file: '/etc/subuid' | '/etc/subgid'): void;
}

export const SUB_COUNT = 65536;

/** Text of a file, or null when it does not exist. */
function snapshot(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

function restore(path: string, text: string | null): void {
  if (text === null) {
    if (existsSync(path)) unlinkSync(path);
  } else writeFileSync(path, text);
}

/** The pids of every process of uid (this test's user only: everything it runs is ours). */
function pidsOf(uid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'));
      if (m && Number(m[1]) === uid) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Makes the user, or returns a reason why not (to skip with). */
export function makeTestUser(t: Teardown): TestUser | string {
  if (spawnSync('which', ['useradd']).status !== 0) return 'useradd is not installed';
  const name = `tsrun-rootless-${process.pid}`.slice(0, 31);
  const files = ['/etc/subuid', '/etc/subgid'] as const;
  const before = files.map(snapshot);
  // useradd may append a range of its own to /etc/subuid and /etc/subgid: the files are rewritten below.
  const add = spawnSync('useradd', ['-M', '-U', '-s', '/bin/sh', name], { encoding: 'utf8' });
  if (add.status !== 0) {
    files.forEach((f, i) => restore(f, before[i]!));
    return `useradd ${name} failed: ${add.stderr.trim()}`;
  }
  const uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout);
  const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout);
  // A range far from useradd's (100000 upwards), distinct per test process.
  const subStart = 3_000_000_000 + (process.pid % 10_000) * SUB_COUNT;
  const line = `${name}:${subStart}:${SUB_COUNT}\n`;
  const withUser = (text: string | null) => (text ?? '') + (text && !text.endsWith('\n') ? '\n' : '') + line;
  files.forEach((f, i) => writeFileSync(f, withUser(before[i]!)));

  const home = mkdtempSync('/tmp/tsrun-test-rootless-');
  chmodSync(home, 0o755);
  t.teardown(() => {
    // Anything the user still runs (a container, podman's pause process) goes first: userdel refuses otherwise.
    for (let i = 0; i < 50; i++) {
      const pids = pidsOf(uid);
      if (!pids.length) break;
      for (const p of pids) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      spawnSync('sleep', ['0.1']);
    }
    spawnSync('userdel', [name]);
    spawnSync('groupdel', [name]); // when userdel left the group (USERGROUPS_ENAB no)
    files.forEach((f, i) => restore(f, before[i]!));
    rmSync(home, { recursive: true, force: true });
  });

  const dist = join(home, 'tsrun');
  cpSync(join(TOP, 'bin'), join(dist, 'bin'), { recursive: true });
  cpSync(join(TOP, 'dist'), join(dist, 'dist'), { recursive: true });
  spawnSync('chmod', ['-R', 'a+rX', dist]);
  const rootfs = join(home, 'rootfs');
  cpSync(ROOTFS, rootfs, { recursive: true, verbatimSymlinks: true });
  spawnSync('chown', ['-R', `${uid}:${gid}`, rootfs]);
  chownSync(home, uid, gid);

  const run: TestUser['run'] = (cmd, args, opts = {}) => {
    const tmp = mkdtempSync('/tmp/tsrun-test-out-');
    const outFile = join(tmp, 'out');
    const errFile = join(tmp, 'err');
    const out = openSync(outFile, 'w');
    const err = openSync(errFile, 'w');
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: home, USER: name, LOGNAME: name, ...opts.env };
    return new Promise((res) => {
      const child = spawn(cmd, args, { uid, gid, env, cwd: opts.cwd ?? home, stdio: ['ignore', out, err] });
      closeSync(out);
      closeSync(err);
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      const done = (code: number) => {
        clearTimeout(timer);
        const r = { code, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8') };
        rmSync(tmp, { recursive: true, force: true });
        res(r);
      };
      child.on('error', () => done(127));
      child.on('exit', (code, signal) => done(code ?? 128 + (signal ? 9 : 0)));
    });
  };

  const dropSubIds: TestUser['dropSubIds'] = (tt, file) => {
    const i = files.indexOf(file);
    writeFileSync(file, before[i] ?? '');
    tt.teardown(() => writeFileSync(file, withUser(before[i]!)));
  };

  return { name, uid, gid, subStart, home, tsrun: join(dist, 'bin/tsrun'), rootfs, run, dropSubIds };
}
