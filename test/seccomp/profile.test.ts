// The default profile: what it decides for every syscall number of every
// ABI, and that bundles/busybox-seccomp carries exactly it.
// TSRUN_UPDATE_BUNDLE=1 rewrites the bundle's seccomp section from the profile.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { compileSeccomp } from '../../src/seccomp/compile.js';
import { syscallNumber, type Abi, type NativeArch } from '../../src/seccomp/arch.js';
import { AUDIT_ARCH } from '../../src/seccomp/generated/syscalls.js';
import { defaultSeccompProfile } from '../../src/seccomp/profiles/default.js';
import { validateConfig } from '../../src/spec/generated/validate-config.js';
import { decode, run, validate } from './bpf-interp.js';
import { expected } from './reference.js';

const { EPERM, ENOSYS } = constants.errno;
const X32_BIT = 0x40000000;

const nr = (name: string, abi: Abi = 'x86_64'): number => {
  const n = syscallNumber(abi, name);
  if (n === undefined) throw new Error(`no ${name} on ${abi}`);
  return n;
};

t.test('compiles on both hosts, within the kernel limit', async (t) => {
  for (const arch of ['x86_64', 'aarch64'] as NativeArch[]) {
    const p = defaultSeccompProfile(arch);
    const c = compileSeccomp(p, { nativeArch: arch });
    const insns = validate(c.filter).length;
    t.ok(insns <= 4096, `${arch}: ${insns} instructions`);
    t.equal(c.flags, 0);
    for (const w of c.warnings) t.match(w, /unknown syscalls skipped|SCMP_ARCH_ARM is not supported/, w);
  }
  t.not(defaultSeccompProfile('x86_64'), defaultSeccompProfile('x86_64'), 'a fresh copy each time');
});

t.test('every syscall number of every ABI decided as specified', async (t) => {
  const native = 'x86_64';
  const p = JSON.parse(JSON.stringify(defaultSeccompProfile(native))); // as read from config.json
  const { filter } = compileSeccomp(p, { nativeArch: native });
  const insns = decode(filter);
  const ranges: [number, number, number][] = [
    [AUDIT_ARCH.X86_64, 0, 600],
    [AUDIT_ARCH.X86_64, X32_BIT, X32_BIT + 600],
    [AUDIT_ARCH.I386, 0, 600],
  ];
  const argSets = [[], [8n], [0x40000n], [40n, 1n], [1n, 1n], [0x10000000n | 17n], [0x1_0000_0000n], [0xffffffffn]];
  let bad = 0;
  let worst = 0;
  for (const [arch, lo, hi] of ranges) {
    for (let n = lo; n < hi; n++) {
      for (const args of argSets) {
        // i386 arguments are 32 bits, zero-extended by the kernel.
        if (arch === AUDIT_ARCH.I386 && args.some((a) => a > 0xffffffffn)) continue;
        const v = run(insns, { arch, nr: n, args });
        worst = Math.max(worst, v.steps);
        if (v.ret !== expected(p, native, arch, n, args)) {
          bad++;
          if (bad < 5) t.fail(`arch ${arch.toString(16)} nr ${n} args ${args}: got ${v.ret.toString(16)}`);
        }
      }
    }
  }
  t.equal(bad, 0, 'all agree with reference.ts');
  t.ok(worst <= 32, `at most ${worst} instructions run for one syscall`);
});

t.test("the profile's intent", async (t) => {
  const { filter } = compileSeccomp(defaultSeccompProfile('x86_64'), { nativeArch: 'x86_64' });
  const X = AUDIT_ARCH.X86_64;
  const say = (n: number, args: bigint[] = [], arch: number = X) => {
    const v = run(filter, { arch, nr: n, args });
    return v.action === 'ERRNO' ? (v.data === EPERM ? 'EPERM' : v.data === ENOSYS ? 'ENOSYS' : v.data) : v.action;
  };
  for (const name of ['read', 'write', 'execve', 'openat', 'mmap', 'exit_group', 'futex', 'rt_sigreturn', 'arch_prctl', 'chroot', 'ptrace']) t.equal(say(nr(name)), 'ALLOW', name);
  for (const name of [
    'mount',
    'umount2',
    'unshare',
    'setns',
    'pivot_root',
    'kexec_load',
    'init_module',
    'bpf',
    'perf_event_open',
    'reboot',
    'swapon',
    'add_key',
    'keyctl',
    'open_by_handle_at',
    'clock_settime',
    'io_uring_setup',
    'userfaultfd',
    'fsopen',
    'move_mount',
  ])
    t.equal(say(nr(name)), 'EPERM', name);
  t.equal(say(nr('clone'), [0x01200011n]), 'ALLOW', 'clone for fork (CLONE_CHILD_SETTID|CLEARTID|SIGCHLD)');
  t.equal(say(nr('clone'), [0x10000000n | 17n]), 'EPERM', 'clone with CLONE_NEWUSER');
  t.equal(say(nr('clone3')), 'ENOSYS', 'clone3: libc falls back to clone');
  t.equal(say(nr('socket'), [1n, 1n]), 'ALLOW', 'AF_UNIX');
  t.equal(say(nr('socket'), [40n, 1n]), 'EPERM', 'AF_VSOCK');
  t.equal(say(nr('personality'), [0xffffffffn]), 'ALLOW', 'personality query');
  t.equal(say(nr('personality'), [8n]), 'ALLOW', 'PER_LINUX32');
  t.equal(say(nr('personality'), [0x40000n]), 'EPERM', 'ADDR_NO_RANDOMIZE');
  t.equal(say(nr('personality'), [0x1_ffff_ffffn]), 'EPERM', 'high word set: not the query');
  t.equal(say(nr('getpid', 'x86'), [], AUDIT_ARCH.I386), 'ALLOW', 'i386');
  t.equal(say(nr('mount', 'x86'), [], AUDIT_ARCH.I386), 'EPERM', 'i386 mount');
  t.equal(say(nr('getpid', 'x32')), 'ALLOW', 'x32');
  t.equal(say(460), 'ENOSYS', 'newer than the profile');
});

t.test('bundles/busybox-seccomp/config.json uses this profile', async (t) => {
  const path = fileURLToPath(new URL('../../bundles/busybox-seccomp/config.json', import.meta.url));
  const config = JSON.parse(readFileSync(path, 'utf8'));
  const profile = defaultSeccompProfile('x86_64');
  if (process.env.TSRUN_UPDATE_BUNDLE === '1') {
    config.linux.seccomp = profile;
    writeFileSync(path, JSON.stringify(config, null, 2) + '\n');
  }
  t.same(config.linux.seccomp, profile, 'in sync (TSRUN_UPDATE_BUNDLE=1 to rewrite)');
  t.equal(config.root.path, '../busybox/rootfs');
  t.ok(validateConfig(config), `valid against the runtime-spec schema ${JSON.stringify(validateConfig.errors ?? [])}`);
});
