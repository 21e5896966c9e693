// OOM events through the library, on whichever cgroup version this host
// has: v1's eventfd on memory.oom_control here, v2's memory.events in
// ../shared/cgroup2-vm (`make test-cgroup2` runs this file there too, with
// TSRUN_EXPECT_CGROUP=v2 so that a run that silently fell back to v1 fails).
import t from 'tap';
import { detectCgroups } from '../../src/cgroups/detect.js';
import { shSpec, testRuntime } from './helpers.js';
import { uniqueId, waitFor } from '../helpers.js';

const mode = detectCgroups().mode;

t.test(`'oom' and oomKilled under a 16 MiB limit (cgroup ${mode})`, async (t) => {
  if (process.env.TSRUN_EXPECT_CGROUP) t.equal(mode, process.env.TSRUN_EXPECT_CGROUP, 'the cgroup version this run is for');
  const rt = testRuntime(t);
  const spec = shSpec('dd if=/dev/zero of=/dev/null bs=64M count=1', (s) => {
    s.linux!.resources = { memory: { limit: 16 << 20, swap: 16 << 20 } };
  });
  const c = await rt.create(uniqueId('lib-oom'), { spec, stdio: ['ignore', 'ignore', 'ignore'] });
  let ooms = 0;
  c.on('oom', () => ooms++);
  await c.start();
  const st = await c.wait();
  t.same(st, { exitCode: null, signal: 'SIGKILL', oomKilled: true });
  t.ok(await waitFor(() => ooms > 0, 2000), `'oom' fired (${ooms})`);
  await c.delete();
});

t.test(`no 'oom' and oomKilled false when the limit is not reached (cgroup ${mode})`, async (t) => {
  const rt = testRuntime(t);
  const spec = shSpec('dd if=/dev/zero of=/dev/null bs=1M count=1; exit 9', (s) => {
    s.linux!.resources = { memory: { limit: 64 << 20, swap: 64 << 20 } };
  });
  const c = await rt.create(uniqueId('lib-nooom'), { spec, stdio: ['ignore', 'ignore', 'ignore'] });
  let ooms = 0;
  c.on('oom', () => ooms++);
  await c.start();
  t.same(await c.wait(), { exitCode: 9, signal: null, oomKilled: false });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(ooms, 0, "no 'oom' event");
  await c.delete();
});
