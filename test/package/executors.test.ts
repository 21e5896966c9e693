// The package ships a static executor per platform (dist/executor/linux-x64
// and linux-arm64, both built by `make build`). The arm64 one is
// cross-compiled on an x64 host and run here under qemu-user-static
// (installed by `make setup`), natively on arm64: its start-up is checked
// call by call in qemu's syscall trace, and it runs a small plan where the
// emulator can (qemu 7.2, Debian 12's, does not emulate execveat).
// And executorPath() picks the one for process.arch, or says clearly that
// there is none.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { encodePlan } from '../../src/native/plan.js';
import { Op } from '../../src/native/generated/instruction-set.js';
import { executorPath } from '../../src/native/executor-path.js';
import { TsrunError } from '../../src/errors.js';
import { tempDir, TOP } from '../helpers.js';

const ARM64 = join(TOP, 'dist/executor/linux-arm64/tsrun-executor');
const QEMU = ['/usr/bin/qemu-aarch64-static', '/usr/local/bin/qemu-aarch64-static'].find((p) => existsSync(p));
/** How to start an arm64 program here, or why it cannot be. */
const runner: string[] | string = process.arch === 'arm64' ? [] : QEMU ? [QEMU] : 'qemu-aarch64-static is not installed (make setup installs qemu-user-static)';

interface Outcome {
  code: number | null;
  lines: string[];
}

/** Runs the arm64 executor with `plan` on its sync socket (fd 3); collects what it reports. */
function runPlan(plan: Op[]): Promise<Outcome> {
  const [cmd, ...args] = [...(runner as string[]), ARM64, '3'];
  const child = spawn(cmd!, args, { stdio: ['ignore', 'inherit', 'inherit', 'pipe'], env: {} });
  const sock = child.stdio[3] as Readable & NodeJS.WritableStream;
  let text = '';
  sock.setEncoding('latin1');
  sock.on('data', (d: string) => (text += d));
  sock.on('error', () => {}); // the executor may close its end first
  const bytes = encodePlan(plan);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(bytes.length, 0);
  sock.write(Buffer.concat([len, bytes]));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: text.split('\n').filter(Boolean) });
    });
  });
}

t.test('the arm64 executor', { skip: typeof runner === 'string' ? runner : false }, async (t) => {
  const run = [...(runner as string[]), ARM64];
  t.ok(existsSync(ARM64), 'built by make build');
  const file = spawnSync('file', ['-b', ARM64], { encoding: 'utf8' }).stdout;
  if (file) t.match(file, /ARM aarch64.*statically linked/, 'a static aarch64 ELF');

  const usage = spawnSync(run[0]!, run.slice(1), { timeout: 30_000 });
  t.equal(usage.status, 2, 'without arguments: usage error, exit 2');
  const badFd = spawnSync(run[0]!, [...run.slice(1), 'x'], { timeout: 30_000 });
  t.equal(badFd.status, 2, 'a sync fd that is not a number: exit 2');

  // Its start-up under qemu's syscall trace: the raw syscall() numbers
  // compiled for arm64 must be the calls meant (arm64 numbers them apart
  // from x64): close the inherited fds, copy itself into a sealed memfd,
  // re-exec from it (CVE-2019-5736).
  let execveatWorks = process.arch === 'arm64';
  if (QEMU && process.arch !== 'arm64') {
    const traced = spawnSync(QEMU, ['-strace', ARM64, '3'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 30_000 });
    const calls = traced.stderr
      .split('\n')
      .map((l) => /^[0-9]+ ([a-z_0-9]+)\((.*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => `${m[1]}(${m[2]}`);
    const names = calls.map((c) => c.slice(0, c.indexOf('(')));
    const order = ['close_range', 'rt_sigaction', 'rt_sigprocmask', 'readlinkat', 'openat', 'memfd_create', 'sendfile', 'fcntl', 'execveat'];
    // Each call after the one before (the C library's own start-up comes first).
    let at = -1;
    const seen = order.filter((n) => (at = names.indexOf(n, at + 1)) >= 0);
    t.same(seen, order, `start-up calls, in order: ${order.join(', ')}`);
    t.match(
      calls.find((c) => c.startsWith('close_range(')),
      /^close_range\(4,4294967295,0\)/,
      'closes every fd above the sync fd',
    );
    t.match(
      calls.find((c) => c.startsWith('fcntl(')),
      /F_ADD_SEALS,0x0*f\)/,
      'seals the memfd copy',
    );
    execveatWorks = !/^execveat\(.*errno=38/.test(calls.find((c) => c.startsWith('execveat(')) ?? '');
  }
  const cannot = 'this qemu-user does not emulate execveat (qemu 7.2 returns ENOSYS), which the re-exec from the sealed copy needs';
  await t.test('runs a plan', { skip: execveatWorks ? false : cannot }, async (t) => {
    const dir = tempDir(t, 'pkg-arm64');
    const out = join(dir, 'out');
    writeFileSync(out, '');
    // clone, then in the child: write a file, report ready, find sh in $PATH
    // and exec it. The parent waits and exits with the child's status.
    const ran = await runPlan([
      Op.clone('clone', { flags: 0, wait: 1 }),
      Op.writeFile('write', { path: out, data: Buffer.from('written on arm64') }),
      Op.ready('ready'),
      Op.resolveExec('find sh', { name: 'sh', path: '/usr/bin:/bin' }),
      Op.exec('exec', { argv: ['sh', '-c', 'exit 5'], env: [] }),
    ]);
    t.match(ran.lines, [/^P [0-9]+$/, 'R'], 'reported the clone and ready');
    t.equal(readFileSync(out, 'utf8'), 'written on arm64', 'the plan wrote the file');
    t.equal(ran.code, 5, "exited with the exec'd process's status");
    const failed = await runPlan([Op.writeFile('write', { path: join(dir, 'no/such/dir'), data: Buffer.from('x') })]);
    t.same(failed.lines, ['E 0 2'], 'a failed op is reported as op 0, ENOENT');
    t.equal(failed.code, 1, 'and exits 1');
  });
});

// The Makefile links the host's own executor with musl: a static glibc program's
// start costs this VM about 0.6 ms of CPU more, once per container (docs/bench.md).
// Static glibc reads its tunables from GLIBC_TUNABLES at start; musl has none.
t.test("the host's executor is linked with musl, not glibc", async (t) => {
  const own = join(TOP, `dist/executor/linux-${process.arch}/tsrun-executor`);
  t.ok(existsSync(own), 'built by make build');
  const image = readFileSync(own);
  t.equal(image.indexOf('GLIBC_TUNABLES'), -1, 'no glibc start-up code in it');
  t.ok(image.length < 200 * 1024, `small (${image.length} bytes; glibc's static build was about 700 KB)`);
});

t.test('executorPath picks the executor for process.arch', async (t) => {
  const saved = process.env.TSRUN_EXECUTOR;
  delete process.env.TSRUN_EXECUTOR;
  const arch = Object.getOwnPropertyDescriptor(process, 'arch')!;
  t.teardown(() => {
    Object.defineProperty(process, 'arch', arch);
    if (saved === undefined) delete process.env.TSRUN_EXECUTOR;
    else process.env.TSRUN_EXECUTOR = saved;
  });
  const as = (value: string) => Object.defineProperty(process, 'arch', { ...arch, value });

  as('x64');
  t.equal(executorPath(), join(TOP, 'dist/executor/linux-x64/tsrun-executor'), 'x64');
  as('arm64');
  t.equal(executorPath(), ARM64, 'arm64');
  as('riscv64');
  const err = (() => {
    try {
      return executorPath();
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof TsrunError, 'another arch: a TsrunError');
  t.match(err, { code: 'ERR_UNSUPPORTED', message: /linux-x64 and linux-arm64 only, not on linux-riscv64/ }, 'ERR_UNSUPPORTED naming the platforms');
  process.env.TSRUN_EXECUTOR = '/opt/my-executor';
  t.equal(executorPath(), '/opt/my-executor', 'TSRUN_EXECUTOR overrides, on any arch');
});
