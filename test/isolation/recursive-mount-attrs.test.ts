// Recursive mount attributes (rro, rnosuid, rnodev, rnoexec, rnosymfollow,
// rnoatime, rnodiratime, rrelatime, rstrictatime): mount_setattr(2) with
// AT_RECURSIVE, so every mount under the destination gets them, not only the
// top one. Checked from inside: /proc/self/mountinfo and a write that fails.
// The host's /dev, bound with rbind, brings its submounts (pts, shm, mqueue).
import t, { type Test } from 'tap';
import { parseMountinfo, runScript } from '../helpers.js';

const SCRIPT = 'cat /proc/self/mountinfo; echo x > /mnt/dev/shm/spec12-rattr 2>/dev/null && echo shm-writable || echo shm-readonly; rm -f /mnt/dev/shm/spec12-rattr';

async function underDev(t: Test, options: string[]) {
  const r = await runScript(t, SCRIPT, (s) => s.mounts!.push({ destination: '/mnt/dev', type: 'bind', source: '/dev', options: ['rbind', ...options] }));
  t.equal(r.code, 0, r.stderr);
  const mounts = parseMountinfo(r.stdout).filter((m) => m.mountPoint === '/mnt/dev' || m.mountPoint.startsWith('/mnt/dev/'));
  t.ok(
    mounts.some((m) => m.mountPoint === '/mnt/dev/shm'),
    'the submounts came along (rbind)',
  );
  return { mounts, out: r.stdout };
}

t.test('rro, rnosuid, rnodev, rnoexec, rnosymfollow, rnoatime reach every submount', async (t) => {
  const { mounts, out } = await underDev(t, ['rro', 'rnosuid', 'rnodev', 'rnoexec', 'rnosymfollow', 'rnoatime']);
  for (const m of mounts) {
    for (const o of ['ro', 'nosuid', 'nodev', 'noexec', 'nosymfollow', 'noatime']) t.ok(m.options.includes(o), `${m.mountPoint}: ${o} (${m.options.join(',')})`);
  }
  t.match(out, /^shm-readonly$/m, 'a write below the destination fails');
});

t.test('rnodiratime and rrelatime', async (t) => {
  const { mounts } = await underDev(t, ['noatime', 'rnodiratime', 'rrelatime']);
  for (const m of mounts) {
    t.ok(m.options.includes('relatime') && m.options.includes('nodiratime'), `${m.mountPoint}: relatime,nodiratime (${m.options.join(',')})`);
    t.notOk(m.options.includes('noatime'), `${m.mountPoint}: the later rrelatime replaced noatime`);
  }
});

t.test('rstrictatime', async (t) => {
  const { mounts } = await underDev(t, ['rstrictatime']);
  for (const m of mounts)
    t.notOk(
      m.options.some((o) => o === 'relatime' || o === 'noatime'),
      `${m.mountPoint}: strictatime (${m.options.join(',')})`,
    );
});

t.test('a later rrw undoes rro: the submounts stay writable', async (t) => {
  const { mounts, out } = await underDev(t, ['rro', 'rrw']);
  for (const m of mounts.filter((m) => m.mountPoint === '/mnt/dev/shm')) t.ok(m.options.includes('rw'), `${m.mountPoint}: rw`);
  t.match(out, /^shm-writable$/m);
});
