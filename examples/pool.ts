// Runs many short jobs, each in its own container, a few at a time, and
// reports every exit code: the shape of a CI runner or a sandbox service.
//   node examples/pool.ts [JOBS] [CONCURRENCY] [ROOTFS]    (as root)
import { Runtime, defaultSpec, TsrunError, type RunResult } from 'tsrun';

const jobs = Number(process.argv[2] ?? 100);
const concurrency = Number(process.argv[3] ?? 8);
const rootfs = process.argv[4] ?? 'bundles/busybox/rootfs';

const base = await defaultSpec();
base.process!.terminal = false;
base.root = { path: rootfs, readonly: true };
const rt = new Runtime({ root: '/run/tsrun-examples' });

/** Job i exits with i % 4, and says so on stdout. */
async function job(i: number): Promise<RunResult> {
  const spec = structuredClone(base);
  spec.process!.args = ['sh', '-c', `echo job ${i}; exit ${i % 4}`];
  return rt.run(`pool-${process.pid}-${i}`, { spec, capture: true });
}

const results: RunResult[] = new Array(jobs);
let next = 0;
const started = Date.now();
async function worker(): Promise<void> {
  while (next < jobs) {
    const i = next++;
    try {
      results[i] = await job(i);
    } catch (e) {
      if (!(e instanceof TsrunError)) throw e;
      console.error(`job ${i}: ${e.code}: ${e.message}`);
      process.exitCode = 1;
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (Date.now() - started) / 1000;
const byCode = new Map<number | null, number>();
for (const r of results) if (r) byCode.set(r.exitCode, (byCode.get(r.exitCode) ?? 0) + 1);
for (const [i, r] of results.entries()) if (r && r.stdout!.toString() !== `job ${i}\n`) throw new Error(`job ${i}: unexpected output ${r.stdout}`);
console.log(`${jobs} jobs, ${concurrency} at a time, in ${seconds.toFixed(1)} s (${(jobs / seconds).toFixed(1)} containers/s)`);
console.log(
  `exit codes: ${[...byCode]
    .sort()
    .map(([c, n]) => `${c}: ${n}`)
    .join(', ')}`,
);
