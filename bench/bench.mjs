// tsrun against runc and crun: see bench/run.sh (the entry point) and docs/bench.md.
//
// Every iteration runs each measure for each runtime once, in an order
// shuffled per iteration, so that noise from the host hits all three alike.
// Sequential measures use spawnSync with stdio on /dev/null and a log file
// (no pipes: a container's init inherits them), timed with hrtime around
// the call. Nothing is printed until the end.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readSync, rmSync, statSync, writeFileSync, fstatSync } from 'node:fs';
import { cpus, loadavg, totalmem, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { vmRssKiB, waitExitAsync, waitExitSync } from './proc.mjs';
import { renderChart } from './chart.mjs';

const TOP = join(dirname(fileURLToPath(import.meta.url)), '..');
// `node bench/bench.mjs --report bench/results/X.json`: only redo the table and chart of a past run.
const REPORT = process.argv[2] === '--report' ? process.argv[3] : null;
const N = posInt(process.env.BENCH_N, 30);
const WARMUP = posInt(process.env.BENCH_WARMUP, 2, true);
const PAR_N = posInt(process.env.BENCH_PAR_N, 5);
const PAR = 10;
const SEED = posInt(process.env.BENCH_SEED, Date.now() % 2 ** 31);
const CA = '/etc/ssl/certs/ca-certificates.crt';
const CHART = process.env.BENCH_CHART || join(TOP, 'bench/chart.svg');
const RESULTS = join(TOP, 'bench/results');
const TMP = process.env.BENCH_TMP || (REPORT ? '/tmp' : mkTmp());
const OWN_TMP = !process.env.BENCH_TMP;
// State roots and pid files: run.sh mounts a tmpfs there (like /run on most hosts).
const STATE = process.env.BENCH_STATE || TMP;
const ROOTFS = join(TOP, 'bundles/busybox/rootfs');
const NODE = process.execPath;
// tsrun as built when the bench started (run.sh copies dist/ and bin/), so
// that a rebuild by someone else during the run does not change what is measured.
const TSRUN_DIR = process.env.BENCH_TSRUN_DIR || TOP;
// bench/rusage.c, built by run.sh: CPU time and peak RSS of each command.
const RUSAGE = process.env.BENCH_RUSAGE && existsSync(process.env.BENCH_RUSAGE) ? process.env.BENCH_RUSAGE : null;

function posInt(v, d, zero = false) {
  const n = Number(v);
  return v !== undefined && v !== '' && Number.isInteger(n) && (n > 0 || (zero && n === 0)) ? n : d;
}
function mkTmp() {
  const d = `/tmp/tsrun-bench.${process.pid}`;
  mkdirSync(d, { recursive: true });
  return d;
}
const which = (c) => spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).stdout.trim() || null;
const firstLine = (cmd, args) => (spawnSync(cmd, args, { encoding: 'utf8' }).stdout || '').split('\n')[0].trim();
const ms = (a, b) => Number(b - a) / 1e6;
const log = (s) => process.stderr.write(s + '\n');

// ---------------------------------------------------------------- set-up

const envNoCA = { ...process.env };
delete envNoCA.NODE_EXTRA_CA_CERTS;
delete envNoCA.NODE_OPTIONS;
const envCA = { ...envNoCA, NODE_EXTRA_CA_CERTS: CA };

/** A runtime under test: its binary and private state root. */
const RUNTIMES = [
  { name: 'tsrun', bin: join(TSRUN_DIR, 'bin/tsrun') },
  { name: 'runc', bin: which('runc') },
  { name: 'crun', bin: which('crun') },
].map((r) => ({ ...r, root: join(STATE, `root-${r.name}`), err: join(TMP, `${r.name}.stderr`), n: 0 }));

function makeBundle(name, edit) {
  const c = JSON.parse(readFileSync(join(TOP, 'bundles/busybox/config.json'), 'utf8'));
  c.ociVersion = '1.0.2'; // crun 1.8 knows runtime-spec 1.0.x only; nothing here needs later fields
  c.root = { path: ROOTFS, readonly: true }; // absolute: runc refuses a symlinked rootfs
  c.process.args = ['/bin/true'];
  c.process.terminal = false;
  edit?.(c);
  const dir = join(TMP, `bundle-${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c, null, 1));
  return dir;
}
const BUNDLE = REPORT ? null : makeBundle('true');
const memBundle = (bytes) =>
  makeBundle(`mem-${bytes}`, (c) => {
    c.linux.resources = { ...c.linux.resources, memory: { limit: bytes } };
  });

// ---------------------------------------------------------------- running commands

let errFd = new Map();
function errFdOf(rt) {
  if (!errFd.has(rt.name)) errFd.set(rt.name, openSync(rt.err, 'a+'));
  return errFd.get(rt.name);
}
function errTail(rt, from) {
  const fd = errFdOf(rt);
  const size = fstatSync(fd).size;
  const start = Math.max(from, size - 600);
  const buf = Buffer.alloc(size - start);
  readSync(fd, buf, 0, buf.length, start);
  return buf.toString('utf8').trim();
}

/**
 * Runs one command, blocking; returns its wall time in ms (hrtime around
 * spawnSync) and status, and with the rusage helper its CPU time (user+sys,
 * ms), peak RSS (KiB) and minor page faults.
 */
function timed(cmd, args, { env = envNoCA, stderr = 'ignore', cwd = TMP } = {}) {
  const argv = RUSAGE ? [RUSAGE, [cmd, ...args]] : [cmd, args];
  const stdio = RUSAGE ? ['ignore', 'ignore', stderr, 'pipe'] : ['ignore', 'ignore', stderr];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv[1], { stdio, env, cwd, detached: true });
  const t1 = process.hrtime.bigint();
  const out = { ms: ms(t0, t1), status: r.status, signal: r.signal, error: r.error };
  const ru = RUSAGE && r.output?.[3]?.toString().trim().split(' ').map(Number);
  if (ru?.length === 5) Object.assign(out, { innerMs: ru[0] / 1e6, cpuMs: (ru[1] + ru[2]) / 1e3, maxrssKiB: ru[3], minflt: ru[4] });
  return out;
}

/** A runtime command: `<bin> --root <root> args...`; failures go into `failures`. */
function rtCmd(rt, args, what) {
  const fd = errFdOf(rt);
  const from = fstatSync(fd).size;
  const r = timed(rt.bin, ['--root', rt.root, ...args], { stderr: fd });
  if (r.status !== 0) {
    r.message = `${rt.name} ${args.join(' ')}: ${r.error ?? (r.signal ? `signal ${r.signal}` : `exit ${r.status}`)}: ${errTail(rt, from)}`;
    fail(what, rt.name, r.message);
  }
  return r;
}

let samples = {}; // metric -> subject -> number[]
let failures = {}; // metric -> subject -> count
let failMessages = [];
let recording = false;
function add(metric, subject, v) {
  if (!recording || v == null || Number.isNaN(v)) return;
  ((samples[metric] ??= {})[subject] ??= []).push(v);
}
/** A timed command's wall time under `metric`, its CPU time under `cpu:metric`. */
function addRun(metric, subject, r) {
  add(metric, subject, r.ms);
  add(`cpu:${metric}`, subject, r.cpuMs);
}
function fail(metric, subject, message) {
  if (!recording) {
    failMessages.push(`(warm-up) ${message}`);
    return;
  }
  (failures[metric] ??= {})[subject] = ((failures[metric] ??= {})[subject] ?? 0) + 1;
  if (failMessages.length < 40) failMessages.push(message);
}

const newId = (rt) => `b${process.pid}-${rt.name}-${++rt.n}`;
const pidFileOf = (rt, id) => join(STATE, `${id}.pid`);
const readPid = (f) => Number(readFileSync(f, 'utf8').trim());

function forceDelete(rt, id) {
  spawnSync(rt.bin, ['--root', rt.root, 'delete', '--force', id], { stdio: 'ignore', env: envNoCA, cwd: TMP, detached: true });
}

// ---------------------------------------------------------------- measures

/** create -> start -> (init exits) -> delete, each step timed. */
function lifecycle(rt) {
  const id = newId(rt);
  const pf = pidFileOf(rt, id);
  const c = rtCmd(rt, ['create', '--bundle', BUNDLE, '--pid-file', pf, id], 'create');
  if (c.status !== 0) return forceDelete(rt, id);
  const pid = readPid(pf);
  const s = rtCmd(rt, ['start', id], 'start');
  if (s.status !== 0) return forceDelete(rt, id);
  const w0 = process.hrtime.bigint();
  waitExitSync(pid);
  const wait = ms(w0, process.hrtime.bigint());
  const d = rtCmd(rt, ['delete', id], 'delete');
  if (d.status !== 0) return forceDelete(rt, id);
  rmSync(pf, { force: true });
  addRun('create', rt.name, c);
  add('create_maxrss_kib', rt.name, c.maxrssKiB);
  add('create_minflt', rt.name, c.minflt);
  addRun('start', rt.name, s);
  add('wait', rt.name, wait);
  addRun('delete', rt.name, d);
  add('lifecycle', rt.name, c.ms + s.ms + wait + d.ms);
  if (c.cpuMs != null) add('cpu:lifecycle', rt.name, c.cpuMs + s.cpuMs + d.cpuMs);
}

/** create -> init RSS -> state -> kill KILL -> delete. */
function steps(rt) {
  const id = newId(rt);
  const pf = pidFileOf(rt, id);
  const c = rtCmd(rt, ['create', '--bundle', BUNDLE, '--pid-file', pf, id], 'create');
  if (c.status !== 0) return forceDelete(rt, id);
  add('create_maxrss_kib', rt.name, c.maxrssKiB);
  add('create_minflt', rt.name, c.minflt);
  const pid = readPid(pf);
  add('init_rss_kib', rt.name, vmRssKiB(pid));
  const st = rtCmd(rt, ['state', id], 'state');
  if (st.status === 0) addRun('state', rt.name, st);
  const k = rtCmd(rt, ['kill', id, 'KILL'], 'kill');
  if (k.status !== 0) return forceDelete(rt, id);
  addRun('kill', rt.name, k);
  waitExitSync(pid);
  const d = rtCmd(rt, ['delete', id], 'delete (after kill)');
  if (d.status !== 0) return forceDelete(rt, id);
  addRun('delete_after_kill', rt.name, d);
  rmSync(pf, { force: true });
}

/** `run` in the foreground: create, start, wait, delete in one command. */
function run(rt) {
  const id = newId(rt);
  const r = rtCmd(rt, ['run', '--bundle', BUNDLE, id], 'run');
  if (r.status === 0) addRun('run', rt.name, r);
  if (existsSync(join(rt.root, id))) {
    if (r.status === 0) fail('run', rt.name, `${rt.name} run left ${id} behind`);
    forceDelete(rt, id);
  }
}

function version(rt) {
  const r = timed(rt.bin, ['--version']);
  if (r.status === 0) addRun('version', rt.name, r);
  else fail('version', rt.name, `${rt.name} --version: exit ${r.status}`);
}

/** `tsrun --debug create`: the phase times tsrun logs. Not timed itself. */
function tsrunPhases(rt) {
  const id = newId(rt);
  const out = join(TMP, `${id}.debug`);
  const fd = openSync(out, 'w');
  const r = spawnSync(rt.bin, ['--debug', '--root', rt.root, 'create', '--bundle', BUNDLE, id], {
    stdio: ['ignore', 'ignore', fd],
    env: envNoCA,
    cwd: TMP,
    detached: true,
  });
  closeSync(fd);
  const text = readFileSync(out, 'utf8');
  rmSync(out, { force: true });
  if (r.status === 0) {
    for (const m of text.matchAll(/level=debug msg="create: (.+?) ([\d.]+) ms"/g)) add(`create phase: ${m[1]}`, 'tsrun', Number(m[2]));
  } else fail('create (debug)', 'tsrun', text.slice(-400));
  forceDelete(rt, id);
}

const FLOORS = {
  node: () => timed(NODE, ['-e', '0']),
  node_ca: () => timed(NODE, ['-e', '0'], { env: envCA }),
  node_koffi: () => timed(NODE, ['-e', "require('koffi')"], { cwd: TSRUN_DIR }),
  unshare_true: () => timed(which('unshare'), ['--pid', '--fork', '--mount', '--uts', '--ipc', '--net', which('busybox'), 'true']),
};
const FLOOR_LABEL = {
  node: '`node -e 0`',
  node_ca: '`node -e 0`, NODE_EXTRA_CA_CERTS set',
  node_koffi: '`node -e "require(\'koffi\')"`',
  unshare_true: '`unshare -p -f -m -u -i -n busybox true`',
};
function floor(name) {
  const r = FLOORS[name]();
  if (r.status === 0) {
    addRun(`floor:${name}`, 'host', r);
    if (name === 'node') add('node_maxrss_kib', 'host', r.maxrssKiB);
    if (name === 'node') add('node_minflt', 'host', r.minflt);
  } else fail(`floor:${name}`, 'host', `${name}: exit ${r.status} ${r.error ?? ''}`);
}

// The least Node program for each short command (bench/least.cjs), behind
// tsrun's launcher, on containers tsrun creates: what any runtime written for
// Node pays on this host. Its create validates config.json as tsrun must and
// hands the kernel's work to crun, as tsrun hands it to its C executor.
const LEAST = { name: 'least', bin: join(TOP, 'bench/least.cjs'), err: join(TMP, 'least.stderr') };
function leastEnv() {
  const koffi = `@koromix/koffi-linux-${process.arch}/linux_${process.arch}/koffi.node`;
  return {
    ...envNoCA,
    LEAST_VALIDATOR: process.env.BENCH_LEAST_VALIDATOR ?? '',
    LEAST_KOFFI: createRequire(join(TSRUN_DIR, 'package.json')).resolve(koffi),
    LEAST_LIBRARY: join(TSRUN_DIR, 'dist/index.cjs'),
  };
}
function leastCmd(root, args, what) {
  const fd = errFdOf(LEAST);
  const from = fstatSync(fd).size;
  const r = timed(LEAST.bin, ['--root', root, ...args], { env: (LEAST.env ??= leastEnv()), stderr: fd });
  if (r.status !== 0) fail(what, 'least', `least ${args.join(' ')}: ${r.signal ? `signal ${r.signal}` : `exit ${r.status}`}: ${errTail(LEAST, from)}`);
  return r;
}
/**
 * On three containers tsrun creates: state (bare and through the library),
 * start and delete; kill and delete; kill through the library. Then create,
 * through crun.
 */
function least() {
  const ts = RUNTIMES[0];
  const rounds = [
    [
      ['state', 'least', 'state'],
      ['state', 'least-library', 'library-state'],
      ['start', 'least', 'start'],
    ],
    [['kill', 'least', 'kill', 'KILL']],
    [['kill', 'least-library', 'library-kill', 'KILL']],
  ];
  for (const [i, steps] of rounds.entries()) {
    const id = newId(ts);
    const pf = pidFileOf(ts, id);
    if (rtCmd(ts, ['create', '--bundle', BUNDLE, '--pid-file', pf, id], 'create (for least)').status !== 0) return forceDelete(ts, id);
    const pid = readPid(pf);
    rmSync(pf, { force: true });
    for (const [metric, subject, command, ...args] of steps) {
      const r = leastCmd(ts.root, [command, id, ...args], metric);
      if (r.status !== 0) return forceDelete(ts, id);
      addRun(metric, subject, r);
    }
    waitExitSync(pid);
    const d = leastCmd(ts.root, ['delete', id], 'delete');
    if (d.status !== 0) return forceDelete(ts, id);
    if (i < 2) addRun(i === 0 ? 'delete' : 'delete_after_kill', 'least', d);
  }
  const crun = RUNTIMES.find((r) => r.name === 'crun' && active.includes(r));
  if (!crun || !process.env.BENCH_LEAST_VALIDATOR) return;
  const id = newId(crun);
  const c = leastCmd(crun.root, ['create', '--bundle', BUNDLE, '--pid-file', pidFileOf(crun, id), id], 'create');
  if (c.status === 0) {
    addRun('create', 'least', c);
    add('create_maxrss_kib', 'least', c.maxrssKiB);
  }
  forceDelete(crun, id);
  rmSync(pidFileOf(crun, id), { force: true });
}

// The library lifecycle runs in a long-lived worker process (lib-worker.mjs).
const LIB = { name: 'tsrun-lib', root: join(STATE, 'root-tsrun-lib'), n: 0 };
let worker;
let workerInfo;
async function startWorker() {
  const fd = openSync(join(TMP, 'tsrun-lib.stderr'), 'a');
  worker = spawn(NODE, [join(TOP, 'bench/lib-worker.mjs'), LIB.root, TSRUN_DIR], {
    stdio: ['ignore', 'ignore', fd, 'ipc'],
    env: envNoCA,
    cwd: TMP,
    detached: true,
  });
  worker.on('error', () => {}); // a send after it died: library() sees the exit
  workerInfo = await new Promise((res, rej) => {
    worker.once('message', res);
    worker.once('exit', (c) => rej(new Error(`lib-worker exited ${c}: ${readFileSync(join(TMP, 'tsrun-lib.stderr'), 'utf8').slice(-500)}`)));
  });
}
async function library() {
  const id = newId(LIB);
  const reply = await new Promise((res) => {
    if (worker.exitCode !== null || worker.signalCode !== null) return res({ error: 'lib-worker is gone' });
    const gone = () => res({ error: 'lib-worker exited' });
    worker.once('exit', gone);
    worker.once('message', (m) => {
      worker.off('exit', gone);
      res(m);
    });
    worker.send({ id, bundle: BUNDLE, pidFile: join(STATE, `${id}.pid`) });
  });
  rmSync(join(STATE, `${id}.pid`), { force: true });
  if (reply.error) return fail('library lifecycle', 'tsrun', reply.error);
  for (const k of ['lifecycle', 'create', 'start', 'wait', 'delete']) add(`lib:${k}`, 'tsrun', reply[k]);
  for (const [phase, v] of Object.entries(reply.phases ?? {})) add(`create phase: ${phase}`, 'tsrun-lib', v);
}

// Parallel: PAR lifecycles at once, async spawns; the wall time of all.
function spawnAsync(rt, args) {
  return new Promise((res) => {
    const p = spawn(rt.bin, ['--root', rt.root, ...args], { stdio: ['ignore', 'ignore', errFdOf(rt)], env: envNoCA, cwd: TMP, detached: true });
    p.on('error', (e) => res({ status: -1, error: e }));
    p.on('exit', (status, signal) => res({ status, signal }));
  });
}
async function lifecycleAsync(rt) {
  const id = newId(rt);
  const pf = pidFileOf(rt, id);
  try {
    for (const [step, args] of [
      ['create', ['create', '--bundle', BUNDLE, '--pid-file', pf, id]],
      ['start', ['start', id]],
    ]) {
      const r = await spawnAsync(rt, args);
      if (r.status !== 0) throw new Error(`${step}: exit ${r.status}`);
    }
    await waitExitAsync(readPid(pf));
    const r = await spawnAsync(rt, ['delete', id]);
    if (r.status !== 0) throw new Error(`delete: exit ${r.status}`);
    return true;
  } catch (e) {
    fail('parallel', rt.name, `${rt.name} parallel ${id}: ${e.message}`);
    forceDelete(rt, id);
    return false;
  } finally {
    rmSync(pf, { force: true });
  }
}
async function parallel(rt) {
  const t0 = process.hrtime.bigint();
  const ok = await Promise.all(Array.from({ length: PAR }, () => lifecycleAsync(rt)));
  const t = ms(t0, process.hrtime.bigint());
  if (ok.every(Boolean)) add('parallel', rt.name, t);
}

/** The memory limit of pid's cgroup in bytes (v1 memory.limit_in_bytes or v2 memory.max), or null. */
function memoryLimitOf(pid) {
  try {
    for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
      const [, ctrls, path] = line.split(':');
      if (ctrls?.split(',').includes('memory')) return Number(readFileSync(`/sys/fs/cgroup/memory${path}/memory.limit_in_bytes`, 'utf8'));
      if (ctrls === '' && path && existsSync(`/sys/fs/cgroup${path}/memory.max`)) return Number(readFileSync(`/sys/fs/cgroup${path}/memory.max`, 'utf8')) || null;
    }
  } catch {
    /* gone, or no memory controller */
  }
  return null;
}

// Memory limits: does /bin/true run at all under a tiny limit? `run` says
// whether it ran; a separate create shows the limit the init really got.
function memoryTest(rt, bytes) {
  const bundle = memBundle(bytes);
  const fd = errFdOf(rt);
  const id = newId(rt);
  const from = fstatSync(fd).size;
  const r = timed(rt.bin, ['--root', rt.root, 'run', '--bundle', bundle, id], { stderr: fd });
  const res = { runtime: rt.name, limit: bytes, ok: r.status === 0, status: r.status, signal: r.signal, ms: r.ms, stderr: errTail(rt, from).slice(-300) };
  forceDelete(rt, id);
  const id2 = newId(rt);
  const pf = pidFileOf(rt, id2);
  const c = timed(rt.bin, ['--root', rt.root, 'create', '--bundle', bundle, '--pid-file', pf, id2], { stderr: fd });
  if (c.status === 0 && existsSync(pf)) res.cgroupLimit = memoryLimitOf(readPid(pf));
  forceDelete(rt, id2);
  rmSync(pf, { force: true });
  return res;
}

// Seccomp: compile time of the default profile (bench/seccomp-compile.ts, bundled with esbuild).
async function seccompBench() {
  const src = join(TOP, 'bench/seccomp-compile.ts');
  if (!existsSync(src)) return { skipped: 'bench/seccomp-compile.ts not found' };
  const out = join(TMP, 'seccomp-bench.mjs');
  try {
    const { build } = await import('esbuild');
    await build({ entryPoints: [src], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'silent', external: ['koffi'] });
  } catch (e) {
    return { skipped: `esbuild of bench/seccomp-compile.ts failed: ${String(e.message ?? e).split('\n')[0]}` };
  }
  const runs = [];
  const procs = Math.max(3, Math.min(10, Math.round(N / 3)));
  for (let i = 0; i < procs; i++) {
    const code = `const m = await import(${JSON.stringify(pathToFileURL(out).href)}); console.log(JSON.stringify(await m.benchCompile(${i === 0 ? 2000 : 50})));`;
    const r = spawnSync(NODE, ['--input-type=module', '-e', code], { encoding: 'utf8', env: envNoCA, cwd: TMP, detached: true });
    if (r.status !== 0) return { skipped: `seccomp-compile failed: ${r.stderr.slice(-300)}` };
    runs.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  return {
    processes: procs,
    instructions: runs[0].instructions,
    importMs: runs.map((r) => r.importMs),
    firstMs: runs.map((r) => r.firstMs),
    warmMedianMs: runs[0].medianMs,
    warmP90Ms: runs[0].p90Ms,
    warmIterations: runs[0].iterations,
  };
}

// ---------------------------------------------------------------- statistics and output

function stats(a) {
  if (!a?.length) return null;
  const s = [...a].sort((x, y) => x - y);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { n, median, p90: s[Math.min(n - 1, Math.ceil(0.9 * n) - 1)], min: s[0], max: s[n - 1], mean: s.reduce((x, y) => x + y, 0) / n };
}
const fmt = (v, unit = 'ms') => {
  if (v == null) return '–';
  if (unit === 'KiB') return v >= 1024 ? `${(v / 1024).toFixed(1)} MiB` : `${Math.round(v)} KiB`;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
};
const ratio = (a, b) => (a == null || b == null || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);
function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle(a, rnd) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// ---------------------------------------------------------------- main

let meta;
let active = [];
let excluded = {};
let memory = [];
let seccomp;
if (REPORT) {
  ({ meta, excluded, samples, failures, failMessages, memory, seccomp } = JSON.parse(readFileSync(REPORT, 'utf8')));
} else {
  const started = new Date();
  meta = {
    date: started.toISOString(),
    host: hostname(),
    nproc: cpus().length,
    cpu: cpus()[0]?.model,
    memMiB: Math.round(totalmem() / 2 ** 20),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    node: process.version,
    tsrun: firstLine(RUNTIMES[0].bin, ['--version']) + ' ' + (spawnSync(RUNTIMES[0].bin, ['--version'], { encoding: 'utf8' }).stdout.match(/commit: (\S+)/)?.[1] ?? ''),
    runc: RUNTIMES[1].bin ? firstLine(RUNTIMES[1].bin, ['--version']) : null,
    crun: RUNTIMES[2].bin ? firstLine(RUNTIMES[2].bin, ['--version']) : null,
    hideCgroup2: process.env.BENCH_HIDE_CGROUP2 === '1',
    stateFs: spawnSync('stat', ['-f', '-c', '%T', STATE], { encoding: 'utf8' }).stdout.trim(),
    cgroupMounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => / - cgroup2? /.test(l))
      .map((l) => l.split(' ')[4]),
    n: N,
    warmup: WARMUP,
    parallel: { lifecycles: PAR, repetitions: PAR_N },
    seed: SEED,
    loadavgStart: loadavg(),
  };

  active = RUNTIMES.filter((r) => r.bin);
  for (const r of RUNTIMES.filter((r) => !r.bin)) excluded[r.name] = 'not installed';

  function cleanupAll() {
    for (const rt of [...RUNTIMES, { ...LIB, bin: RUNTIMES[0].bin }]) {
      if (!rt.bin || !existsSync(rt.root)) continue;
      for (const id of readdirSync(rt.root)) {
        if (statSync(join(rt.root, id)).isDirectory()) forceDelete(rt, id);
      }
    }
  }
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      interrupted = true;
    });
  }

  try {
    for (const rt of RUNTIMES) mkdirSync(rt.root, { recursive: true });
    mkdirSync(LIB.root, { recursive: true });

    // Preflight: one lifecycle each; a runtime that cannot run the bundle is left out, with the reason.
    for (const rt of [...active]) {
      const before = failMessages.length;
      lifecycle(rt);
      steps(rt);
      if (failMessages.length > before) {
        excluded[rt.name] = failMessages.slice(before).join(' | ');
        active = active.filter((r) => r !== rt);
        log(`bench: leaving out ${rt.name}: ${excluded[rt.name]}`);
      }
    }
    if (!active.some((r) => r.name === 'tsrun')) throw new Error(`tsrun cannot run the bundle: ${excluded.tsrun}`);
    await startWorker();
    meta.libImportMs = workerInfo.importMs;

    const tasks = [
      ...active.flatMap((rt) => [() => lifecycle(rt), () => steps(rt), () => run(rt), () => version(rt)]),
      ...Object.keys(FLOORS).map((f) => () => floor(f)),
      () => library(),
      () => tsrunPhases(RUNTIMES[0]),
      () => least(),
    ];
    const rnd = mulberry32(SEED);
    const t0 = Date.now();
    for (let it = -WARMUP; it < N && !interrupted; it++) {
      recording = it >= 0;
      for (const task of shuffle([...tasks], rnd)) {
        if (interrupted) break;
        await task();
      }
      if (it === 0 || (it + 1) % 10 === 0) log(`bench: iteration ${it + 1}/${N} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    recording = true;
    for (let i = 0; i < PAR_N && !interrupted; i++) {
      for (const rt of shuffle([...active], rnd)) await parallel(rt);
    }
    if (!interrupted) log(`bench: parallel done (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    for (const rt of active) {
      for (const bytes of [4 << 20, 512 << 10]) if (!interrupted) memory.push(memoryTest(rt, bytes));
    }
    if (!interrupted) seccomp = await seccompBench();
  } finally {
    try {
      worker?.send({ exit: true });
    } catch {
      /* gone */
    }
    cleanupAll();
    for (const fd of errFd.values()) closeSync(fd);
    errFd = new Map();
  }
  if (interrupted) {
    log('bench: interrupted; containers deleted, nothing written');
    process.exit(130);
  }
  meta.loadavgEnd = loadavg();
  meta.seconds = Math.round((Date.now() - started.getTime()) / 1000);
}

// ---------------------------------------------------------------- report

const S = (metric, subject) => stats(samples[metric]?.[subject]);
const med = (metric, subject) => S(metric, subject)?.median ?? null;
const floorMs = med('floor:node', 'host');
const floorCpu = med('cpu:floor:node', 'host');
const cpuVs = (k, times = 1) => {
  const c = med(`cpu:${k}`, 'tsrun');
  return c != null && floorCpu ? `; CPU ${(c / (times * floorCpu)).toFixed(2)}×` : '';
};
const names = ['tsrun', 'runc', 'crun'];

const ROWS = [
  ['lifecycle', 'lifecycle create→start→exit→delete'],
  ['run', '`run` /bin/true'],
  ['create', 'create'],
  ['start', 'start'],
  ['state', 'state (created container)'],
  ['kill', 'kill KILL (created container)'],
  ['delete', 'delete (stopped container)'],
  ['delete_after_kill', 'delete (after kill)'],
  ['wait', '(in the lifecycle: start returned → init exited)'],
  ['version', '`--version`'],
  ['parallel', `${PAR} lifecycles in parallel (wall)`],
];

function runtimeTable() {
  const out = [];
  out.push('| ms | tsrun median | p90 | min | runc median | p90 | min | crun median | p90 | min | tsrun/runc | tsrun/crun |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [k, label] of ROWS) {
    const st = names.map((n) => S(k, n));
    if (!st.some(Boolean)) continue;
    const cells = st.flatMap((s) => (s ? [fmt(s.median), fmt(s.p90), fmt(s.min)] : ['–', '–', '–']));
    out.push(`| ${label} | ${cells.join(' | ')} | ${ratio(st[0]?.median, st[1]?.median)} | ${ratio(st[0]?.median, st[2]?.median)} |`);
  }
  // The library lifecycle, against the CLIs.
  const lib = S('lib:lifecycle', 'tsrun');
  if (lib) {
    out.push(
      `| lifecycle through the library (dist/index.cjs, one Node process) | ${fmt(lib.median)} | ${fmt(lib.p90)} | ${fmt(lib.min)} | | | | | | | ${ratio(lib.median, med('lifecycle', 'runc'))} | ${ratio(lib.median, med('lifecycle', 'crun'))} |`,
    );
  }
  return out;
}
function rssTable() {
  const out = ['| memory | tsrun median | min | max | runc median | crun median |', '|---|---:|---:|---:|---:|---:|'];
  for (const [k, label] of [
    ['create_maxrss_kib', 'peak RSS of `create` (wait4 ru_maxrss)'],
    ['init_rss_kib', 'VmRSS of the waiting init (after create)'],
  ]) {
    const st = names.map((n) => S(k, n));
    out.push(`| ${label} | ${fmt(st[0]?.median, 'KiB')} | ${fmt(st[0]?.min, 'KiB')} | ${fmt(st[0]?.max, 'KiB')} | ${fmt(st[1]?.median, 'KiB')} | ${fmt(st[2]?.median, 'KiB')} |`);
  }
  const n = S('node_maxrss_kib', 'host');
  if (n) out.push(`| (for scale: peak RSS of \`node -e 0\`) | ${fmt(n.median, 'KiB')} | ${fmt(n.min, 'KiB')} | ${fmt(n.max, 'KiB')} | | |`);
  // Each first touch of a page: about 12 µs on this VM (docs/bench.md, "Session 10"), so a steadier measure of a command's memory cost than its wall time.
  const f = names.map((x) => S('create_minflt', x));
  if (f[0]) out.push(`| minor page faults of \`create\` (wait4 ru_minflt) | ${fmt(f[0].median)} | ${fmt(f[0].min)} | ${fmt(f[0].max)} | ${fmt(f[1]?.median)} | ${fmt(f[2]?.median)} |`);
  const nf = S('node_minflt', 'host');
  if (nf) out.push(`| (for scale: minor page faults of \`node -e 0\`) | ${fmt(nf.median)} | ${fmt(nf.min)} | ${fmt(nf.max)} | | |`);
  return out;
}
function cpuTable() {
  if (!Object.keys(samples).some((k) => k.startsWith('cpu:'))) return [];
  const out = [
    '| CPU ms (user+sys of the command and the children it waited for) | tsrun median | min | runc median | min | crun median | min | tsrun/runc | tsrun/crun |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [k, label] of ROWS) {
    const st = names.map((n) => S(`cpu:${k}`, n));
    if (!st.some(Boolean)) continue;
    out.push(`| ${label} | ${st.flatMap((x) => [fmt(x?.median), fmt(x?.min)]).join(' | ')} | ${ratio(st[0]?.median, st[1]?.median)} | ${ratio(st[0]?.median, st[2]?.median)} |`);
  }
  for (const f of Object.keys(FLOORS)) {
    const x = S(`cpu:floor:${f}`, 'host');
    if (x) out.push(`| ${FLOOR_LABEL[f]} | ${fmt(x.median)} | ${fmt(x.min)} | | | | | | |`);
  }
  return out;
}
function floorTable() {
  const out = ['| floor | median | p90 | min |', '|---|---:|---:|---:|'];
  for (const f of Object.keys(FLOORS)) {
    const s = S(`floor:${f}`, 'host');
    if (s) out.push(`| ${FLOOR_LABEL[f]} | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.min)} |`);
  }
  for (const k of ['create', 'start', 'delete', 'wait']) {
    const s = S(`lib:${k}`, 'tsrun');
    if (s) out.push(`| library ${k} (in-process, warm) | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.min)} |`);
  }
  if (meta.libImportMs != null) out.push(`| library import (dist/index.cjs, once) | ${fmt(meta.libImportMs)} | | |`);
  return out;
}
function phaseTable() {
  const keys = Object.keys(samples).filter((k) => k.startsWith('create phase: '));
  if (!keys.length) return [];
  const out = ['| create phase (`tsrun --debug create`) | CLI median | p90 | min | library (warm) median | p90 | min |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const k of keys) {
    const s = S(k, 'tsrun');
    const l = S(k, 'tsrun-lib');
    out.push(`| ${k.slice('create phase: '.length)} | ${fmt(s?.median)} | ${fmt(s?.p90)} | ${fmt(s?.min)} | ${fmt(l?.median)} | ${fmt(l?.p90)} | ${fmt(l?.min)} |`);
  }
  return out;
}

const targets = [];
/**
 * One target of #14 or #9. `least`: the same ratio for bench/least.cjs,
 * the least a Node program does for that command; when it misses the limit
 * too, no runtime in Node reaches the target on this host.
 */
function target(what, measured, limit, pass, detail, least) {
  targets.push({ what, measured, limit, pass, detail, least });
}
const leastOf = (ratio, limitRatio, unit = '×') => (ratio == null ? undefined : { text: `${ratio.toFixed(2)}${unit}`, pass: ratio <= limitRatio });
// The targets of the performance issue (#14), each a ratio measured in this run.
if (floorMs) {
  for (const k of ['state', 'kill', 'start', 'delete']) {
    const m = med(k, 'tsrun');
    const l = med(k, 'least');
    const lib = med(k, 'least-library');
    const least = leastOf(l && l / floorMs, 1.1);
    // state and kill: also the thinnest CLI over the library (bench/least.cjs library-state, library-kill).
    if (least && lib != null) least.note = `through the library alone (no CLI) ${(lib / floorMs).toFixed(2)}×${lib <= 1.1 * floorMs ? '' : ', over the limit'}`;
    if (m != null) target(`${k} ≤ 1.1× node floor`, `${fmt(m)} ms`, `${fmt(1.1 * floorMs)} ms`, m <= 1.1 * floorMs, `${(m / floorMs).toFixed(2)}× floor${cpuVs(k)}`, least);
  }
  const c = med('create', 'tsrun');
  const lc = med('create', 'least');
  if (c != null)
    target('create ≤ 1.5× node floor', `${fmt(c)} ms`, `${fmt(1.5 * floorMs)} ms`, c <= 1.5 * floorMs, `${(c / floorMs).toFixed(2)}× floor${cpuVs('create')}`, leastOf(lc && lc / floorMs, 1.5));
  const l = med('lifecycle', 'tsrun');
  // The least program's lifecycle: its create, start and delete, and tsrun's wait for the init's exit (the container's own time).
  const parts = ['create', 'start', 'delete'].map((k) => med(k, 'least'));
  const ll = parts.every((x) => x != null) && med('wait', 'tsrun') != null ? parts.reduce((a, b) => a + b, 0) + med('wait', 'tsrun') : null;
  if (l != null)
    target(
      'CLI lifecycle ≤ 1.2× three node floors',
      `${fmt(l)} ms`,
      `${fmt(3.6 * floorMs)} ms`,
      l <= 3.6 * floorMs,
      `${(l / (3 * floorMs)).toFixed(2)}× 3 floors${cpuVs('lifecycle', 3)}`,
      leastOf(ll && ll / (3 * floorMs), 1.2),
    );
}
{
  const u = med('floor:unshare_true', 'host');
  for (const [who, rt] of [
    ['CLI', 'tsrun'],
    ['library', 'tsrun-lib'],
  ]) {
    const clone = med('create phase: clone', rt);
    if (u != null && clone != null) target(`create's clone phase (${who}) ≤ 2× unshare+exec floor`, `${fmt(clone)} ms`, `${fmt(2 * u)} ms`, clone <= 2 * u, `${(clone / u).toFixed(2)}× floor`);
  }
  const l = med('lib:lifecycle', 'tsrun');
  if (u != null && l != null) target('library lifecycle ≤ 3× unshare+exec floor', `${fmt(l)} ms`, `${fmt(3 * u)} ms`, l <= 3 * u, `${(l / u).toFixed(2)}× floor`);
  const c = med('lifecycle', 'crun');
  if (l != null && c != null) target("library lifecycle ≤ 0.5× crun's CLI lifecycle", `${fmt(l)} ms`, `${fmt(0.5 * c)} ms`, l <= 0.5 * c, `${(l / c).toFixed(2)}× crun`);
  const p = med('parallel', 'tsrun');
  const pr = med('parallel', 'runc');
  // The least program's ten lifecycles in parallel, estimated from its CPU time (it has no lifecycle of its own to
  // run ten of: its create is crun's): ten of its create, start and delete, spread over this host's CPUs as fully as
  // tsrun's own ten in this run keep them busy (tsrun's CPU time over its wall time; at best all of it).
  const leastCpu = ['create', 'start', 'delete'].map((k) => med(`cpu:${k}`, 'least'));
  const tsrunCpu = med('cpu:lifecycle', 'tsrun');
  const busy = p != null && tsrunCpu != null ? Math.min(1, (PAR * tsrunCpu) / meta.nproc / p) : null;
  const leastCpuMs = leastCpu.every((x) => x != null) ? (PAR * leastCpu.reduce((a, b) => a + b, 0)) / meta.nproc : null;
  const leastPar = leastCpuMs != null && busy ? leastOf(leastCpuMs / busy / pr, 1.5, '× runc') : undefined;
  if (leastPar)
    leastPar.note = `estimated: its CPU time over ${meta.nproc} CPUs kept ${(100 * busy).toFixed(0)}% busy, as tsrun's ten keep them (${(leastCpuMs / pr).toFixed(2)}× were they busy all the time)`;
  if (p != null && pr != null) target(`${PAR} CLI lifecycles in parallel ≤ 1.5× runc's wall time`, `${fmt(p)} ms`, `${fmt(1.5 * pr)} ms`, p <= 1.5 * pr, `${(p / pr).toFixed(2)}× runc`, leastPar);
  const m = med('create_maxrss_kib', 'tsrun');
  const mr = med('create_maxrss_kib', 'runc');
  const ml = med('create_maxrss_kib', 'least');
  if (m != null && mr != null) target("peak RSS of `tsrun create` ≤ runc's", fmt(m, 'KiB'), fmt(mr, 'KiB'), m <= mr, `${(m / mr).toFixed(2)}× runc`, leastOf(ml && ml / mr, 1, '× runc'));
}
{
  const r = med('init_rss_kib', 'tsrun');
  if (r != null) target('waiting init ≤ 1 MiB RSS', fmt(r, 'KiB'), '1.0 MiB', r <= 1024, `${(r / 1024).toFixed(2)} MiB`);
}
function targetTable() {
  return [
    '| target (medians, wall) | tsrun | limit | | ratio (and the same ratio in CPU time) | the least Node program (bench/least.cjs) |',
    '|---|---:|---:|---|---|---|',
    ...targets.map(
      (t) =>
        `| ${t.what} | ${t.measured} | ${t.limit} | ${t.pass ? '**pass**' : '**miss**'} | ${t.detail} | ${t.least ? `${t.least.text}: ${t.least.pass ? 'within the limit' : 'misses it too, out of reach in Node'}${t.least.note ? `; ${t.least.note}` : ''}` : ''} |`,
    ),
  ];
}
function memoryTable() {
  if (!memory.length) return [];
  return [
    "| memory limit | runtime | `run` /bin/true | limit in the init's cgroup after `create` | note |",
    '|---|---|---|---|---|',
    ...memory.map(
      (m) =>
        `| ${kib(m.limit)} | ${m.runtime} | ${m.ok ? 'ran' : 'failed'} | ${m.cgroupLimit == null ? '–' : kib(m.cgroupLimit)} | ${m.ok ? '' : (m.signal ? `signal ${m.signal}` : `exit ${m.status}`) + ': ' + m.stderr.split('\n').pop().replace(/\|/g, '\\|').slice(0, 300)} |`,
    ),
  ];
}
function kib(bytes) {
  return bytes >= 1 << 20 && bytes % (1 << 20) === 0 ? `${bytes >> 20} MiB` : bytes % 1024 === 0 ? `${bytes >> 10} KiB` : `${bytes} B`;
}
function seccompLines() {
  if (!seccomp) return [];
  if (seccomp.skipped) return [`Seccomp compile: skipped (${seccomp.skipped}).`];
  const imp = stats(seccomp.importMs);
  const first = stats(seccomp.firstMs);
  return [
    `Seccomp: compiling the Docker-like default profile (${seccomp.instructions} BPF instructions): loading the compiler ${fmt(imp.median)} ms, ` +
      `first compile in a fresh process ${fmt(first.median)} ms (median of ${seccomp.processes} processes, min ${fmt(first.min)}), ` +
      `warm ${seccomp.warmMedianMs.toFixed(3)} ms median, p90 ${seccomp.warmP90Ms.toFixed(3)} ms over ${seccomp.warmIterations}.`,
  ];
}

const md = [
  `## tsrun vs runc vs crun — ${meta.date.slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `Machine: ${meta.nproc} CPUs (${meta.cpu}), ${meta.memMiB} MiB, kernel ${meta.kernel}, Node ${meta.node}. ` +
    `${meta.tsrun}; ${meta.runc}; ${meta.crun}. N=${meta.n} per measure (+${meta.warmup} warm-up), ${meta.parallel.repetitions}× the parallel measure, interleaved in shuffled order (seed ${meta.seed}). ` +
    `Load average ${meta.loadavgStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${meta.loadavgEnd.map((x) => x.toFixed(2)).join(' ')} at the end; ${meta.seconds} s in all.` +
    ` State roots (--root) on ${meta.stateFs}.` +
    (meta.hideCgroup2 ? ' Run in a private mount namespace with the hybrid cgroup2 mount /sys/fs/cgroup/unified unmounted (crun 1.8 refuses hybrid hosts), so all three see cgroup v1 only.' : ''),
  '',
  ...runtimeTable(),
  '',
  ...rssTable(),
  '',
  ...floorTable(),
  '',
  ...cpuTable(),
  '',
  ...targetTable(),
  '',
  ...memoryTable(),
  '',
  ...seccompLines(),
  '',
  ...phaseTable(),
  '',
  ...Object.entries(excluded).map(([n, why]) => `Left out: ${n}: ${why}`),
  ...Object.entries(failures).flatMap(([m, o]) => Object.entries(o).map(([s, c]) => `Failures: ${m} ${s}: ${c}`)),
  meta.loadavgStart[0] > meta.nproc || meta.loadavgEnd[0] > meta.nproc
    ? `\nNote: the load average exceeded the CPU count during the run: absolute times are inflated; the ratios, measured interleaved, hold better.`
    : '',
].join('\n');

const summary = {};
for (const [m, o] of Object.entries(samples)) {
  summary[m] = {};
  for (const [s, a] of Object.entries(o)) summary[m][s] = stats(a);
}
const stamp = meta.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
mkdirSync(RESULTS, { recursive: true });
const jsonPath = REPORT ?? join(RESULTS, `${stamp}.json`);
if (!REPORT) writeFileSync(jsonPath, JSON.stringify({ meta, excluded, samples, summary, failures, failMessages, targets, memory, seccomp }, null, 1) + '\n');
writeFileSync(join(RESULTS, 'latest.md'), md + '\n');
writeFileSync(
  CHART,
  renderChart({
    title: `tsrun ${meta.tsrun.split(' ').pop()} vs runc ${meta.runc?.split(' ')[2] ?? '–'} vs crun ${meta.crun?.split(' ')[2] ?? '–'}: medians of ${meta.n} interleaved runs`,
    subtitle: `${meta.date.slice(0, 10)}, ${meta.nproc} CPUs, kernel ${meta.kernel}, Node ${meta.node}, busybox /bin/true; load average ${meta.loadavgStart[0].toFixed(1)} → ${meta.loadavgEnd[0].toFixed(1)}`,
    floor: floorMs,
    panels: [
      {
        title: 'one container, ms (median; lower is better)',
        rows: [
          ['lifecycle', 'create→start→exit→delete'],
          ['lib:lifecycle', 'lifecycle via library'],
          ['run', 'run'],
          ['create', 'create'],
          ['start', 'start'],
          ['state', 'state'],
          ['kill', 'kill'],
          ['delete', 'delete'],
          ['version', '--version'],
        ].map(([k, label]) => ({ label, values: k.startsWith('lib:') ? { tsrun: med(k, 'tsrun') } : Object.fromEntries(names.map((n) => [n, med(k, n)])) })),
      },
      {
        title: `${PAR} lifecycles in parallel, wall ms`,
        rows: [{ label: `${PAR} in parallel`, values: Object.fromEntries(names.map((n) => [n, med('parallel', n)])) }],
      },
      {
        title: 'RSS, MiB',
        unit: 'MiB',
        rows: [
          ['create_maxrss_kib', 'create (peak)'],
          ['init_rss_kib', 'waiting init'],
        ].map(([k, label]) => ({ label, values: Object.fromEntries(names.map((n) => [n, med(k, n) == null ? null : med(k, n) / 1024])) })),
      },
    ],
  }),
);
process.stdout.write(md + '\n');
log(`bench: wrote ${REPORT ? '' : jsonPath + ', '}${join(RESULTS, 'latest.md')}, ${CHART}`);
if (OWN_TMP && !REPORT) rmSync(TMP, { recursive: true, force: true });
