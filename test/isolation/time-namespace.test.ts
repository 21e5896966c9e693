// The time namespace (config-linux.md "timeOffsets"): a new one, checked from
// inside (its own /proc/self/ns/time, uptime shifted by the boottime offset,
// the offsets file), one joined by path, and timeOffsets refused without one.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logMessages, makeBundle, nsOf, runScript, stateRoot, uniqueId } from '../helpers.js';

const hostUptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
const DAY = 86400;

t.test('a new time namespace with monotonic and boottime offsets', async (t) => {
  const before = hostUptime();
  const r = await runScript(t, 'readlink /proc/self/ns/time; cut -d" " -f1 /proc/uptime; cat /proc/self/timens_offsets', (s) => {
    s.linux!.namespaces!.push({ type: 'time' });
    s.linux!.timeOffsets = { monotonic: { secs: DAY, nanosecs: 0 }, boottime: { secs: 2 * DAY, nanosecs: 5 } };
  });
  const after = hostUptime();
  t.equal(r.code, 0, r.stderr);
  const [ns, uptime, ...offsets] = r.stdout.trim().split('\n');
  t.match(ns, /^time:\[\d+\]$/);
  t.not(ns, nsOf('self', 'time'), "not the host's time namespace");
  const up = Number(uptime);
  t.ok(up >= before + 2 * DAY && up <= after + 2 * DAY + 1, `uptime shifted by the boottime offset (${up} vs host ${before})`);
  t.match(offsets.join('\n'), /^monotonic\s+86400\s+0$/m, 'the monotonic offset');
  t.match(offsets.join('\n'), /^boottime\s+172800\s+5$/m, 'the boottime offset');
});

t.test('a new time namespace without offsets', async (t) => {
  const r = await runScript(t, 'readlink /proc/self/ns/time', (s) => s.linux!.namespaces!.push({ type: 'time' }));
  t.equal(r.code, 0, r.stderr);
  t.not(r.stdout.trim(), nsOf('self', 'time'));
});

t.test('a time namespace joined by path: the same namespace, the same offsets', async (t) => {
  const { run } = stateRoot(t);
  const a = makeBundle(t, (s) => {
    s.process!.args = ['sleep', '600'];
    s.linux!.namespaces!.push({ type: 'time' });
    s.linux!.timeOffsets = { boottime: { secs: 3 * DAY } };
  });
  const first = uniqueId('spec12-time');
  t.equal((await run(['run', '-d', '--bundle', a.dir, first])).code, 0);
  const pid = JSON.parse((await run(['state', first])).stdout).pid as number;
  const b = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', 'readlink /proc/self/ns/time; cut -d" " -f1 /proc/uptime'];
    s.linux!.namespaces!.push({ type: 'time', path: `/proc/${pid}/ns/time` });
  });
  const r = await run(['run', '--bundle', b.dir, uniqueId('spec12-time')]);
  t.equal(r.code, 0, r.stderr);
  const [ns, uptime] = r.stdout.trim().split('\n');
  t.equal(ns, nsOf(pid, 'time'), "the first container's time namespace");
  t.ok(Number(uptime) >= hostUptime() + 3 * DAY - 5, `its offset applies (${uptime})`);
  // exec joins it too.
  const e = await run(['exec', first, 'readlink', '/proc/self/ns/time']);
  t.equal(e.stdout.trim(), nsOf(pid, 'time'), 'exec enters the time namespace');
});

t.test('timeOffsets without a new time namespace: refused, naming /linux/timeOffsets, nothing left', async (t) => {
  for (const joined of [false, true]) {
    const { root, run } = stateRoot(t);
    const { dir } = makeBundle(t, (s) => {
      s.linux!.timeOffsets = { monotonic: { secs: 10 } };
      if (joined) s.linux!.namespaces!.push({ type: 'time', path: '/proc/self/ns/time' });
    });
    const id = uniqueId('spec12-time');
    const r = await run(['create', '--bundle', dir, id]);
    t.equal(r.code, 1, joined ? 'with a joined time namespace' : 'with no time namespace');
    t.match(logMessages(r.stderr), /\/linux\/timeOffsets: offsets need a new time namespace/);
    t.notOk(existsSync(join(root, id)), 'no state directory');
  }
});
