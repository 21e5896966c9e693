// The stats event data has runc's shape: same keys, omitempty fields left
// out, huge numbers exact. Parsing is checked on file texts; the shape on a
// real cgroup of this host, against `runc events --stats` of runc 1.1.5 (v1).
import t from 'tap';
import { parseBlkio, parseCpuList } from '../../src/cgroups/stats-v1.js';
import { parseIoStat, parsePsi } from '../../src/cgroups/stats-v2.js';
import { statsToJSON } from '../../src/cgroups/stats.js';
import { openCgroup, stats } from '../../src/cgroups/index.js';
import { detectCgroups } from '../../src/cgroups/detect.js';
import { cleanupAfter, startWaiting, testPath, waitFor } from './fixtures/helpers.js';

// runc 1.1.5 on this host: runc events --stats, memory limit 64 MiB, pids 50 (raw trimmed).
const RUNC_V1 = {
  cpu: { usage: { total: 21591931, percpu: [12852210, 8739721], percpu_kernel: [12000000, 0], percpu_user: [4000000, 0], kernel: 10000000, user: 0 }, throttling: { periods: 2 } },
  cpuset: {
    cpus: [0, 1],
    cpu_exclusive: 0,
    mems: [0],
    mem_hardwall: 0,
    mem_exclusive: 0,
    memory_migrate: 0,
    memory_spread_page: 0,
    memory_spread_slab: 0,
    memory_pressure: 0,
    sched_load_balance: 1,
    sched_relax_domain_level: -1,
  },
  memory: {
    cache: 196608,
    usage: { limit: 67108864, usage: 757760, max: 2256896, failcnt: 0 },
    swap: { limit: 9223372036854771712, usage: 757760, max: 2256896, failcnt: 0 },
    kernel: { limit: 9223372036854771712, usage: 249856, max: 520192, failcnt: 0 },
    kernelTCP: { limit: 9223372036854771712, failcnt: 0 },
    raw: { cache: 196608, rss: 57344 },
  },
  pids: { current: 1, limit: 50 },
  blkio: {},
  hugetlb: {},
  intel_rdt: {},
  network_interfaces: null,
};

/** The key paths of an object (arrays and the raw map collapsed). */
function shape(v: unknown, path = ''): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || path.endsWith('.raw')) return [path];
  return Object.entries(v).flatMap(([k, x]) => shape(x, `${path}.${k}`));
}

t.test('parsers', async (t) => {
  t.same(parseCpuList('0-2,5\n'), [0, 1, 2, 5]);
  t.same(
    parseBlkio('8:0 Read 100\n8:0 Write 0\n8:16 Total 7\nTotal 107\n'),
    [
      { major: 8, op: 'Read', value: 100 },
      { major: 8, op: 'Write' },
      { major: 8, minor: 16, op: 'Total', value: 7 },
    ],
    'zero fields left out as runc omitempty does',
  );
  t.same(parseBlkio('8:0 6792\n'), [{ major: 8, value: 6792 }]);
  t.same(parseIoStat('254:0 rbytes=3145728 wbytes=0 rios=3 wios=0 dbytes=0 dios=0\n'), {
    bytes: [
      { major: 254, op: 'Read', value: 3145728 },
      { major: 254, op: 'Write' },
    ],
    ios: [
      { major: 254, op: 'Read', value: 3 },
      { major: 254, op: 'Write' },
    ],
  });
  t.same(parsePsi('some avg10=1.50 avg60=0.00 avg300=0.00 total=123\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=4\n'), {
    some: { avg10: 1.5, avg60: 0, avg300: 0, total: 123 },
    full: { avg10: 0, avg60: 0, avg300: 0, total: 4 },
  });
});

t.test('statsToJSON prints u64 values exactly', async (t) => {
  t.equal(statsToJSON({ a: 2 ** 64, b: 9223372036854771712, c: 5, d: 'x' }), '{"a":18446744073709551615,"b":9223372036854771712,"c":5,"d":"x"}');
});

const host = detectCgroups();
t.test('same shape as runc events --stats (v1)', { skip: host.mode === 'v2' ? 'the sample is from a v1 host' : process.getuid?.() !== 0 ? 'needs root' : false }, async (t) => {
  const p = startWaiting('exec busybox sleep 30');
  const cg = openCgroup({ cgroupsPath: testPath(), id: 'x' });
  cleanupAfter(t, cg, [p]);
  await cg.create();
  cg.setResources({ memory: { limit: 64 << 20 }, pids: { limit: 50 }, cpu: { quota: 50000, period: 100000 } });
  cg.addProcess(p.pid);
  p.go();
  await waitFor(() => (stats(cg).cpu.throttling.periods ?? 0) > 0, 3000);
  const ours = JSON.parse(statsToJSON(stats(cg)));
  const want = shape(RUNC_V1).filter((k) => !/percpu_(kernel|user)|\.kernel\.(usage|max)|\.throttling\.|\.memory\.cache/.test(k)); // value-dependent omitempty fields
  const got = new Set(shape(ours));
  t.same(
    want.filter((k) => !got.has(k)),
    [],
    'every key runc prints is there',
  );
  t.same(Object.keys(ours), Object.keys(RUNC_V1), 'top-level keys in runc order');
  t.same(Object.keys(ours.memory.usage), ['limit', 'usage', 'max', 'failcnt']);
});
