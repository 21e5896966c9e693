#!/usr/bin/env node
// Generates src/seccomp/generated/syscalls.ts: syscall name -> number tables
// for x86_64, i386, x32 and aarch64, plus the AUDIT_ARCH_*, SECCOMP_* and
// BPF_* constants the seccomp compiler needs. Every number comes from the
// kernel UAPI headers Debian ships in linux-libc-dev; none is typed here.
//
// The headers are read with a tiny C preprocessor (object-like #define,
// #undef, #if/#ifdef/#ifndef/#elif/#else/#endif with integer expressions).
// That is enough for these files and keeps the result independent of which
// cross compilers happen to be installed.
//
// Usage: node scripts/gen-syscalls.mjs [--include DIR] [--out FILE]
import { readFileSync } from 'node:fs';
import { writeIfChanged } from './write-if-changed.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
};
const inc = opt('--include', '/usr/include');
const out = opt('--out', join(top, 'src/seccomp/generated/syscalls.ts'));
const x86dir = join(inc, 'x86_64-linux-gnu/asm');

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`gen-syscalls: cannot read ${path} (install linux-libc-dev): ${e.message}`);
  }
}

// ---- expressions: integers, identifiers, defined(), C operators ----

function tokenize(s) {
  const toks = [];
  const re = /\s*(?:(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_]\w*)|(<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%()!~<>&|^]))/y;
  let m;
  re.lastIndex = 0;
  while (re.lastIndex < s.length) {
    const at = re.lastIndex;
    if (/^\s*$/.test(s.slice(at))) break;
    m = re.exec(s);
    if (!m) throw new Error(`cannot parse expression: ${s}`);
    if (m[1] !== undefined) toks.push({ n: BigInt(m[1].length > 1 && m[1][0] === '0' && !/^0[xX]/.test(m[1]) ? '0o' + m[1].slice(1) : m[1]) });
    else if (m[2] !== undefined) toks.push({ id: m[2] });
    else toks.push({ op: m[3] });
  }
  return toks;
}

// Replaces defined(X) and macro names, recursively, before parsing.
function expand(toks, defs, depth = 0) {
  if (depth > 32) throw new Error('macro expansion too deep');
  const outToks = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.id === 'defined') {
      let name;
      if (toks[i + 1]?.op === '(') {
        name = toks[i + 2]?.id;
        i += 3;
      } else {
        name = toks[i + 1]?.id;
        i += 1;
      }
      outToks.push({ n: defs.has(name) ? 1n : 0n });
    } else if (t.id !== undefined) {
      const body = defs.get(t.id);
      if (body === undefined || body.trim() === '') outToks.push({ n: 0n });
      else outToks.push({ op: '(' }, ...expand(tokenize(body), defs, depth + 1), { op: ')' });
    } else outToks.push(t);
  }
  return outToks;
}

const PREC = { '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7, '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10 };

function evaluate(expr, defs) {
  const toks = expand(tokenize(expr), defs);
  let pos = 0;
  const unary = () => {
    const t = toks[pos++];
    if (!t) throw new Error(`truncated expression: ${expr}`);
    if (t.n !== undefined) return t.n;
    if (t.op === '(') {
      const v = binary(0);
      if (toks[pos++]?.op !== ')') throw new Error(`missing ) in ${expr}`);
      return v;
    }
    if (t.op === '!') return unary() === 0n ? 1n : 0n;
    if (t.op === '~') return ~unary();
    if (t.op === '-') return -unary();
    if (t.op === '+') return unary();
    throw new Error(`unexpected token in ${expr}`);
  };
  const binary = (min) => {
    let lhs = unary();
    for (;;) {
      const op = toks[pos]?.op;
      const p = op && PREC[op];
      if (!p || p <= min) return lhs;
      pos++;
      const rhs = binary(p);
      lhs = apply(op, lhs, rhs);
    }
  };
  const v = binary(0);
  if (pos !== toks.length) throw new Error(`trailing tokens in ${expr}`);
  return v;
}

function apply(op, a, b) {
  const bool = (x) => (x ? 1n : 0n);
  switch (op) {
    case '||':
      return bool(a !== 0n || b !== 0n);
    case '&&':
      return bool(a !== 0n && b !== 0n);
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '&':
      return a & b;
    case '==':
      return bool(a === b);
    case '!=':
      return bool(a !== b);
    case '<':
      return bool(a < b);
    case '>':
      return bool(a > b);
    case '<=':
      return bool(a <= b);
    case '>=':
      return bool(a >= b);
    case '<<':
      return a << b;
    case '>>':
      return a >> b;
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
  }
  throw new Error(`operator ${op}`);
}

// ---- the preprocessor: fills `defs` (name -> body) from one header ----

function preprocess(text, defs) {
  text = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\\\r?\n/g, ' ');
  const stack = [];
  let active = true;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    const m = /^#\s*(\w+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, dir, rest] = m;
    switch (dir) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        let cond = false;
        if (active) {
          if (dir === 'if') cond = evaluate(rest, defs) !== 0n;
          else cond = defs.has(rest.trim()) === (dir === 'ifdef');
        }
        stack.push({ parent: active, taken: cond });
        active = cond;
        break;
      }
      case 'elif': {
        const top = stack.at(-1);
        if (!top) throw new Error('#elif without #if');
        if (!top.parent || top.taken) active = false;
        else active = top.taken = evaluate(rest, defs) !== 0n;
        break;
      }
      case 'else': {
        const top = stack.at(-1);
        if (!top) throw new Error('#else without #if');
        active = top.parent && !top.taken;
        top.taken = true;
        break;
      }
      case 'endif':
        if (!stack.length) throw new Error('#endif without #if');
        active = stack.pop().parent;
        break;
      case 'define': {
        if (!active) break;
        // Function-like macros (NAME( with no space) are not needed here.
        const d = /^(\w+)(\()?\s*(.*)$/.exec(rest);
        if (d && !d[2]) defs.set(d[1], d[3]);
        break;
      }
      case 'undef':
        if (active) defs.delete(rest.trim());
        break;
      case 'error':
        if (active) throw new Error(`#error ${rest}`);
        break;
      default: // #include and #pragma: the caller feeds the files it needs
    }
  }
  if (stack.length) throw new Error('unterminated #if');
  return defs;
}

/** The __NR_* numbers a header defines, as [name, number] sorted by number then name. */
function syscallTable(path, predefined) {
  const defs = preprocess(read(path), new Map(predefined));
  const rows = [];
  for (const name of defs.keys()) {
    if (!name.startsWith('__NR_')) continue;
    const sys = name.slice(5);
    // Not syscalls: the table size and the start of the arch-private range.
    if (sys === 'syscalls' || sys === 'arch_specific_syscall') continue;
    const nr = Number(evaluate(name, defs));
    if (!Number.isInteger(nr) || nr < 0 || nr > 0xffffffff) throw new Error(`${path}: ${name} = ${nr}`);
    rows.push([sys, nr]);
  }
  rows.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  if (rows.length < 250) throw new Error(`${path}: only ${rows.length} syscalls found`);
  const seen = new Map();
  for (const [sys, nr] of rows) {
    if (seen.has(nr)) throw new Error(`${path}: ${sys} and ${seen.get(nr)} share number ${nr}`);
    seen.set(nr, sys);
  }
  return rows;
}

/** Selected numeric object-like macros (matching `re`) from headers read in order. */
function constants(paths, re) {
  const defs = new Map();
  for (const p of paths) preprocess(read(p), defs);
  const rows = [];
  for (const name of defs.keys()) {
    if (!re.test(name)) continue;
    let v;
    try {
      v = evaluate(name, defs);
    } catch {
      continue; // built from function-like macros (ioctl numbers): not needed
    }
    rows.push([name, Number(BigInt.asUintN(32, v))]);
  }
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

// x32 numbers carry __X32_SYSCALL_BIT, which asm/unistd.h defines.
const x32bit = preprocess(read(join(x86dir, 'unistd.h')), new Map()).get('__X32_SYSCALL_BIT');
if (x32bit === undefined) throw new Error('gen-syscalls: __X32_SYSCALL_BIT not found in asm/unistd.h');

// arm64's own asm/unistd.h (not shipped for amd64) only selects optional
// parts of the generic table before including it; these are its choices.
const arm64Wants = ['RENAMEAT', 'NEW_STAT', 'SET_GET_RLIMIT', 'TIME32_SYSCALLS', 'SYS_CLONE3', 'MEMFD_SECRET'];

const tables = {
  x86_64: syscallTable(join(x86dir, 'unistd_64.h'), []),
  x86: syscallTable(join(x86dir, 'unistd_32.h'), []),
  x32: syscallTable(join(x86dir, 'unistd_x32.h'), [['__X32_SYSCALL_BIT', x32bit]]),
  aarch64: syscallTable(join(inc, 'asm-generic/unistd.h'), [['__BITS_PER_LONG', '64'], ...arm64Wants.map((w) => [`__ARCH_WANT_${w}`, ''])]),
};

const audit = constants([join(inc, 'linux/elf-em.h'), join(inc, 'linux/audit.h')], /^AUDIT_ARCH_(X86_64|I386|AARCH64|ARM)$/);
const seccomp = constants([join(inc, 'linux/seccomp.h')], /^SECCOMP_(RET_\w+|FILTER_FLAG_\w+|SET_MODE_FILTER)$/);
const bpf = constants([join(inc, 'linux/bpf_common.h')], /^BPF_[A-Z]+$/);
const x32Bit = Number(evaluate('__X32_SYSCALL_BIT', new Map([['__X32_SYSCALL_BIT', x32bit]])));

const lines = ['// Generated by scripts/gen-syscalls.mjs from the linux-libc-dev UAPI headers. Do not edit.', ''];
const obj = (name, rows) => {
  lines.push(`export const ${name} = {`);
  for (const [k, v] of rows) lines.push(`  ${k}: 0x${v.toString(16)},`);
  lines.push('} as const;', '');
};
obj(
  'AUDIT_ARCH',
  audit.map(([k, v]) => [k.slice('AUDIT_ARCH_'.length), v]),
);
obj(
  'SECCOMP',
  seccomp.map(([k, v]) => [k.slice('SECCOMP_'.length), v]),
);
obj(
  'BPF',
  bpf.map(([k, v]) => [k.slice('BPF_'.length), v]),
);
lines.push(`/** Bit 30 of the syscall number marks an x32 call on x86_64. */`, `export const X32_SYSCALL_BIT = 0x${x32Bit.toString(16)};`, '');
// One row per name across the ABIs, so the compiler resolves a name with a
// single lookup; -1 where an ABI lacks the syscall.
const abis = Object.keys(tables);
const rows = new Map();
abis.forEach((abi, i) => {
  for (const [sys, nr] of tables[abi]) {
    if (!rows.has(sys))
      rows.set(
        sys,
        abis.map(() => -1),
      );
    rows.get(sys)[i] = nr;
  }
});
lines.push(`/** The ABIs of SYSCALLS' columns. */`, `export const ABIS = ${JSON.stringify(abis)} as const;`, '');
lines.push('/** Syscall name -> its number per ABI (in ABIS order), -1 where absent. A Map: no name can hit Object.prototype. */');
lines.push('export const SYSCALLS: ReadonlyMap<string, readonly number[]> = new Map<string, readonly number[]>([');
for (const sys of [...rows.keys()].sort()) lines.push(`  [${JSON.stringify(sys)}, [${rows.get(sys).join(', ')}]],`);
lines.push(']);', '');

const text = lines.join('\n');
writeIfChanged(out, text);
const counts = Object.entries(tables)
  .map(([a, r]) => `${a} ${r.length}`)
  .join(', ');
console.log(`gen-syscalls: ${out.startsWith(top) ? out.slice(top.length + 1) : out} (${counts})`);
