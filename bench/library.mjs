// The library section of `make bench` (issue: the library as a product):
// one Node process drives tsrun's Runtime as an embedding program would,
// interleaved with crun's and runc's CLIs in the same run. Prints each
// target with its measured ratio; never fails on a miss (a bench reports).
//   node bench/library.mjs [ROUNDS]      (bench/run.sh runs it; as root)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { execFileSync } from 'node:child_process';
import { waitExitAsync } from './proc.mjs';

const TOP = new URL('..', import.meta.url).pathname;
const DIST = process.env.BENCH_TSRUN_DIR ?? TOP;
const { Runtime } = createRequire(import.meta.url)(join(DIST, 'dist/index.cjs'));
const ROUNDS = Number(process.argv[2] ?? process.env.BENCH_LIB_ROUNDS ?? 20);
const SOAK = Number(process.env.BENCH_LIB_SOAK ?? 1000);
const WARM = Number(process.env.BENCH_LIB_WARM ?? 300);
const TMP = mkdtempSync(join(process.env.BENCH_TMP ?? '/tmp', 'lib-'));
// The state roots of all three runtimes: on run.sh's tmpfs, as /run is on a usual host (and as
// the CLI section has them); this VM's /tmp is on a disk mounted with discard, where every
// rename and unlink of a state file waits for the device.
const STATE = mkdtempSync(join(process.env.BENCH_STATE ?? TMP, 'lib-'));
const ROOTFS = join(TOP, 'bundles/busybox/rootfs');

const spec = JSON.parse(readFileSync(join(TOP, 'bundles/busybox/config.json'), 'utf8'));
spec.ociVersion = '1.0.2'; // crun 1.8 knows runtime-spec 1.0.x only
spec.root = { path: ROOTFS, readonly: true };
spec.process.terminal = false;
spec.process.args = ['/bin/true'];
const bundle = join(TMP, 'bundle');
mkdirSync(bundle);
writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));

// BENCH_LIB_SETUPS: the Runtime's setUpConcurrency (default: the library's own), to compare.
const rt = new Runtime({ root: join(STATE, 'root-tsrun'), setUpConcurrency: process.env.BENCH_LIB_SETUPS ? Number(process.env.BENCH_LIB_SETUPS) : undefined });
const which = (c) => {
  try {
    return execFileSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
};
const CLIS = ['crun', 'runc'].map((name) => ({ name, bin: which(name), root: join(STATE, `root-${name}`) })).filter((c) => c.bin);
let seq = 0;
const now = () => performance.now();

function cli(c, args) {
  return new Promise((res, rej) => {
    const p = spawn(c.bin, ['--root', c.root, ...args], { stdio: 'ignore', cwd: TMP });
    p.on('error', rej);
    p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${c.name} ${args[0]}: exit ${code}`))));
  });
}
/** `crun run` in the foreground: create, start, wait and delete in one command (the throughput reference). */
async function cliRun(c) {
  const id = `b${process.pid}-${++seq}`;
  const t0 = now();
  await cli(c, ['run', '--bundle', bundle, id]);
  return now() - t0;
}
/** The CLI lifecycle as engines drive it and as the issue measures it: create, start, the init's exit, delete, one command each. */
async function cliLifecycle(c) {
  const id = `s${process.pid}-${++seq}`;
  const pidFile = join(TMP, `${id}.pid`);
  const t0 = now();
  await cli(c, ['create', '--bundle', bundle, '--pid-file', pidFile, id]);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  await cli(c, ['start', id]);
  await waitExitAsync(pid);
  await cli(c, ['delete', id]);
  return now() - t0;
}
async function libLifecycle() {
  const t0 = now();
  const ct = await rt.create(`l${++seq}`, { spec, stdio: ['ignore', 'ignore', 'ignore'] });
  await ct.start();
  const st = await ct.wait();
  await ct.delete();
  if (st.exitCode !== 0) throw new Error(`exit ${JSON.stringify(st)}`);
  return now() - t0;
}
async function libRunCapture() {
  const t0 = now();
  const r = await rt.run(`r${++seq}`, { spec: { ...spec, process: { ...spec.process, args: ['echo', 'hi'] } }, capture: true });
  if (r.stdout.toString() !== 'hi\n') throw new Error('run: wrong output');
  return now() - t0;
}
/**
 * What the main thread did during the longest stall of a 1 ms timer: on a
 * CPU (our code, and the kernel's on our behalf), runnable but waiting for a
 * CPU (the scheduler gave it to the containers being set up), or blocked in
 * the kernel (a system call that sleeps). The kernel's per-thread schedstat
 * counts the first two (in ns); the rest of the stall is the third.
 */
function schedTicks() {
  const file = `/proc/self/task/${process.pid}/schedstat`;
  const read = () => readFileSync(file, 'latin1').split(' ').map(Number);
  const hr = () => Number(process.hrtime.bigint()) / 1e6;
  let last = { t: hr(), s: read() };
  let worst = { ms: 0, cpu: 0, queued: 0 };
  let cpuMax = 0;
  const timer = setInterval(() => {
    const now = { t: hr(), s: read() };
    const ms = now.t - last.t;
    const cpu = (now.s[0] - last.s[0]) / 1e6;
    const queued = (now.s[1] - last.s[1]) / 1e6;
    if (ms > worst.ms) worst = { ms, cpu, queued };
    cpuMax = Math.max(cpuMax, cpu);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return { ...worst, blocked: Math.max(0, worst.ms - worst.cpu - worst.queued), cpuMax };
    },
  };
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

// Warm up: first loads of the operations' code are not what a long-lived program pays.
await libLifecycle();
await libRunCapture();
for (const c of CLIS) await cliLifecycle(c), await cliRun(c);

const times = {
  lib: [],
  run: [],
  ...Object.fromEntries(
    CLIS.flatMap((c) => [
      [c.name, []],
      [`${c.name}-run`, []],
    ]),
  ),
};
for (let i = 0; i < ROUNDS; i++) {
  times.lib.push(await libLifecycle());
  times.run.push(await libRunCapture());
  for (const c of CLIS) {
    times[c.name].push(await cliLifecycle(c));
    times[`${c.name}-run`].push(await cliRun(c));
  }
}

async function throughput(n, one) {
  const t0 = now();
  await Promise.all(Array.from({ length: n }, one));
  return (n / (now() - t0)) * 1000;
}
// One burst of 10 lasts a few hundred ms, so one sample of each varies by
// a third from run to run: TPUT_ROUNDS interleaved rounds, medians.
const TPUT_ROUNDS = Number(process.env.BENCH_LIB_TPUT_ROUNDS ?? 7);
const crun = CLIS.find((c) => c.name === 'crun');
const bursts = { lib10: [], lib50: [], crun10: [] };
// A histogram per burst: one enabled again would count the time it was off as a delay.
const delay = { max: 0 };
let stall = { ms: 0 };
for (let r = 0; r < TPUT_ROUNDS; r++) {
  bursts.lib10.push(await throughput(10, libLifecycle));
  if (crun) bursts.crun10.push(await throughput(10, () => cliRun(crun)));
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  bursts.lib50.push(await throughput(50, libLifecycle));
  h.disable();
  delay.max = Math.max(delay.max, h.max);
}
// The stall's breakdown comes from bursts of their own: its 1 ms timer reads a /proc file
// on the main thread, work the timed bursts above must not carry.
const STALL_BURSTS = 3;
for (let r = 0; r < STALL_BURSTS; r++) {
  const ticks = schedTicks();
  await throughput(50, libLifecycle);
  const s = ticks.stop();
  if (s.ms > stall.ms) stall = { ...s, cpuMax: Math.max(s.cpuMax, stall.cpuMax ?? 0) };
  else stall.cpuMax = Math.max(stall.cpuMax, s.cpuMax);
}
const tput = { lib10: median(bursts.lib10), lib50: median(bursts.lib50), crun10: crun ? median(bursts.crun10) : NaN };

// Memory: this process over SOAK lifecycles, and one waiting container's monitor.
// The warm-up is long enough for V8 to grow its young generation to the
// size it keeps (up to 2 x 16 MiB of semi-spaces, once): growth after that
// is what a leak would be. The heap in use is printed beside the RSS.
// V8 doubles its young generation once when allocation stays high (16 to
// 32 MiB of semi-spaces, measured at ~600 lifecycles): that step is sizing,
// not growth, so it is taken out of the RSS compared (and printed). A heap
// snapshot diff over 600 lifecycles shows only compiled code growing.
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1024;
const rss = () => process.memoryUsage().rss / 1024 - newSpace();
const heap = () => process.memoryUsage().heapUsed / 1024;
for (let i = 0; i < WARM; i++) await libLifecycle();
global.gc?.();
const rssBefore = rss();
const newBefore = newSpace();
const heapBefore = heap();
for (let i = 0; i < SOAK; i++) await libLifecycle();
global.gc?.();
const rssAfter = rss();
const newAfter = newSpace();
const heapAfter = heap();
const waiting = await rt.create(`m${++seq}`, { spec: { ...spec, process: { ...spec.process, args: ['sleep', '60'] } }, stdio: ['ignore', 'ignore', 'ignore'] });
await waiting.start();
const monitorPid = Number(readFileSync(`/proc/${waiting.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
const monitorRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${monitorPid}/status`, 'utf8'))[1]);
await waiting.kill('SIGKILL');
await waiting.wait();
await waiting.delete();

const crunMs = crun ? median(times.crun) : NaN;
const crunRunMs = crun ? median(times['crun-run']) : NaN;
const fmt = (v, unit = 'ms') => `${v.toFixed(1)} ${unit}`;
const rows = [
  [
    'library lifecycle (create, start, wait, delete of /bin/true) ≤ 0.5× crun CLI lifecycle',
    fmt(median(times.lib)),
    `${(median(times.lib) / crunMs).toFixed(2)}× crun`,
    median(times.lib) <= 0.5 * crunMs,
  ],
  ['library run with captured output ≤ 0.5× crun CLI lifecycle', fmt(median(times.run)), `${(median(times.run) / crunMs).toFixed(2)}× crun`, median(times.run) <= 0.5 * crunMs],
  ['(for reference, not a target) library lifecycle against one `crun run`', fmt(median(times.lib)), `${(median(times.lib) / crunRunMs).toFixed(2)}× crun run`, null],
  [
    `10 concurrent library lifecycles ≥ 2× 10 parallel \`crun run\` (median of ${TPUT_ROUNDS} interleaved bursts)`,
    fmt(tput.lib10, '/s'),
    `${(tput.lib10 / tput.crun10).toFixed(2)}× crun (${fmt(tput.crun10 ?? NaN, '/s')})`,
    tput.lib10 >= 2 * tput.crun10,
  ],
  ['50 concurrent library lifecycles ≥ 2× 10 parallel `crun run`', fmt(tput.lib50, '/s'), `${(tput.lib50 / tput.crun10).toFixed(2)}× crun`, tput.lib50 >= 2 * tput.crun10],
  [`longest event-loop block during 50 concurrent lifecycles (${TPUT_ROUNDS} bursts) ≤ 20 ms`, fmt(delay.max / 1e6), '', delay.max / 1e6 <= 20],
  [
    `(for reference, not a target) the longest stall of a 1 ms timer in ${STALL_BURSTS} more such bursts: the main thread on a CPU / waiting for one / blocked in the kernel`,
    `${fmt(stall.ms)}: ${fmt(stall.cpu)} / ${fmt(stall.queued)} / ${fmt(stall.blocked)}`,
    `most on a CPU in any stall: ${fmt(stall.cpuMax)}`,
    null,
  ],
  [
    `RSS of this process over ${SOAK} lifecycles after ${WARM}: flat (≤ +10%)`,
    `${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} KiB without the young generation (${newBefore.toFixed(0)} → ${newAfter.toFixed(0)} KiB); heap in use ${heapBefore.toFixed(0)} → ${heapAfter.toFixed(0)} KiB`,
    `${(((rssAfter - rssBefore) / rssBefore) * 100).toFixed(1)}%`,
    rssAfter <= rssBefore * 1.1,
  ],
  ['RSS of a waiting container’s monitor (the executor) ≤ 1 MiB', `${monitorRss} KiB`, '', monitorRss <= 1024],
];
console.log(`\n## Library (${ROUNDS} interleaved rounds; medians)\n`);
console.log(`| | tsrun | ${CLIS.map((c) => c.name).join(' | ')} |`);
console.log(`|---|---:|${CLIS.map(() => '---:|').join('')}`);
console.log(`| lifecycle of /bin/true | ${fmt(median(times.lib))} (library) | ${CLIS.map((c) => fmt(median(times[c.name]))).join(' | ')} (CLI create, start, exit, delete) |`);
console.log(`| the same in one command | ${fmt(median(times.run))} (library run, captured) | ${CLIS.map((c) => fmt(median(times[`${c.name}-run`]))).join(' | ')} (CLI \`run\`) |`);
console.log(`\n| target | measured | ratio | |\n|---|---:|---:|---|`);
for (const [what, m, r, ok] of rows) console.log(`| ${what} | ${m} | ${r} | ${ok === null ? '' : ok ? 'met' : 'missed'} |`);
rmSync(TMP, { recursive: true, force: true });
rmSync(STATE, { recursive: true, force: true });
