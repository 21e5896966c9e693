// CPU budget per container, the library against `crun run`, 10 at a time: this process (Node:
// main thread and thread pool), its reaped children (executors and inits, or crun and its
// inits), and the rest of the host (kworkers, RCU), from getrusage and /proc/stat. On a hybrid
// host crun 1.8 needs the cgroup2 mount hidden, as bench/run.sh does:
//   unshare --mount --propagation private sh -c "umount -l /sys/fs/cgroup/unified; node bench/cpu-budget.mjs [BATCHES]"
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
const require = createRequire(import.meta.url);
const koffi = require('koffi');
const libc = koffi.load('libc.so.6');
const getrusage = libc.func('int getrusage(int who, _Out_ uint64_t *ru)');
const ru = (who) => {
  const b = new BigUint64Array(18);
  getrusage(who, b);
  return Number(b[0]) * 1e3 + Number(b[1]) / 1e3 + Number(b[2]) * 1e3 + Number(b[3]) / 1e3;
}; // ms
const host = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - f[3] - f[4]) * 10;
}; // busy ms
const TOP = new URL('..', import.meta.url).pathname;
const spec = JSON.parse(readFileSync(TOP + 'bundles/busybox/config.json', 'utf8'));
spec.ociVersion = '1.0.2';
spec.root = { path: TOP + 'bundles/busybox/rootfs', readonly: true };
spec.process.terminal = false;
spec.process.args = ['/bin/true'];
const tmp = mkdtempSync('/tmp/tsrun-cpu-budget-');
mkdirSync(tmp + '/b');
writeFileSync(tmp + '/b/config.json', JSON.stringify(spec));
const { Runtime } = require(TOP + 'dist/index.cjs');
const rt = new Runtime({ root: tmp + '/lib' });
let seq = 0;
const run = (cmd, args) =>
  new Promise((res, rej) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.on('exit', (c) => (c === 0 ? res() : rej(new Error(cmd + ' ' + c))));
  });
const kinds = {
  crun: () => run('crun', ['--root', tmp + '/crun', 'run', '--bundle', tmp + '/b', `c${++seq}`]),
  lib: async () => {
    const c = await rt.create(`l${++seq}`, { spec, stdio: ['ignore', 'ignore', 'ignore'] });
    await c.start();
    await c.wait();
    await c.delete();
  },
};
await kinds.lib();
await kinds.crun();
const N = 10,
  B = Number(process.argv[2] ?? 5);
for (let r = 0; r < 3; r++)
  for (const [k, f] of Object.entries(kinds)) {
    const s0 = ru(0),
      c0 = ru(-1),
      h0 = host(),
      t0 = performance.now();
    for (let b = 0; b < B; b++) await Promise.all(Array.from({ length: N }, f));
    const n = N * B,
      dt = performance.now() - t0;
    const self = (ru(0) - s0) / n,
      kids = (ru(-1) - c0) / n,
      all = (host() - h0) / n;
    console.log(
      `${k.padEnd(5)} ${((n / dt) * 1000).toFixed(1).padStart(6)}/s  cpu/ct: node ${self.toFixed(1)}  children ${kids.toFixed(1)}  host total ${all.toFixed(1)} (rest ${(all - self - kids).toFixed(1)}) ms`,
    );
  }
rmSync(tmp, { recursive: true, force: true });
