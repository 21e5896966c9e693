// The programs in examples/ run as a user would run them (importing 'tsrun',
// which resolves to this package's build), and say what they should.
import t from 'tap';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOTFS, TOP } from '../helpers.js';

function runExample(name: string, args: string[], input = ''): Promise<{ code: number | null; out: string }> {
  // The examples are TypeScript: run them through the loader tap runs this file with.
  const child = spawn(process.execPath, [...process.execArgv, join(TOP, 'examples', name), ...args], { cwd: TOP, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stdin.end(input);
  return new Promise((res) => child.on('exit', (code) => res({ code, out })));
}

t.teardown(() => rmSync('/run/tsrun-examples', { recursive: true, force: true }));

t.test('capture: output and exit status of one command', async (t) => {
  const r = await runExample('capture.ts', [ROOTFS]);
  t.equal(r.code, 0);
  t.match(r.out, /^stdout: "hello from \w+\\n"\nstderr: "oops\\n"\nexit: \{"exitCode":3,"signal":null,"oomKilled":false\}\n$/);
});

t.test('pool: 100 jobs, 8 at a time, every exit code reported', async (t) => {
  const r = await runExample('pool.ts', ['100', '8', ROOTFS]);
  t.equal(r.code, 0);
  t.match(r.out, /^100 jobs, 8 at a time, in [\d.]+ s \([\d.]+ containers\/s\)\nexit codes: 0: 25, 1: 25, 2: 25, 3: 25\n$/);
});

t.test('shell: a pty shell driven through the terminal stream', async (t) => {
  const r = await runExample('shell.ts', [ROOTFS], 'echo hi-$((6*7)); exit 3\n');
  t.equal(r.code, 3, "the shell's status");
  t.match(r.out, /hi-42/, 'what the shell printed came back through the pty');
});
