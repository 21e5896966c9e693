import t from 'tap';
import { blkioWeightToIoWeight, cpuSharesToWeight, hugePageName, pageSizeBytes, swapToV2 } from '../../src/cgroups/convert.js';

t.test('cpu.shares -> cpu.weight (runc >= 1.3.2 quadratic)', async (t) => {
  t.equal(cpuSharesToWeight(0), 0, 'unset');
  t.equal(cpuSharesToWeight(2), 1);
  t.equal(cpuSharesToWeight(1024), 100, 'v1 default maps to v2 default');
  t.equal(cpuSharesToWeight(262144), 10000);
  t.equal(cpuSharesToWeight(512), 59);
  t.equal(cpuSharesToWeight(2048), 174);
  t.equal(cpuSharesToWeight(1), 1);
  t.equal(cpuSharesToWeight(1e9), 10000);
});

t.test('blkio weight -> io.weight', async (t) => {
  t.equal(blkioWeightToIoWeight(0), 0);
  t.equal(blkioWeightToIoWeight(10), 1);
  t.equal(blkioWeightToIoWeight(1000), 10000);
  t.equal(blkioWeightToIoWeight(500), 4950);
});

t.test('memory+swap -> memory.swap.max', async (t) => {
  const M = 1 << 20;
  t.same(swapToV2(undefined, undefined), {});
  t.same(swapToV2(undefined, -1), { value: 'max' }, 'unlimited memory, swap unset: both unlimited');
  t.same(swapToV2(-1, 64 * M), { value: 'max' });
  t.same(swapToV2(128 * M, 64 * M), { value: String(64 * M) }, 'swap is the difference');
  t.same(swapToV2(64 * M, 64 * M), { value: '0' }, 'equal: no swap');
  t.same(swapToV2(128 * M, -1), { value: String(128 * M) });
  t.match(swapToV2(128 * M, undefined).error, /without a memory limit/);
  t.match(swapToV2(32 * M, 64 * M).error, /lower than the memory limit/);
});

t.test('huge page sizes', async (t) => {
  t.equal(pageSizeBytes('2MB'), 2 * 1024 * 1024);
  t.equal(pageSizeBytes('1GB'), 1024 ** 3);
  t.equal(pageSizeBytes('64KB'), 65536);
  t.equal(pageSizeBytes('2M'), undefined);
  t.equal(hugePageName(2048), '2MB');
  t.equal(hugePageName(1048576), '1GB');
  t.equal(hugePageName(64), '64KB');
});
