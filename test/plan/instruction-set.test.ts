// The executor's instruction set has one source, src/native/instruction-set.mjs:
// the C header and the TypeScript builders are generated from it, executor.c
// implements every op in it, and the executor refuses a plan whose ops do not
// match it before running any of them.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecutorSession } from '../../src/native/executor.js';
import { Msg, Op, OpCode, OpFlag, type OpArg } from '../../src/native/generated/instruction-set.js';
import { encodePlan } from '../../src/native/plan.js';
import { TsrunError } from '../../src/errors.js';
import { tempDir, TOP, type Teardown } from '../helpers.js';

const script = join(TOP, 'scripts/gen-instruction-set.mjs');

t.test('the generated files are deterministic and up to date', async (t) => {
  const a = t.testdir();
  const b = t.testdir();
  execFileSync(process.execPath, [script, '--out-dir', a]);
  execFileSync(process.execPath, [script, '--out-dir', b]);
  for (const name of ['instruction-set.h', 'instruction-set.ts']) {
    const text = readFileSync(join(a, name), 'utf8');
    t.equal(readFileSync(join(b, name), 'utf8'), text, `${name}: two runs, same bytes`);
    t.equal(readFileSync(join(TOP, 'src/native/generated', name), 'utf8'), text, `src/native/generated/${name} is current (make gen)`);
  }
});

t.test('executor.c implements every op and keeps no copy of the table', async (t) => {
  const c = readFileSync(join(TOP, 'src/native/executor.c'), 'utf8');
  t.match(c, /#include "generated\/instruction-set.h"/, 'includes the generated header');
  t.notMatch(c, /enum opcode|#define F_[A-Z_]+ 0x|#define MAX_PLAN_BYTES|#define ESCAPED_ROOT/, 'no hand-kept opcodes, flags or limits');
  const cases = new Set([...c.matchAll(/^\s*case OP_([A-Z0-9_]+):/gm)].map((m) => m[1]));
  t.same([...cases].sort(), Object.keys(OpCode).sort(), 'run_op() has a case for each op in the table, and only those');
  t.notMatch(c, /send_line\('|write_all\(sync_fd, "/, 'protocol letters come from the MSG_ constants');
});

t.test('plan encoding', async (t) => {
  const buf = encodePlan([Op.sethostname('x', { name: 'ab' }), Op.prlimit('y', { resource: 7, soft: 2n ** 64n - 1n, hard: 5 })]);
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

t.test('plan encoding: numbers as u64 (small, above 32 bits, negative) and strings as UTF-8 bytes', async (t) => {
  const buf = encodePlan([Op.prlimit('p', { resource: 2 ** 40 + 5, soft: -1, hard: 7n }), Op.sethostname('h', { name: 'é\u{1F600}' })]);
  const args = 12 + 8;
  t.equal(buf[args], 0, 'a number arg');
  t.equal(buf.readBigUInt64LE(args + 1), 2n ** 40n + 5n, 'above 32 bits');
  t.equal(buf.readBigUInt64LE(args + 10), 2n ** 64n - 1n, '-1 as two’s complement');
  t.equal(buf.readBigUInt64LE(args + 19), 7n, 'a bigint');
  const host = args + 27 + 8;
  t.equal(buf.readUInt32LE(host + 1), 2 + 4 + 1, 'UTF-8 length with the NUL');
  t.equal(buf.subarray(host + 5, host + 12).toString('utf8'), 'é\u{1F600}\0');
  t.equal(buf.length, host + 12, 'nothing after the last argument');
});

t.test('builders lay out arguments and flags as the table says', async (t) => {
  const m = Op.mount('m', { source: 's', target: 't', fstype: 'f', flags: 1, data: 'd' }, { targetInRoot: true, keepLocked: true });
  t.same(m.args, ['s', 't', 'f', 1, 'd']);
  t.equal(m.flags, OpFlag.TARGET_IN_ROOT | OpFlag.KEEP_LOCKED);
  t.same(Op.exec('e', { argv: ['a', 'b'], env: ['X=1'] }).args, [2, 'a', 'b', 1, 'X=1'], 'a counted list: its length, then its items');
  t.same(Op.setgroups('g', { gids: [4, 5] }).args, [4, 5], 'ints to the end');
});

/** Runs ops: op 0 writes "ran" into a file, then `bad`, then READY. Returns the file's content and how it ended. */
async function runWithFirstWrite(t: Teardown, bad: Op[]): Promise<{ wrote: string; result: unknown }> {
  const dir = tempDir(t, 'isa');
  const file = join(dir, 'first');
  writeFileSync(file, '');
  const plan = [Op.writeFile('write a file first', { path: file, data: Buffer.from('ran') }), ...bad, Op.ready('ready')];
  const session = new ExecutorSession(encodePlan(plan), { stdio: ['ignore', 'ignore', 'ignore'] });
  const result = await session.expect(Msg.READY).then(
    () => 'ready',
    (e: unknown) => e,
  );
  await session.exited;
  return { wrote: readFileSync(file, 'utf8'), result };
}

t.test('the executor checks every op against the table before running any', async (t) => {
  const control = await runWithFirstWrite(t, [Op.umask('umask', { mask: 0o22 })]);
  t.equal(control.result, 'ready', 'control: a well-formed plan runs');
  t.equal(control.wrote, 'ran', 'control: its first op wrote the file');

  const raw = (code: number, args: OpArg[], flags = 0): Op => ({ code: code as OpCode, flags, args, what: 'hand-made' });
  const cases: [string, Op][] = [
    ['too few arguments', raw(OpCode.MOUNT, ['src', '/target'])],
    ['too many arguments', raw(OpCode.UMASK, [0o22, 1])],
    ['an int where a string belongs', raw(OpCode.CHDIR, [5])],
    ['a string without its NUL', raw(OpCode.CHDIR, [Buffer.from('/tmp')])],
    ['bytes where an int belongs', raw(OpCode.UMASK, ['022'])],
    ['a counted list longer than the op', raw(OpCode.EXEC, [3, 'sh', 0])],
    ['an unknown opcode', raw(999, [])],
    ['a flag the op does not honour', raw(OpCode.SETHOSTNAME, ['x'], OpFlag.TARGET_IN_ROOT)],
  ];
  for (const [name, bad] of cases) {
    const r = await runWithFirstWrite(t, [bad]);
    t.type(r.result, TsrunError, `${name}: refused`);
    t.match((r.result as Error).message, /tsrun-executor refused the plan: EBADMSG at op 1\b.*does not match the instruction set/, `${name}: names the op`);
    t.equal((r.result as TsrunError).op, 1, `${name}: the error's op is the malformed one`);
    t.equal(r.wrote, '', `${name}: no op ran, not even the well-formed first one`);
  }
});
