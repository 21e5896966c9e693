// Big configs (issue 13, section 2 item 6). runc runs a container with
// 100,000 environment variables or 10,000 mounts; so must we. What exec or
// the kernel cannot take is refused before anything is made, naming the
// field; long values are cut in messages and in the log.
import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDirsNamed, makeBundle, stateRoot, tempDir, uniqueId } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';
import { ExecutorSession } from '../../src/native/executor.js';
import { TsrunError } from '../../src/errors.js';

/** `run` of an edited config (optionally with its config.json text rewritten); returns the result and the root. */
async function runConfig(t: Test, edit: (s: Spec) => void, rewrite?: (json: string) => string, extra: string[] = []) {
  const { root, run } = stateRoot(t);
  const { dir } = makeBundle(t, edit);
  if (rewrite) writeFileSync(join(dir, 'config.json'), rewrite(readFileSync(join(dir, 'config.json'), 'utf8')));
  const id = uniqueId('integ2-big');
  const r = await run([...extra, 'run', '--bundle', dir, id], { timeoutMs: 120_000 });
  return { r, root, id };
}

function assertRefused(t: Test, res: Awaited<ReturnType<typeof runConfig>>, msg: RegExp): void {
  const { r, root, id } = res;
  t.equal(r.code, 1, 'exit status 1');
  t.match(r.stderr, msg, 'the error names the field');
  t.notMatch(r.stderr, /internal error|\n\s+at |RangeError|EBADMSG|op 0 /, 'a plain message, naming no wrong step');
  t.same(existsSync(root) ? readdirSync(root) : [], [], 'no state left');
  t.same(cgroupDirsNamed(id), [], 'no cgroup left');
}

t.test('100,000 environment variables', async (t) => {
  const { r } = await runConfig(t, (s) => {
    // Short values: 100,000 of E12345=v12345 would pass exec's limit (runc gets E2BIG too).
    // env, not sh: busybox sh takes minutes to import 100,000 variables.
    s.process!.args = ['env'];
    for (let i = 0; i < 100_000; i++) s.process!.env!.push(`E${i}=${i % 10}`);
  });
  t.equal(r.code, 0, r.stderr.slice(0, 2000));
  const vars = r.stdout.split('\n').filter((l) => /^E\d+=\d$/.test(l));
  t.equal(vars.length, 100_000, 'all of them arrive');
  t.ok(vars.includes('E99999=9'), 'the last one too');
});

t.test('5,000 arguments and 5,000 variables (over the old limit of 4096)', async (t) => {
  const { r } = await runConfig(t, (s) => {
    s.process!.args = ['sh', '-c', 'echo $#; echo "${5000}"', 'sh', ...Array.from({ length: 5000 }, (_, i) => `a${i + 1}`)];
    for (let i = 0; i < 5000; i++) s.process!.env!.push(`E${i}=x`);
  });
  t.equal(r.code, 0, r.stderr.slice(0, 2000));
  t.equal(r.stdout, '5000\na5000\n');
});

t.test('5,000 mounts: 10,000 ops, over the old limit of 8192', async (t) => {
  const { r } = await runConfig(t, (s) => {
    s.process!.args = ['sh', '-c', 'grep -c " /m/" /proc/self/mountinfo'];
    for (let i = 0; i < 5_000; i++) s.mounts!.push({ destination: `/m/${i}`, type: 'tmpfs', source: 'tmpfs' });
  });
  t.equal(r.code, 0, r.stderr.slice(0, 2000));
  t.equal(r.stdout.trim(), '5000');
});

t.test('args and env beyond what exec takes are refused before anything runs', async (t) => {
  const many = await runConfig(t, (s) => {
    for (let i = 0; i < 300_000; i++) s.process!.env!.push(`E${i}=x`);
  });
  assertRefused(t, many, /\/process\/args and \/process\/env: .*more than the \d+ bytes exec accepts/);
  const long = await runConfig(t, (s) => s.process!.args!.push('x'.repeat(200_000)));
  assertRefused(t, long, /\/process\/args\/\d+: 200001 bytes, more than the 131072 bytes exec accepts for one string/);
});

t.test('a memory limit too low to start: a clear refusal naming the limit', async (t) => {
  const res = await runConfig(t, (s) => {
    s.linux!.resources = { ...s.linux!.resources, memory: { limit: 1 } };
  });
  assertRefused(t, res, /\/linux\/resources\/memory\/limit.*the limit 1 is too low/);
});

t.test('JSON nested 100,000 deep under an unknown key', async (t) => {
  const depth = 100_000;
  const res = await runConfig(
    t,
    () => {},
    (json) => json.replace(/}\s*$/, `, "x-deep": ${'['.repeat(depth)}${']'.repeat(depth)} }`),
  );
  assertRefused(t, res, /config\.json: \/x-deep\/0\/0\/… \(\d+ levels\): nested deeper than 1000 levels/);
  t.notMatch(res.r.stderr, /state\.json|call stack/);
});

t.test('a 10 MB hostname is cut in the message and the log', async (t) => {
  const log = join(tempDir(t, 'integ2-log'), 'log.json');
  const res = await runConfig(t, (s) => (s.hostname = 'h'.repeat(10 * 1024 * 1024)), undefined, ['--log', log, '--log-format', 'json']);
  assertRefused(t, res, /\/hostname: \\?"h+\\?"… \(10485760 characters in all\) is 10485760 bytes, more than the kernel's 64/);
  t.ok(res.r.stderr.length < 2000, `stderr is short (${res.r.stderr.length} bytes)`);
  t.ok(readFileSync(log, 'utf8').length < 2000, 'the log line is short');
});

t.test('a plan the executor cannot read is its own error, not a failure of op 0', async (t) => {
  const session = new ExecutorSession(Buffer.from('TSRP not a plan'), { stdio: ['ignore', 'ignore', 'ignore'] });
  const err = await session.expect('P').catch((e: unknown) => e);
  t.ok(err instanceof TsrunError, String(err));
  t.match((err as Error).message, /tsrun-executor refused the plan: EBADMSG at byte \d+/);
  t.notMatch((err as Error).message, /op \d/);
  await session.exited;
});
