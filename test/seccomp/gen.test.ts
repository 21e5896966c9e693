// scripts/gen-syscalls.mjs: deterministic, current, and its tiny
// preprocessor reads the headers the way the C compiler does.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ABIS, SYSCALLS } from '../../src/seccomp/generated/syscalls.js';

const top = fileURLToPath(new URL('../..', import.meta.url));
const script = join(top, 'scripts/gen-syscalls.mjs');

t.test('deterministic, and the build output is current', async (t) => {
  const dir = t.testdir();
  const a = join(dir, 'a.ts');
  const b = join(dir, 'b.ts');
  execFileSync(process.execPath, [script, '--out', a]);
  execFileSync(process.execPath, [script, '--out', b]);
  const text = readFileSync(a, 'utf8');
  t.equal(readFileSync(b, 'utf8'), text, 'two runs, same bytes');
  t.equal(readFileSync(join(top, 'src/seccomp/generated/syscalls.ts'), 'utf8'), text, 'src/seccomp/generated is up to date');
});

// Asks gcc what each header defines: cc -E on "NAME __NR_NAME" lines.
function cppNumbers(dir: string, include: string, defines: string[], names: string[]): Map<string, number> {
  const src = join(dir, `nr-${include.replace(/\W/g, '_')}.c`);
  writeFileSync(src, `#include <${include}>\n` + names.map((n) => `@@ ${n} __NR_${n}`).join('\n') + '\n');
  const out = execFileSync('gcc', ['-E', '-P', ...defines.map((d) => `-D${d}`), src], { encoding: 'utf8' });
  const m = new Map<string, number>();
  for (const line of out.split('\n')) {
    const r = /^@@ (\w+) (.*)$/.exec(line.trim());
    if (!r || r[2].startsWith('__NR_')) continue;
    m.set(r[1], Number(Function(`return (${r[2]})`)()));
  }
  return m;
}

// Names the headers define, from gcc -dM.
function cppNames(include: string, defines: string[]): Set<string> {
  const out = execFileSync('gcc', ['-E', '-dM', ...defines.map((d) => `-D${d}`), '-x', 'c', '-'], {
    input: `#include <${include}>\n`,
    encoding: 'utf8',
  });
  const s = new Set<string>();
  for (const m of out.matchAll(/^#define __NR_(\w+) /gm)) if (m[1] !== 'syscalls' && m[1] !== 'arch_specific_syscall') s.add(m[1]);
  return s;
}

t.test('the numbers match what gcc reads from the same headers', async (t) => {
  const arm64 = ['RENAMEAT', 'NEW_STAT', 'SET_GET_RLIMIT', 'TIME32_SYSCALLS', 'SYS_CLONE3', 'MEMFD_SECRET'].map((w) => `__ARCH_WANT_${w}`);
  const sources: Record<(typeof ABIS)[number], [string, string[]]> = {
    x86_64: ['asm/unistd_64.h', []],
    x86: ['asm/unistd_32.h', []],
    x32: ['asm/unistd_x32.h', ['__X32_SYSCALL_BIT=0x40000000']],
    aarch64: ['asm-generic/unistd.h', arm64], // asm/bitsperlong.h gives 64 on this host
  };
  const dir = t.testdir();
  for (const [col, abi] of ABIS.entries()) {
    const [header, defines] = sources[abi];
    const ours = new Map([...SYSCALLS].filter(([, row]) => row[col] >= 0).map(([n, row]) => [n, row[col]]));
    const names = cppNames(header, defines);
    t.same([...ours.keys()].sort(), [...names].sort(), `${abi}: the same names`);
    const theirs = cppNumbers(dir, header, defines, [...names]);
    let diff = 0;
    for (const [name, n] of ours) if (theirs.get(name) !== n) diff++;
    t.equal(diff, 0, `${abi}: ${ours.size} numbers agree`);
  }
});

t.test('well-known numbers', async (t) => {
  const at = (abi: (typeof ABIS)[number], name: string) => SYSCALLS.get(name)?.[ABIS.indexOf(abi)];
  t.equal(at('x86_64', 'read'), 0);
  t.equal(at('x86_64', 'execve'), 59);
  t.equal(at('x86', 'socketcall'), 102);
  t.equal(at('x32', 'read'), 0x40000000);
  t.equal(at('x32', 'execve'), 0x40000000 + 520);
  t.equal(at('aarch64', 'fcntl'), 25, 'an __NR3264_ alias');
  t.equal(at('aarch64', 'newfstatat'), 79);
  t.equal(at('aarch64', 'mmap'), 222);
  t.equal(at('aarch64', 'fcntl64'), -1, 'the 32-bit name is not there');
  t.equal(at('aarch64', 'open'), -1);
  t.equal(SYSCALLS.get('constructor'), undefined, 'no prototype leaks');
});
