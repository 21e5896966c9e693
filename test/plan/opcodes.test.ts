// The TypeScript opcode table and the executor's C enum must agree, or a plan
// would run the wrong syscall. Read the C source as text and compare.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpCode } from '../../src/plan/opcodes.js';
import { encodePlan } from '../../src/plan/encode.js';
import { op } from '../../src/plan/op.js';
import { TOP } from '../helpers.js';

t.test('opcodes.ts matches executor.c', async (t) => {
  const c = readFileSync(join(TOP, 'src/native/executor.c'), 'utf8');
  const fromC = Object.fromEntries([...c.matchAll(/^\s*OP_([A-Z_]+)\s*=\s*(\d+),/gm)].map((m) => [m[1], Number(m[2])]));
  t.same(fromC, { ...OpCode }, 'same names, same numbers');
});

t.test('plan encoding', async (t) => {
  const buf = encodePlan([op(OpCode.SETHOSTNAME, 'x', ['ab']), op(OpCode.PRLIMIT, 'y', [7, 2n ** 64n - 1n, 5])]);
  t.equal(buf.subarray(0, 4).toString(), 'TSRP');
  t.equal(buf.readUInt32LE(4), 2, 'version');
  t.equal(buf.readUInt32LE(8), 2, 'op count');
  t.equal(buf.readUInt16LE(12), OpCode.SETHOSTNAME);
  t.equal(buf.readUInt32LE(16), 1, 'argc (u32)');
  t.equal(buf[20], 1, 'bytes arg');
  t.equal(buf.readUInt32LE(21), 3, 'string length includes the NUL');
  t.equal(buf.subarray(25, 28).toString('latin1'), 'ab\0');
  const second = 28;
  t.equal(buf.readUInt16LE(second), OpCode.PRLIMIT);
  t.equal(buf.readBigUInt64LE(second + 8 + 9 + 1), 2n ** 64n - 1n, 'RLIM_INFINITY survives as u64');
});
