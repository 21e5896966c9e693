// A read-only tmpfs on /dev (options "ro"): runc mounts it writable, makes
// /dev/pts, /dev/shm, the devices and the links, and only then remounts it
// read-only. Before, tsrun mounted it read-only at once and failed with
// "mkdir /dev/pts: EROFS". Checked from inside, and against runc when installed.
import t from 'tap';
import { makeBundle, parseMountinfo, runScript } from '../helpers.js';
import { NO_RUNC, runcRun } from './runc-run.js';
import type { Spec } from '../../src/spec/types.js';

const SCRIPT =
  'cat /proc/self/mountinfo; ls /dev/pts/ptmx /dev/null /dev/shm >/dev/null && echo made; echo > /dev/null && echo null-ok; touch /dev/new 2>/dev/null && echo dev-writable || echo dev-readonly';
const roDev = (s: Spec) => {
  const dev = s.mounts!.find((m) => m.destination === '/dev')!;
  dev.options = [...(dev.options ?? []), 'ro'];
};

t.test('ro on the /dev tmpfs: everything below it is made, then it is read-only', async (t) => {
  const r = await runScript(t, SCRIPT, roDev);
  t.equal(r.code, 0, r.stderr);
  const dev = parseMountinfo(r.stdout).find((m) => m.mountPoint === '/dev');
  t.ok(dev?.options.includes('ro'), `/dev is mounted ro (${dev?.options.join(',')})`);
  t.ok(dev?.superOptions.includes('size=65536k'), 'its tmpfs options stayed');
  t.ok(
    parseMountinfo(r.stdout).some((m) => m.mountPoint === '/dev/pts'),
    '/dev/pts is mounted',
  );
  t.match(r.stdout, /^made$/m, 'the devices and /dev/shm exist');
  t.match(r.stdout, /^null-ok$/m);
  t.match(r.stdout, /^dev-readonly$/m, 'a new file in /dev is refused');
});

t.test('runc gives the same', { skip: NO_RUNC }, async (t) => {
  const r = await runScript(t, SCRIPT, roDev);
  const { dir } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', SCRIPT];
    roDev(s);
  });
  const runc = runcRun(t, dir);
  t.equal(runc.status, 0, runc.stderr);
  for (const line of ['made', 'null-ok', 'dev-readonly']) t.equal(new RegExp(`^${line}$`, 'm').test(runc.stdout), new RegExp(`^${line}$`, 'm').test(r.stdout), `${line}: runc and tsrun agree`);
});
