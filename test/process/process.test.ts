// The container's process as it sees itself: args and PATH lookup, env,
// cwd, user and groups, umask, the five capability sets, rlimits,
// no_new_privs, oom_score_adj, and a clean stdio/fd/signal state.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, runScript, stateRoot, tempDir, TSRUN, uniqueId, type Result } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';

/** /proc/self/status "Key:\tvalue" lines as a map. */
function status(out: string): Record<string, string> {
  const m: Record<string, string> = {};
  for (const l of out.split('\n')) {
    const x = /^(\w+):\s*(.*?)\s*$/.exec(l);
    if (x) m[x[1]!] = x[2]!;
  }
  return m;
}

// Capability numbers (linux/capability.h), spelled out here rather than taken from src/.
const CAP: Record<string, number> = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_FOWNER: 3,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_RAW: 13,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_RESOURCE: 24,
  CAP_AUDIT_WRITE: 29,
};
const mask = (names: string[]) => names.reduce((m, n) => m | (1n << BigInt(CAP[n]!)), 0n);
const hex = (m: bigint) => m.toString(16).padStart(16, '0');
const hostBounding = BigInt('0x' + /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

t.test('args: PATH lookup in the container, in PATH order, arguments passed verbatim', async (t) => {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['mytool', 'two words', '$HOME', '*'];
    s.process!.env = ['PATH=/opt/a:/opt/b:/bin'];
  });
  mkdirSync(join(rootfs, 'opt/a'), { recursive: true });
  mkdirSync(join(rootfs, 'opt/b'), { recursive: true });
  // Not executable: skipped, as execvp skips it.
  writeFileSync(join(rootfs, 'opt/a/mytool'), '#!/bin/sh\necho wrong one\n', { mode: 0o644 });
  writeFileSync(join(rootfs, 'opt/b/mytool'), '#!/bin/sh\necho "tool=$0"; for a in "$@"; do echo "arg=$a"; done\n', { mode: 0o755 });
  const r = await run(['run', '--bundle', dir, uniqueId('path')]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'tool=/opt/b/mytool\narg=two words\narg=$HOME\narg=*\n');

  const r2 = await runScript(t, 'echo "$0|$1|$#"', (s) => s.process!.args!.push('zero', 'one'));
  t.equal(r2.stdout, 'zero|one|1\n', 'argv beyond the script reaches the program');
  const r3 = await runScript(t, '', (s) => (s.process!.args = ['/bin/echo', 'absolute']));
  t.equal(r3.stdout, 'absolute\n', 'an absolute path is run as is');
});

t.test('env: exactly the configured environment, nothing from the runtime', async (t) => {
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['env'];
    s.process!.env = ['PATH=/bin', 'FOO=bar baz', 'EMPTY=', 'HOME=/custom'];
  });
  const r = await run(['run', '--bundle', dir, uniqueId('env')], { env: { ...process.env, TSRUN_TEST_LEAK: 'leaked' } });
  t.equal(r.code, 0, r.stderr);
  t.same(r.stdout.split('\n').filter(Boolean).sort(), ['EMPTY=', 'FOO=bar baz', 'HOME=/custom', 'PATH=/bin']);
});

t.test('env: HOME comes from /etc/passwd when the config has none', async (t) => {
  const root = await runScript(t, 'echo "HOME=$HOME"');
  t.equal(root.stdout, 'HOME=/root\n', 'uid 0 -> /root from the rootfs /etc/passwd');
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'echo "HOME=$HOME"'];
    s.process!.user = { uid: 4242, gid: 4242 };
  });
  chmodSync(rootfs, 0o755);
  const other = await run(['run', '--bundle', dir, uniqueId('home')]);
  t.equal(other.stdout, 'HOME=/\n', 'a uid without an entry gets /');
});

t.test('cwd', async (t) => {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['pwd'];
    s.process!.cwd = '/home/work';
  });
  mkdirSync(join(rootfs, 'home/work'));
  const r = await run(['run', '--bundle', dir, uniqueId('cwd')]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, '/home/work\n');
});

t.test('cwd that does not exist is created, as runc does', async (t) => {
  const r = await runScript(t, 'pwd; stat -c %a .', (s) => (s.process!.cwd = '/tmp/new/dir'));
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, '/tmp/new/dir\n755\n');
});

t.test('user: uid, gid, additional gids, umask; files get that owner and mode', async (t) => {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'grep -E "^(Uid|Gid|Groups):" /proc/self/status; umask; touch /tmp/f; stat -c "%u:%g %a" /tmp/f; id -G'];
    s.process!.user = { uid: 1000, gid: 1001, additionalGids: [5, 1002, 1003], umask: 0o077 };
  });
  chmodSync(rootfs, 0o755); // the busybox rootfs is 0700: a non-root user could not reach /bin
  const r = await run(['run', '--bundle', dir, uniqueId('user')]);
  t.equal(r.code, 0, r.stderr);
  const st = status(r.stdout);
  t.equal(st.Uid, '1000\t1000\t1000\t1000', 'real, effective, saved and fs uid');
  t.equal(st.Gid, '1001\t1001\t1001\t1001', 'real, effective, saved and fs gid');
  t.equal(st.Groups, '5 1002 1003', 'supplementary groups are exactly additionalGids');
  t.match(r.stdout, /^0077$/m, 'umask');
  t.match(r.stdout, /^1000:1001 600$/m, 'a new file: owner from the user, mode from the umask');

  const d = await runScript(t, 'umask; grep -E "^(Uid|Gid|Groups):" /proc/self/status');
  t.match(d.stdout, /^0022$/m, 'default umask 0022');
  t.equal(status(d.stdout).Groups, '', 'no supplementary groups unless configured');
});

/** Runs a config's capabilities and returns the five sets as hex. */
async function capsOf(t: Parameters<typeof runScript>[0], edit: (s: Spec) => void): Promise<Result & { caps: Record<string, string> }> {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['grep', '-E', '^(Cap|NoNewPrivs)', '/proc/self/status'];
    edit(s);
  });
  chmodSync(rootfs, 0o755);
  const r = await run(['run', '--bundle', dir, uniqueId('caps')]);
  return { ...r, caps: status(r.stdout) };
}

const SETS = {
  bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID', 'CAP_NET_RAW', 'CAP_SYS_CHROOT'],
  permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'],
  effective: ['CAP_KILL', 'CAP_NET_RAW'],
  inheritable: ['CAP_KILL', 'CAP_CHOWN'],
  ambient: ['CAP_KILL'],
};

t.test('capabilities: all five sets, for a non-root user', async (t) => {
  const r = await capsOf(t, (s) => {
    s.process!.user = { uid: 1000, gid: 1000 };
    s.process!.capabilities = SETS;
  });
  t.equal(r.code, 0, r.stderr);
  // After execve of a file without file capabilities by a non-root user:
  // P' = E' = ambient; inheritable, bounding and ambient stay as set.
  t.equal(r.caps.CapBnd, hex(mask(SETS.bounding)), 'CapBnd');
  t.equal(r.caps.CapInh, hex(mask(SETS.inheritable)), 'CapInh');
  t.equal(r.caps.CapAmb, hex(mask(SETS.ambient)), 'CapAmb');
  t.equal(r.caps.CapPrm, hex(mask(SETS.ambient)), 'CapPrm = ambient');
  t.equal(r.caps.CapEff, hex(mask(SETS.ambient)), 'CapEff = ambient');
});

t.test('capabilities: all five sets, for root with no_new_privs', async (t) => {
  const r = await capsOf(t, (s) => {
    s.process!.noNewPrivileges = true;
    s.process!.capabilities = SETS;
  });
  t.equal(r.code, 0, r.stderr);
  // Root's execve: P' = (bounding | inheritable) | ambient, capped by the
  // old permitted set under no_new_privs; E' = P'.
  const prm = ((mask(SETS.bounding) | mask(SETS.inheritable)) & mask(SETS.permitted)) | mask(SETS.ambient);
  t.equal(r.caps.CapBnd, hex(mask(SETS.bounding)), 'CapBnd');
  t.equal(r.caps.CapInh, hex(mask(SETS.inheritable)), 'CapInh');
  t.equal(r.caps.CapAmb, hex(mask(SETS.ambient)), 'CapAmb');
  t.equal(r.caps.CapPrm, hex(prm), 'CapPrm = permitted');
  t.equal(r.caps.CapEff, hex(prm), 'CapEff');
  t.equal(r.caps.NoNewPrivs, '1');
});

t.test('capabilities: the busybox defaults, and an empty config', async (t) => {
  const d = await capsOf(t, () => {});
  const def = hex(mask(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']));
  t.equal(d.code, 0, d.stderr);
  for (const k of ['CapPrm', 'CapEff', 'CapBnd']) t.equal(d.caps[k], def, k);
  t.equal(d.caps.CapInh, hex(0n));
  t.equal(d.caps.CapAmb, hex(0n));
  const none = await capsOf(t, (s) => delete s.process!.capabilities);
  t.equal(none.code, 0, none.stderr);
  for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) t.equal(none.caps[k], hex(0n), `${k} empty without capabilities`);
});

t.test("capabilities: one missing from the host's bounding set is left out with a warning", async (t) => {
  const want = ['CAP_KILL', 'CAP_SYS_RESOURCE'];
  const r = await capsOf(t, (s) => {
    s.process!.capabilities = { bounding: want, permitted: want, effective: want };
  });
  t.equal(r.code, 0, r.stderr);
  const expected = mask(want) & hostBounding;
  t.equal(r.caps.CapBnd, hex(expected), 'CapBnd is what the host allows');
  t.equal(r.caps.CapEff, hex(expected));
  if (!(hostBounding & mask(['CAP_SYS_RESOURCE']))) {
    t.match(r.stderr, /CAP_SYS_RESOURCE/, 'the warning names the capability');
    t.match(r.stderr, /warn/i);
  } else {
    t.notMatch(r.stderr, /CAP_SYS_RESOURCE/, 'the host has it: no warning');
  }
});

t.test('rlimits', async (t) => {
  const r = await runScript(t, 'cat /proc/self/limits', (s) => {
    s.process!.rlimits = [
      { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
      { type: 'RLIMIT_CORE', soft: 1000, hard: 2000 },
      { type: 'RLIMIT_NPROC', soft: 300, hard: 400 },
    ];
  });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^Max open files\s+100\s+200\s+files/m);
  t.match(r.stdout, /^Max core file size\s+1000\s+2000\s+bytes/m);
  t.match(r.stdout, /^Max processes\s+300\s+400\s+processes/m);
});

t.test('noNewPrivileges and oomScoreAdj', async (t) => {
  const on = await runScript(t, 'grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj', (s) => {
    s.process!.noNewPrivileges = true;
    s.process!.oomScoreAdj = 123;
  });
  t.equal(on.code, 0, on.stderr);
  t.match(on.stdout, /^NoNewPrivs:\s+1$/m);
  t.match(on.stdout, /^123$/m);
  const off = await runScript(t, 'grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj', (s) => {
    s.process!.noNewPrivileges = false;
    s.process!.oomScoreAdj = 1000; // raising needs no privilege; lowering needs CAP_SYS_RESOURCE
  });
  t.equal(off.code, 0, off.stderr);
  t.match(off.stdout, /^NoNewPrivs:\s+0$/m);
  t.match(off.stdout, /^1000$/m);
});

/**
 * bin/tsrun with extra fds from us as its fds 3, 4, ...; stdout and stderr
 * through files (a pipe would be held open by the container).
 */
function tsrunWithFds(args: string[], extra: number[], input = ''): Promise<Result> {
  const tmp = mkdtempSync('/tmp/tsrun-test-out-');
  const out = openSync(join(tmp, 'out'), 'w');
  const err = openSync(join(tmp, 'err'), 'w');
  return new Promise((res) => {
    const child = spawn(TSRUN, args, { stdio: ['pipe', out, err, ...extra] });
    closeSync(out);
    closeSync(err);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const r = { code: code ?? 128 + (signal ? 9 : 0), stdout: readFileSync(join(tmp, 'out'), 'utf8'), stderr: readFileSync(join(tmp, 'err'), 'utf8') };
      rmSync(tmp, { recursive: true, force: true });
      res(r);
    });
    child.stdin!.on('error', () => {}); // EPIPE when tsrun exits without reading
    child.stdin!.end(input);
  });
}

t.test('stdio: stdin and stdout pass through; only fds 0-2 are open; no blocked or ignored signals', async (t) => {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'read line; echo "got:$line"; ls /proc/self/fd | tr "\\n" " "; echo; grep -E "^Sig(Blk|Ign):" /proc/self/status; echo to-stderr >&2'];
  });
  // tsrun itself gets two more fds; without --preserve-fds they must not reach the container.
  const tmp = tempDir(t, 'fds');
  const a = openSync(join(tmp, 'a'), 'w');
  const b = openSync(join(tmp, 'b'), 'w');
  const r = await tsrunWithFds(['--root', root, 'run', '--bundle', dir, uniqueId('stdio')], [a, b], 'hello\n');
  closeSync(a);
  closeSync(b);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^got:hello$/m, 'stdin reaches the container');
  t.match(r.stdout, /^0 1 2 3 $/m, 'fds 0 1 2 (and 3, the one ls opened)');
  t.match(r.stdout, /^SigBlk:\s+0000000000000000$/m, 'no signal blocked');
  t.match(r.stdout, /^SigIgn:\s+0000000000000000$/m, 'no signal ignored');
  t.equal(r.stderr, 'to-stderr\n', "stderr is the container's alone");
});

t.test('signals the caller ignored or blocked, real-time ones included, do not reach the container', async (t) => {
  // Node and libuv reset only signals 1-31 before exec; a caller that ignores
  // a real-time signal (a CI harness here ignored 32) would leak it through.
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['grep', '-E', '^Sig(Blk|Ign):', '/proc/self/status'];
  });
  const launcher =
    'import os, signal, sys; signal.signal(40, signal.SIG_IGN); signal.signal(50, signal.SIG_IGN); ' + 'signal.pthread_sigmask(signal.SIG_BLOCK, [41]); os.execv(sys.argv[1], sys.argv[1:])';
  const r = spawnSync('python3', ['-c', launcher, TSRUN, '--root', root, 'run', '--bundle', dir, uniqueId('sigs')], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^SigBlk:\s+0000000000000000$/m, 'no signal blocked');
  t.match(r.stdout, /^SigIgn:\s+0000000000000000$/m, 'no signal ignored');
});

t.test('--preserve-fds 1 passes fd 3', async (t) => {
  const { root } = stateRoot(t);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'echo via-fd3 >&3; ls /proc/self/fd | tr "\\n" " "'];
  });
  const tmp = tempDir(t, 'fds');
  const f = openSync(join(tmp, 'fd3'), 'w');
  const g = openSync(join(tmp, 'fd4'), 'w');
  const r = await tsrunWithFds(['--root', root, 'run', '--preserve-fds', '1', '--bundle', dir, uniqueId('pfd')], [f, g]);
  closeSync(f);
  closeSync(g);
  t.equal(r.code, 0, r.stderr);
  t.equal(readFileSync(join(tmp, 'fd3'), 'utf8'), 'via-fd3\n', 'the container wrote through fd 3');
  t.match(r.stdout, /^0 1 2 3 4 $/m, 'fd 3 passed, fd 4 not (4 is the one ls opened)');
  t.equal(readFileSync(join(tmp, 'fd4'), 'utf8'), '', 'fd 4 not written');
});
