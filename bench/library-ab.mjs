// A/B of the library's bursts: builds of tsrun (directories holding dist/),
// each with its own Runtime in this one process, take turns running bursts
// of K concurrent lifecycles of /bin/true, R rounds (the order reverses each
// round, so that neither always follows the other). Prints, per build, the
// medians of throughput and of the longest event-loop block per burst, the
// worst block, and the CPU per container of this process's main thread and of
// the whole machine (/proc/stat). Run through bench/library-ab.sh.
//   DIR[@LIMIT] ...   LIMIT: that Runtime's setUpConcurrency (default: the library's)
//   env R (rounds, default 20), K (burst size, default 50), BENCH_STATE (state roots)
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const TOP = new URL('..', import.meta.url).pathname;
const req = createRequire(import.meta.url);
const builds = process.argv.slice(2);
if (builds.length === 0) throw new Error('usage: library-ab.mjs DIR[@LIMIT] ...');
const spec = JSON.parse(readFileSync(join(TOP, 'bundles/busybox/config.json'), 'utf8'));
spec.root = { path: join(TOP, 'bundles/busybox/rootfs'), readonly: true };
spec.process.terminal = false;
spec.process.args = ['/bin/true'];
const runtimes = builds.map((arg) => {
  const [dir, limit] = arg.split('@');
  const { Runtime } = req(join(dir, 'dist/index.cjs'));
  return new Runtime({ root: mkdtempSync(join(process.env.BENCH_STATE ?? '/tmp', 'ab-')), setUpConcurrency: limit ? Number(limit) : undefined });
});
let seq = 0;
const lifecycle = (rt) => async () => {
  const c = await rt.create(`ab${++seq}`, { spec, stdio: ['ignore', 'ignore', 'ignore'] });
  await c.start();
  const st = await c.wait();
  await c.delete();
  if (st.exitCode !== 0) throw new Error(`exit ${JSON.stringify(st)}`);
};
/** CPU ms of this process's main thread (schedstat: on a CPU, in ns). */
const mainMs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ')[0]) / 1e6;
/** Busy CPU ms of the whole machine (user, nice, system, irq, softirq; USER_HZ 100). */
const machineMs = () => {
  const f = readFileSync('/proc/stat', 'latin1').split('\n')[0].split(/\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2] + f[5] + f[6]) * 10;
};
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

for (const rt of runtimes) for (let i = 0; i < 30; i++) await lifecycle(rt)(); // warm: code loaded and compiled
const R = Number(process.env.R ?? 20);
const K = Number(process.env.K ?? 50);
const got = builds.map(() => ({ rate: [], block: [], main: [], machine: [] }));
for (let r = 0; r < R; r++) {
  const order = [...builds.keys()];
  if (r % 2) order.reverse();
  for (const i of order) {
    const h = monitorEventLoopDelay({ resolution: 1 });
    const m0 = mainMs();
    const b0 = machineMs();
    h.enable();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: K }, lifecycle(runtimes[i])));
    const ms = performance.now() - t0;
    h.disable();
    got[i].rate.push((K / ms) * 1000);
    got[i].block.push(h.max / 1e6);
    got[i].main.push((mainMs() - m0) / K);
    got[i].machine.push((machineMs() - b0) / K);
  }
}
console.log(`${R} rounds of a burst of ${K} per build (medians)\n`);
console.log('| build | containers/s | longest block per burst | worst | main thread CPU per container | machine CPU per container |');
console.log('|---|---:|---:|---:|---:|---:|');
builds.forEach((b, i) => {
  const g = got[i];
  console.log(
    `| ${b} | ${median(g.rate).toFixed(1)} | ${median(g.block).toFixed(1)} ms | ${Math.max(...g.block).toFixed(1)} ms | ${median(g.main).toFixed(2)} ms | ${median(g.machine).toFixed(1)} ms |`,
  );
});
