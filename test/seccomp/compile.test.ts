// Unit tests of the compiler's decisions: each compiled program is checked
// the way the kernel would load it (validate) and run on chosen syscalls
// (bpf-interp.ts), against reference.ts or explicit expectations.
import t from 'tap';
import { constants } from 'node:os';
import { compileSeccomp, BAD_ARCH_RET } from '../../src/seccomp/compile.js';
import { syscallNumber, type NativeArch } from '../../src/seccomp/arch.js';
import { AUDIT_ARCH, SECCOMP } from '../../src/seccomp/generated/syscalls.js';
import type { Seccomp } from '../../src/spec/types.js';
import { decode, run, validate } from './bpf-interp.js';
import { expected, retOf } from './reference.js';

const { EPERM, ENOSYS, EXDEV } = constants.errno;
const X86_64 = AUDIT_ARCH.X86_64;
const I386 = AUDIT_ARCH.I386;
const AARCH64 = AUDIT_ARCH.AARCH64;
const X32_BIT = 0x40000000;

const nr = (name: string, abi: 'x86_64' | 'x86' | 'x32' | 'aarch64' = 'x86_64'): number => {
  const n = syscallNumber(abi, name);
  if (n === undefined) throw new Error(`no ${name} on ${abi}`);
  return n;
};

function compile(p: Seccomp, nativeArch: NativeArch = 'x86_64') {
  const c = compileSeccomp(p, { nativeArch });
  validate(c.filter);
  return c;
}

const verdict = (filter: Buffer, arch: number, n: number, args: (bigint | number)[] = []) => run(filter, { arch, nr: n, args });

t.test('actions and their return values', async (t) => {
  const actions = [
    ['SCMP_ACT_ALLOW', undefined, 'ALLOW', 0],
    ['SCMP_ACT_ERRNO', undefined, 'ERRNO', EPERM],
    ['SCMP_ACT_ERRNO', EXDEV, 'ERRNO', EXDEV],
    ['SCMP_ACT_KILL', undefined, 'KILL_THREAD', 0],
    ['SCMP_ACT_KILL_THREAD', undefined, 'KILL_THREAD', 0],
    ['SCMP_ACT_KILL_PROCESS', undefined, 'KILL_PROCESS', 0],
    ['SCMP_ACT_TRAP', undefined, 'TRAP', 0],
    ['SCMP_ACT_TRACE', undefined, 'TRACE', EPERM], // like runc: EPERM unless errnoRet says otherwise
    ['SCMP_ACT_TRACE', 7, 'TRACE', 7],
    ['SCMP_ACT_LOG', undefined, 'LOG', 0],
  ] as const;
  for (const [action, errnoRet, want, data] of actions) {
    const c = compile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['getpid'], action, ...(errnoRet === undefined ? {} : { errnoRet }) }],
    });
    const v = verdict(c.filter, X86_64, nr('getpid'));
    t.equal(v.action, want, `${action} ${errnoRet ?? ''}`);
    t.equal(v.data, data, `${action} data`);
    t.equal(verdict(c.filter, X86_64, nr('getppid')).action, 'ALLOW', 'others: the default');
  }
  const n = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: '/run/agent.sock',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
  });
  t.equal(verdict(n.filter, X86_64, nr('mkdir')).action, 'USER_NOTIF');
  t.equal(n.notify, true);
  t.equal(n.flags, SECCOMP.FILTER_FLAG_NEW_LISTENER, 'NOTIFY asks for a listener fd');
});

t.test('default action and defaultErrnoRet', async (t) => {
  // openat (257) is named, so open (2) is below the highest named number.
  const base: Seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write', 'openat'], action: 'SCMP_ACT_ALLOW' }] };
  let v = verdict(compile(base).filter, X86_64, nr('open'));
  t.same([v.action, v.data], ['ERRNO', EPERM], 'EPERM by default');
  v = verdict(compile({ ...base, defaultErrnoRet: EXDEV }).filter, X86_64, nr('open'));
  t.same([v.action, v.data], ['ERRNO', EXDEV]);
  v = verdict(compile({ ...base, defaultAction: 'SCMP_ACT_KILL_PROCESS' }).filter, X86_64, nr('open'));
  t.equal(v.action, 'KILL_PROCESS');
  v = verdict(compile({ ...base, defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 3 }).filter, X86_64, nr('open'));
  t.same([v.action, v.data], ['TRACE', 3]);
  t.throws(() => compileSeccomp({ ...base, defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }), /\/linux\/seccomp\/defaultErrnoRet/);
  t.throws(() => compileSeccomp({ ...base, defaultAction: 'SCMP_ACT_NOTIFY' }), /\/linux\/seccomp\/defaultAction: SCMP_ACT_NOTIFY/);
  t.throws(() => compileSeccomp({ ...base, defaultAction: 'SCMP_ACT_NOPE' } as unknown as Seccomp), /\/linux\/seccomp\/defaultAction: unknown action/);
});

t.test('refused profiles name the field', async (t) => {
  const ok = { names: ['read'], action: 'SCMP_ACT_ALLOW' } as const;
  const bad = (s: unknown) => ({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [ok, ok, ok, s] }) as unknown as Seccomp;
  const cases: [unknown, RegExp][] = [
    [{ names: ['read'], action: 'SCMP_ACT_EXPLODE' }, /^\/linux\/seccomp\/syscalls\/3\/action: unknown action "SCMP_ACT_EXPLODE"/],
    [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }, /^\/linux\/seccomp\/syscalls\/3\/errnoRet: only SCMP_ACT_ERRNO/],
    [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }, /^\/linux\/seccomp\/syscalls\/3\/errnoRet: must be/],
    [{ names: [], action: 'SCMP_ACT_ALLOW' }, /^\/linux\/seccomp\/syscalls\/3\/names/],
    [{ names: ['read', ''], action: 'SCMP_ACT_ALLOW' }, /^\/linux\/seccomp\/syscalls\/3\/names\/1/],
    [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }, /^\/linux\/seccomp\/syscalls\/3\/args\/0\/index/],
    [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_LIKE' }] }, /^\/linux\/seccomp\/syscalls\/3\/args\/0\/op/],
    [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }, /^\/linux\/seccomp\/syscalls\/3\/args\/0\/value/],
    [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1.5, op: 'SCMP_CMP_EQ' }] }, /^\/linux\/seccomp\/syscalls\/3\/args\/0\/value/],
    [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2 ** 65, op: 'SCMP_CMP_EQ' }] }, /^\/linux\/seccomp\/syscalls\/3\/args\/0\/value/],
    [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1n << 64n, op: 'SCMP_CMP_EQ' }] }, /^\/linux\/seccomp\/syscalls\/3\/args\/0\/value/],
    [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, valueTwo: 'x', op: 'SCMP_CMP_MASKED_EQ' }] }, /^\/linux\/seccomp\/syscalls\/3\/args\/0\/valueTwo/],
    [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }, /^\/linux\/seccomp\/listenerPath: seccomp listenerPath is not set/],
  ];
  for (const [s, re] of cases)
    t.throws(
      () => compileSeccomp(bad(s), { nativeArch: 'x86_64' }),
      re,
      JSON.stringify(s, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
    );
  // The field is also a fact of the error, as a JSON pointer: no parsing of the message.
  t.throws(() => compileSeccomp(bad({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_LIKE' }] }), { nativeArch: 'x86_64' }), {
    code: 'ERR_CONFIG_INVALID',
    pointer: '/linux/seccomp/syscalls/3/args/0/op',
  });
  t.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NOPE'] } as unknown as Seccomp), /^\/linux\/seccomp\/flags\/0: unknown flag/);
  t.throws(
    () => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80'] } as unknown as Seccomp),
    /^\/linux\/seccomp\/architectures\/1: unknown architecture/,
  );
  t.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }), /^\/linux\/seccomp\/listenerMetadata/);
  t.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: 'SCMP_ARCH_X86' } as unknown as Seccomp), /^\/linux\/seccomp\/architectures: must be an array/);
  t.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: 'SECCOMP_FILTER_FLAG_LOG' } as unknown as Seccomp), /^\/linux\/seccomp\/flags: must be an array/);
  t.throws(() => compileSeccomp(null as unknown as Seccomp), /^\/linux\/seccomp: must be an object/);
});

t.test('64-bit argument comparisons, split into hi/lo words', async (t) => {
  const M32 = 0xffffffffn;
  const values = [0n, 1n, 5n, M32 - 1n, M32, M32 + 1n, 0x1_0000_0005n, 0x8000_0000_0000_0000n, (1n << 64n) - 1n, 0x5_0000_0000n];
  const near = (v: bigint) => [v - 1n, v, v + 1n].filter((x) => x >= 0n && x < 1n << 64n);
  const args = [...new Set([...values.flatMap(near), 0x1_0000_0004n, 0x1_0000_0006n, 0x2_0000_0005n, 0x0_0000_0005n, 0xffff_ffff_0000_0000n])];
  const ops = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT'] as const;
  let checked = 0;
  for (const op of ops) {
    for (const value of values) {
      const p: Seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86'],
        syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: EXDEV, args: [{ index: 2, value: value as unknown as number, op }] }],
      };
      const { filter } = compile(p);
      for (const a of args) {
        const got = verdict(filter, X86_64, nr('personality'), [0n, 0n, a]).ret;
        if (got !== expected(p, 'x86_64', X86_64, nr('personality'), [0n, 0n, a])) t.fail(`${op} ${value}: arg ${a}`);
        // i386: the kernel zero-extends 32-bit arguments, so only such values arrive.
        if (a <= M32) {
          const n32 = nr('personality', 'x86');
          if (verdict(filter, I386, n32, [0n, 0n, a]).ret !== expected(p, 'x86_64', I386, n32, [0n, 0n, a])) t.fail(`i386 ${op} ${value}: arg ${a}`);
        }
        checked++;
      }
    }
  }
  t.ok(checked > 500, `${checked} comparisons agree with BigInt arithmetic`);
  // The classic trap: a compare on the low word alone.
  const gt = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x1_0000_0000, op: 'SCMP_CMP_LT' }] }] });
  t.equal(verdict(gt.filter, X86_64, nr('read'), [0x1_0000_0000n]).action, 'ALLOW', '2^32 is not < 2^32');
  t.equal(verdict(gt.filter, X86_64, nr('read'), [0xffff_ffffn]).action, 'ERRNO', '2^32-1 < 2^32');
  t.equal(verdict(gt.filter, X86_64, nr('read'), [0x2_0000_0000n]).action, 'ALLOW', 'high word decides');
});

t.test('SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the datum', async (t) => {
  const cases: [bigint, bigint][] = [
    [0x7e020000n, 0n], // clone without namespace flags
    [0xffn, 0x10n],
    [0xffff_0000_0000_0000n, 0x1234_0000_0000_0000n],
    [0xf0n, 0x0fn], // datum outside the mask: never
    [0n, 0n], // empty mask: always
    [0n, 1n], // never
    [(1n << 64n) - 1n, 42n],
  ];
  const args = [0n, 0x10n, 0x20000n, 0x7e020000n, 0x1234_0000_0000_0000n, 0x1234_0000_0000_0010n, 42n, 0x1_0000_002an, (1n << 64n) - 1n, 0x0fn, 0x110n];
  for (const [mask, datum] of cases) {
    const p: Seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86'],
      syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: mask as unknown as number, valueTwo: datum as unknown as number, op: 'SCMP_CMP_MASKED_EQ' }] }],
    };
    const { filter } = compile(p);
    for (const a of args) {
      t.equal(verdict(filter, X86_64, nr('clone'), [a]).ret, expected(p, 'x86_64', X86_64, nr('clone'), [a]), `mask ${mask} datum ${datum} arg ${a}`);
      if (a <= 0xffffffffn) {
        const n = nr('clone', 'x86');
        t.equal(verdict(filter, I386, n, [a]).ret, expected(p, 'x86_64', I386, n, [a]), `i386 mask ${mask} datum ${datum} arg ${a}`);
      }
    }
  }
});

t.test('args in one rule are ANDed, rules for one syscall are ORed', async (t) => {
  const p: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      {
        names: ['socket'],
        action: 'SCMP_ACT_ALLOW',
        args: [
          { index: 0, value: 1, op: 'SCMP_CMP_EQ' },
          { index: 1, value: 2, op: 'SCMP_CMP_EQ' },
        ],
      },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 0, value: 40, op: 'SCMP_CMP_EQ' }] },
    ],
  };
  const { filter } = compile(p);
  const s = nr('socket');
  t.equal(verdict(filter, X86_64, s, [1, 2]).action, 'ALLOW', 'AF_UNIX + SOCK_DGRAM');
  t.equal(verdict(filter, X86_64, s, [1, 1]).action, 'ERRNO', 'AF_UNIX + SOCK_STREAM: the AND fails');
  t.equal(verdict(filter, X86_64, s, [2, 5]).action, 'ALLOW', 'second rule');
  t.equal(verdict(filter, X86_64, s, [40, 1]).action, 'KILL_PROCESS', 'third rule');
  t.equal(verdict(filter, X86_64, s, [10, 1]).action, 'ERRNO', 'none: the default');
});

t.test('conditional rules first (in order), then the unconditional one', async (t) => {
  const p: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['ioctl'], action: 'SCMP_ACT_ALLOW' },
      { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: EXDEV, args: [{ index: 1, value: 0x5412, op: 'SCMP_CMP_EQ' }] },
      { names: ['ioctl'], action: 'SCMP_ACT_LOG', args: [{ index: 1, value: 0x5400, op: 'SCMP_CMP_GE' }] },
    ],
  };
  const { filter } = compile(p);
  const io = nr('ioctl');
  t.same([verdict(filter, X86_64, io, [0, 0x5412]).action, verdict(filter, X86_64, io, [0, 0x5412]).data], ['ERRNO', EXDEV], 'TIOCSTI refused');
  t.equal(verdict(filter, X86_64, io, [0, 0x5413]).action, 'LOG', 'later conditional rule');
  t.equal(verdict(filter, X86_64, io, [0, 0x10]).action, 'ALLOW', 'unconditional fallback');
});

t.test('an argument compared twice: each condition is its own rule (runc)', async (t) => {
  const p: Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      {
        names: ['personality'],
        action: 'SCMP_ACT_ERRNO',
        args: [
          { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 0x20000, op: 'SCMP_CMP_EQ' },
        ],
      },
    ],
  };
  const c = compile(p);
  t.match(c.warnings.join('\n'), /syscalls\/0\/args: an argument is compared more than once/);
  t.equal(verdict(c.filter, X86_64, nr('personality'), [8]).action, 'ERRNO');
  t.equal(verdict(c.filter, X86_64, nr('personality'), [0x20000]).action, 'ERRNO');
  t.equal(verdict(c.filter, X86_64, nr('personality'), [0]).action, 'ALLOW');
});

t.test('architectures', async (t) => {
  const allow = ['getpid', 'read', 'write'];
  const base = (architectures?: Seccomp['architectures']): Seccomp => ({
    defaultAction: 'SCMP_ACT_ERRNO',
    ...(architectures ? { architectures } : {}),
    syscalls: [{ names: allow as [string, ...string[]], action: 'SCMP_ACT_ALLOW' }],
  });
  // Nothing listed: only the native ABI.
  let f = compile(base()).filter;
  t.equal(verdict(f, X86_64, nr('getpid')).action, 'ALLOW');
  t.equal(verdict(f, I386, nr('getpid', 'x86')).ret, BAD_ARCH_RET, 'i386 not listed: bad arch');
  t.equal(verdict(f, X86_64, nr('getpid', 'x32')).ret, BAD_ARCH_RET, 'x32 not listed: bad arch');
  t.equal(verdict(f, X86_64, 0xffffffff).ret, BAD_ARCH_RET, 'nr -1 falls in the x32 range, as in libseccomp');
  t.equal(verdict(f, AARCH64, nr('getpid', 'aarch64')).ret, BAD_ARCH_RET, 'foreign arch');
  t.equal(BAD_ARCH_RET, SECCOMP.RET_KILL_THREAD, "libseccomp's default: SCMP_ACT_KILL");

  // x86 and x32 listed: each with its own numbers.
  f = compile(base(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'])).filter;
  t.equal(verdict(f, I386, nr('getpid', 'x86')).action, 'ALLOW', 'i386 getpid (20)');
  t.equal(verdict(f, I386, nr('getpid')).action, 'ERRNO', 'i386 nr 39 is umask there');
  t.equal(verdict(f, X86_64, nr('getpid', 'x32')).action, 'ALLOW', 'x32 getpid');
  t.equal(verdict(f, X86_64, X32_BIT | nr('mount')).action, 'ERRNO', 'x32 mount: the default');

  // x32 alone: x86_64 is native and still there; i386 is not.
  f = compile(base(['SCMP_ARCH_X32'])).filter;
  t.equal(verdict(f, X86_64, nr('getpid')).action, 'ALLOW', 'native always included (libseccomp)');
  t.equal(verdict(f, X86_64, nr('getpid', 'x32')).action, 'ALLOW');
  t.equal(verdict(f, I386, nr('getpid', 'x86')).ret, BAD_ARCH_RET);

  // Architectures this host cannot run are ignored; ARM on aarch64 has no table.
  let c = compile(base(['SCMP_ARCH_X86_64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_AARCH64']));
  t.same(c.warnings, [], 'foreign arches: silently nothing to do');
  c = compile(base(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']), 'aarch64');
  t.match(c.warnings.join('\n'), /architectures\/1: SCMP_ARCH_ARM is not supported/);
  t.equal(verdict(c.filter, AARCH64, nr('getpid', 'aarch64')).action, 'ALLOW', 'aarch64 getpid (172)');
  t.equal(verdict(c.filter, AARCH64, nr('getpid')).action, 'ERRNO', 'nr 39 is umount2 there');
  t.equal(verdict(c.filter, X86_64, nr('getpid')).ret, BAD_ARCH_RET);
  t.equal(verdict(c.filter, AUDIT_ARCH.ARM, 20).ret, BAD_ARCH_RET);
});

t.test('syscalls newer than the profile get ENOSYS (runc -ENOSYS stub)', async (t) => {
  const p: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['read', 'write', 'openat'], action: 'SCMP_ACT_ALLOW' },
      { names: ['setns'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM }, // named, so part of "known"
    ],
  };
  const { filter } = compile(p);
  const max = Math.max(nr('read'), nr('write'), nr('openat'), nr('setns'));
  const at = (arch: number, n: number) => {
    const v = verdict(filter, arch, n);
    return v.action === 'ERRNO' ? v.data : v.action;
  };
  t.equal(at(X86_64, nr('mount')), EPERM, 'below the highest named: EPERM');
  t.equal(at(X86_64, max), EPERM, 'the highest named itself');
  t.equal(at(X86_64, max + 1), ENOSYS, 'above it: ENOSYS');
  t.equal(at(X86_64, X32_BIT - 1), ENOSYS);
  const max32 = Math.max(...['read', 'write', 'openat', 'setns'].map((n) => nr(n, 'x86')));
  t.equal(at(I386, max32), EPERM, 'i386 has its own highest number');
  t.equal(at(I386, max32 + 1), ENOSYS);
  const maxX32 = Math.max(...['read', 'write', 'openat', 'setns'].map((n) => nr(n, 'x32')));
  t.equal(at(X86_64, maxX32 + 1), ENOSYS, 'x32 too');
  t.equal(at(X86_64, 0xffffffff), ENOSYS);
  t.equal(at(X86_64, nr('mount', 'x32')), EPERM);

  // runc adds the stub unless the default lets calls through.
  const top = max + 100;
  for (const [d, want] of [
    ['SCMP_ACT_KILL_PROCESS', ENOSYS],
    ['SCMP_ACT_TRAP', ENOSYS],
    ['SCMP_ACT_ALLOW', 'ALLOW'],
    ['SCMP_ACT_LOG', 'LOG'],
    ['SCMP_ACT_TRACE', 'TRACE'],
  ] as const) {
    const v = verdict(compile({ ...p, defaultAction: d }).filter, X86_64, top);
    t.equal(v.action === 'ERRNO' ? v.data : v.action, want, d);
  }
  const all = compile({ ...p, defaultErrnoRet: ENOSYS }).filter;
  t.equal(verdict(all, X86_64, nr('mount')).data, ENOSYS, 'default ENOSYS: same everywhere');
});

t.test('unknown syscall names are skipped with a warning', async (t) => {
  const c = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['read', 'frobnicate', 'constructor', '__proto__'], action: 'SCMP_ACT_ALLOW' },
      { names: ['socketcall', 'arch_prctl'], action: 'SCMP_ACT_ALLOW' }, // i386-only: no warning
    ],
  });
  t.equal(c.warnings.length, 1);
  t.match(c.warnings[0], /^\/linux\/seccomp\/syscalls\/0\/names: unknown syscalls skipped: frobnicate, constructor, __proto__$/);
  t.equal(verdict(c.filter, X86_64, nr('read')).action, 'ALLOW');
  t.equal(verdict(c.filter, X86_64, nr('arch_prctl')).action, 'ALLOW');
});

t.test('flags', async (t) => {
  const f = (flags: Seccomp['flags'], extra: Partial<Seccomp> = {}) => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags, ...extra }, { nativeArch: 'x86_64' });
  t.equal(f(['SECCOMP_FILTER_FLAG_LOG']).flags, 2);
  t.equal(f(['SECCOMP_FILTER_FLAG_SPEC_ALLOW']).flags, 4);
  t.equal(f(['SECCOMP_FILTER_FLAG_TSYNC']).flags, 1);
  t.equal(f(['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']).flags, 6);
  const w = f(['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);
  t.equal(w.flags, 0, 'WAIT_KILLABLE_RECV without a listener is dropped');
  t.match(w.warnings.join('\n'), /WAIT_KILLABLE_RECV ignored/);
  const notify = { listenerPath: '/run/a.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] } as Partial<Seccomp>;
  t.equal(f(['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'], notify).flags, 32 | 8);
  t.equal(f(['SECCOMP_FILTER_FLAG_TSYNC'], notify).flags, 1 | 8 | 16, 'TSYNC with a listener needs TSYNC_ESRCH');
  t.equal(f(undefined).notify, false);
});

t.test('values above 2^53', async (t) => {
  const p = (value: number | bigint): Seccomp =>
    ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }] }) as Seccomp;
  const exact = compile(p(0xffff_ffff_ffff_fffen));
  t.equal(verdict(exact.filter, X86_64, nr('read'), [0xffff_ffff_ffff_fffen]).action, 'ERRNO', 'BigInt is exact');
  t.equal(verdict(exact.filter, X86_64, nr('read'), [0xffff_ffff_ffff_ffffn]).action, 'ALLOW');
  const rounded = compile(p(JSON.parse('18446744073709551615')));
  t.match(rounded.warnings.join('\n'), /above 2\^53/);
  t.equal(verdict(rounded.filter, X86_64, nr('read'), [0xffff_ffff_ffff_ffffn]).action, 'ERRNO', '2^64-1 from JSON');
});

t.test('long programs: jumps beyond 255 instructions use trampolines', async (t) => {
  // Every x86_64 syscall below 150 gets its own two-argument rule: a few
  // thousand instructions, so the search tree's jumps into the rule blocks
  // are far beyond the 8-bit jt/jf range.
  const { SYSCALLS, ABIS } = await import('../../src/seccomp/generated/syscalls.js');
  const col = ABIS.indexOf('x86_64');
  const names: string[] = [];
  for (const [name, row] of SYSCALLS) if (row[col] >= 0 && row[col] < 150) names.push(name);
  const p: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: names.map((name) => ({
      names: [name] as [string],
      action: 'SCMP_ACT_ALLOW' as const,
      args: [
        { index: 0, value: nr(name), op: 'SCMP_CMP_EQ' as const },
        { index: 1, value: 3 * nr(name), op: 'SCMP_CMP_GE' as const },
      ],
    })),
  };
  const c = compile(p);
  const insns = decode(c.filter);
  t.ok(insns.length > 1000, `${insns.length} instructions`);
  const ja = insns.filter((i) => i.code === 0x05).length;
  t.ok(ja > 0, `${ja} unconditional jumps (trampolines)`);
  let bad = 0;
  for (const name of names) {
    const n = nr(name);
    for (const args of [
      [n, 3 * n],
      [n, 3 * n - 1],
      [n + 1, 3 * n],
      [n, 0x1_0000_0000 + 3 * n],
    ]) {
      const a = args.map(BigInt);
      if (verdict(c.filter, X86_64, n, a).ret !== expected(p, 'x86_64', X86_64, n, a)) bad++;
    }
  }
  t.equal(bad, 0, 'every rule still reached correctly');
});

t.test('a program over BPF_MAXINSNS is refused', async (t) => {
  const { SYSCALLS } = await import('../../src/seccomp/generated/syscalls.js');
  const names = [...SYSCALLS.keys()];
  const p: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: names.map((name, i) => ({
      names: [name] as [string],
      action: 'SCMP_ACT_ALLOW' as const,
      args: [
        { index: 0, value: i, op: 'SCMP_CMP_GT' as const },
        { index: 1, value: i, op: 'SCMP_CMP_LT' as const },
        { index: 2, value: 0x1_0000_0000 + i, op: 'SCMP_CMP_NE' as const },
      ],
    })),
  };
  t.throws(() => compileSeccomp(p, { nativeArch: 'x86_64' }), /^\/linux\/seccomp: the filter needs \d+ instructions, more than the kernel's limit of 4096/);
});

t.test('deterministic output', async (t) => {
  const p: Seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] };
  t.same(compile(p).filter, compile(p).filter);
  t.same(retOf('SCMP_ACT_ERRNO'), (SECCOMP.RET_ERRNO | EPERM) >>> 0, 'reference and generated constants agree');
});
