// Seccomp through the real runtime: the Docker-like default profile of
// bundles/busybox-seccomp refuses what lets a container reach past itself,
// argument filters decide by argument, the other actions do what they say,
// and the filter goes on at the right moment: last (just before execve)
// with no_new_privs, so a profile need not allow the runtime's own set-up
// calls; while CAP_SYS_ADMIN is still held without it, so a non-root
// container can have a filter at all.
//
// Each check is run without the filter too (with CAP_SYS_ADMIN where a
// capability would refuse the call anyway): the refusals are the filter's.
import t, { type Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, TOP, uniqueId } from '../helpers.js';
import type { Seccomp, Spec } from '../../src/spec/types.js';
import { statusFields, tmpDir } from './lib.js';

if (process.arch !== 'x64') {
  t.plan(0, 'x86_64 syscall numbers');
  process.exit(0);
}

const PROFILE = JSON.parse(readFileSync(join(TOP, 'bundles/busybox-seccomp/config.json'), 'utf8')).linux.seccomp as Seccomp;
const NR = { mount: 165, personality: 135, kexec_load: 246, getpid: 39, getppid: 110, socket: 41, clone3: 435, keyctl: 250, bpf: 321 };
const EPERM = 1;
const ENOSYS = 38;
const SIGSYS_EXIT = 128 + 31;
const CAPS = 'grep -E "^(Seccomp|NoNewPrivs|CapEff|Uid):" /proc/self/status';

// sys-helper (test/seccomp/sys-helper.c): one raw syscall, prints "ret N" or "errno N".
const helperDir = tmpDir(t, 'tsrun-test-helper-');
const HELPER = join(helperDir, 'sys-helper');
execFileSync('gcc', ['-static', '-O2', '-Wall', '-o', HELPER, join(TOP, 'test/seccomp/sys-helper.c')]);

/** The edit that puts the helper in the rootfs is done by the caller: makeBundle copies first. */
function withHelper(rootfs: string): void {
  copyFileSync(HELPER, join(rootfs, 'sys-helper'));
  spawnSync('chmod', ['755', join(rootfs, 'sys-helper')]);
}

/** runScript, with the helper in the rootfs. */
async function script(t: Test, body: string, edit: (s: Spec) => void) {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', body];
    edit(s);
  });
  withHelper(rootfs);
  return run(['run', '--bundle', dir, uniqueId('sc')]);
}

/** "name=errno N" / "name=ret N" lines from `call name NR args`. */
const CALL = 'call() { n=$1; shift; echo "$n=$(/sys-helper sys "$@")"; }; ';
function results(out: string): Record<string, string> {
  const m: Record<string, string> = {};
  for (const l of out.split('\n')) {
    const x = /^(\w+)=(ret|errno) (-?\d+)$/.exec(l);
    if (x) m[x[1]!] = `${x[2]} ${x[3]}`;
  }
  return m;
}

const withAdmin = (s: Spec) => {
  const c = s.process!.capabilities!;
  for (const set of ['bounding', 'effective', 'permitted'] as const) c[set] = [...(c[set] ?? []), 'CAP_SYS_ADMIN'];
};

t.test('the default profile: unshare, mount, kexec_load and friends refused with EPERM; argument filters by argument', async (t) => {
  const body =
    CALL +
    'unshare -m true; echo unshare=$?; mount -t tmpfs x /mnt; echo mount=$?; ' +
    `call kexec_load ${NR.kexec_load} 0 1000 0 0x100; ` +
    `call mount_sys ${NR.mount} 0 0 0 0 0; ` +
    `call keyctl ${NR.keyctl} 0 0 0 0; ` +
    `call bpf ${NR.bpf} 0 0 0; ` +
    `call clone3 ${NR.clone3} 0 0; ` +
    `call pers_query ${NR.personality} 0xffffffff; ` +
    `call pers_linux ${NR.personality} 0; ` +
    `call pers_norandom ${NR.personality} 0x40000; ` +
    `call pers_rie ${NR.personality} 0x400000; ` +
    `call sock_unix ${NR.socket} 1 1 0; ` +
    `call sock_vsock ${NR.socket} 40 1 0; ` +
    CAPS;
  // CAP_SYS_ADMIN, so that only the filter can refuse unshare and mount.
  const on = await script(t, body, (s) => {
    withAdmin(s);
    s.linux!.seccomp = PROFILE;
  });
  t.equal(on.code, 0, `with the filter: ${on.stderr}`);
  const off = await script(t, body, withAdmin);
  t.equal(off.code, 0, `without: ${off.stderr}`);
  const a = results(on.stdout);
  const b = results(off.stdout);

  t.match(on.stdout, /^unshare=1$/m, 'unshare -m refused');
  t.match(on.stdout, /^mount=1$/m, 'mount refused');
  t.match(on.stderr, /unshare.*Operation not permitted/, 'unshare: EPERM');
  t.match(on.stderr, /mount: (permission denied|.*Operation not permitted)/, 'mount: EPERM (busybox says "permission denied")');
  t.equal(a.mount_sys, `errno ${EPERM}`, 'mount(2): EPERM');
  t.not(b.mount_sys, `errno ${EPERM}`, `without the filter mount(2) gets past it (${b.mount_sys})`);
  t.match(off.stdout, /^unshare=0$/m, 'without the filter (CAP_SYS_ADMIN held) unshare works');
  t.match(off.stdout, /^mount=0$/m, 'and so does mount');

  t.equal(a.kexec_load, `errno ${EPERM}`, 'kexec_load: EPERM');
  t.not(b.kexec_load, `errno ${EPERM}`, `without the filter kexec_load gets past it (${b.kexec_load})`);
  t.equal(a.keyctl, `errno ${EPERM}`, 'keyctl: EPERM');
  t.equal(a.bpf, `errno ${EPERM}`, 'bpf: EPERM');
  t.not(b.bpf, `errno ${EPERM}`, `without the filter bpf gets past it (${b.bpf}: CAP_SYS_ADMIN)`);
  t.equal(a.clone3, `errno ${ENOSYS}`, 'clone3: ENOSYS, the errnoRet the profile gives (so libc falls back to clone)');
  t.not(b.clone3, `errno ${ENOSYS}`, `without the filter clone3 exists (${b.clone3})`);

  t.match(a.pers_query, /^ret /, 'personality(0xffffffff) (query) allowed');
  t.match(a.pers_linux, /^ret /, 'personality(PER_LINUX) allowed');
  t.equal(a.pers_norandom, `errno ${EPERM}`, 'personality(ADDR_NO_RANDOMIZE) refused');
  t.equal(a.pers_rie, `errno ${EPERM}`, 'personality(READ_IMPLIES_EXEC) refused');
  t.match(b.pers_norandom, /^ret /, 'without the filter it is allowed');
  t.match(a.sock_unix, /^ret /, 'socket(AF_UNIX) allowed');
  t.equal(a.sock_vsock, `errno ${EPERM}`, 'socket(AF_VSOCK) refused by its argument');
  t.not(b.sock_vsock, `errno ${EPERM}`, `without the filter socket(AF_VSOCK) is not EPERM (${b.sock_vsock})`);

  t.equal(statusFields(on.stdout).Seccomp, '2', 'Seccomp: 2 (filter mode)');
  t.equal(statusFields(off.stdout).Seccomp, '0', 'Seccomp: 0 without');
});

t.test('a process started with tsrun exec runs under the same filter', async (t) => {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '60'];
    withAdmin(s);
    s.linux!.seccomp = PROFILE;
  });
  withHelper(rootfs);
  const id = uniqueId('scexec');
  t.equal((await run(['run', '-d', '--bundle', dir, id])).code, 0, 'run -d');
  const e = await run(['exec', id, 'sh', '-c', `${CALL} unshare -m true; echo unshare=$?; call kexec_load ${NR.kexec_load} 0 1000 0 0x100; ${CAPS}`]);
  t.equal(e.code, 0, `exec: ${e.stderr}`);
  t.match(e.stdout, /^unshare=1$/m, 'unshare refused');
  t.equal(results(e.stdout).kexec_load, `errno ${EPERM}`, 'kexec_load: EPERM');
  t.equal(statusFields(e.stdout).Seccomp, '2', 'Seccomp: 2');
});

/** A profile allowing everything but `rules`. */
const allowBut = (rules: Seccomp['syscalls']): Seccomp => ({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: rules });

t.test('SCMP_ACT_KILL_PROCESS and SCMP_ACT_KILL end the process with SIGSYS (exit 159)', async (t) => {
  for (const action of ['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL', 'SCMP_ACT_TRAP'] as const) {
    const { run } = stateRoot(t);
    const { dir, rootfs } = makeBundle(t, (s) => {
      s.process!.args = ['/sys-helper', 'sys', String(NR.getppid)];
      s.process!.rlimits = [...(s.process!.rlimits ?? []), { type: 'RLIMIT_CORE', soft: 0, hard: 0 }];
      s.linux!.seccomp = allowBut([{ names: ['getppid'], action }]);
    });
    withHelper(rootfs);
    const r = await run(['run', '--bundle', dir, uniqueId('kill')]);
    t.equal(r.code, SIGSYS_EXIT, `${action}: killed by SIGSYS`);
    t.equal(r.stdout, '', `${action}: the call never returned`);
  }
  // And the helper itself is fine without the rule: the exit above is the filter's.
  const ok = await script(t, `${CALL} call getppid ${NR.getppid}`, () => {});
  t.match(ok.stdout, /^getppid=ret [0-9]+$/m, 'getppid returns without the filter');
});

t.test('SCMP_ACT_LOG lets the call run; SCMP_ACT_ERRNO returns the errnoRet given', async (t) => {
  const r = await script(t, `${CALL} call getpid ${NR.getpid}; call getppid ${NR.getppid}; ${CAPS}`, (s) => {
    s.linux!.seccomp = allowBut([
      { names: ['getpid'], action: 'SCMP_ACT_LOG' },
      { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 },
    ]);
  });
  t.equal(r.code, 0, `run: ${r.stderr}`);
  const got = results(r.stdout);
  t.match(got.getpid, /^ret [0-9]+$/, `the logged getpid ran (${got.getpid})`);
  t.equal(got.getppid, 'errno 42', 'getppid: errno 42');
  t.equal(statusFields(r.stdout).Seccomp, '2', 'Seccomp: 2');
  const kmsg = spawnSync('dmesg', [], { encoding: 'utf8' }).stdout;
  t.comment(/type=1326 .*syscall=39 /.test(kmsg) ? 'the kernel logged it (audit type 1326)' : 'no audit record seen in dmesg (auditd may have it)');
});

/** Everything the executor calls between the filter's place without no_new_privs and execve. */
const SETUP_CALLS: [string, ...string[]] = ['setresuid', 'setresgid', 'setgroups', 'capset', 'prctl', 'chdir', 'fchdir', 'getcwd', 'umask', 'setsid', 'close_range', 'prlimit64', 'sethostname'];

t.test('no_new_privs on: the filter goes on last, so a profile denying the set-up calls still starts', async (t) => {
  for (const uid of [0, 1000]) {
    const r = await script(t, `cd /tmp; echo cd=$?; ${CAPS}`, (s) => {
      s.process!.user = { uid, gid: uid };
      s.process!.noNewPrivileges = true;
      s.linux!.seccomp = allowBut([{ names: SETUP_CALLS, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM }]);
    });
    t.equal(r.code, 0, `uid ${uid}: the container ran: ${r.stderr}`);
    const st = statusFields(r.stdout);
    t.equal(st.Uid?.split(/\s+/)[0], String(uid), `uid ${uid}: its uid was set (setresuid ran before the filter)`);
    t.equal(st.Seccomp, '2', `uid ${uid}: Seccomp: 2`);
    t.equal(st.NoNewPrivs, '1', `uid ${uid}: NoNewPrivs: 1`);
    t.match(r.stdout, /^cd=[1-9]/m, `uid ${uid}: chdir is refused inside: the filter is on`);
  }
});

t.test('no_new_privs off: the filter goes on while CAP_SYS_ADMIN is held, so a non-root container gets one', async (t) => {
  for (const [name, profile] of [
    ['the default profile', PROFILE],
    ['a profile refusing getppid', allowBut([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 42 }])],
  ] as const) {
    const r = await script(t, `${CALL} call getppid ${NR.getppid}; ${CAPS}`, (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.noNewPrivileges = false;
      s.linux!.seccomp = profile;
    });
    t.equal(r.code, 0, `${name}: the container ran: ${r.stderr}`);
    const st = statusFields(r.stdout);
    t.equal(st.Seccomp, '2', `${name}: Seccomp: 2`);
    t.equal(st.NoNewPrivs, '0', `${name}: NoNewPrivs: 0`);
    t.equal(st.CapEff, '0000000000000000', `${name}: and no capability left`);
    if (name !== 'the default profile') t.equal(results(r.stdout).getppid, 'errno 42', `${name}: in force`);
  }
  // The other side of that order: without no_new_privs the filter applies to
  // the credential calls that follow it, so a profile refusing capset cannot start.
  const r = await script(t, 'true', (s) => {
    s.process!.user = { uid: 1000, gid: 1000 };
    s.process!.noNewPrivileges = false;
    s.linux!.seccomp = allowBut([{ names: ['capset'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM }]);
  });
  t.not(r.code, 0, 'a profile refusing capset, without no_new_privs: refused');
  t.match(r.stderr, /capset/, `the error names the call: ${r.stderr.trim()}`);
});
