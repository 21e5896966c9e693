// With a user namespace, a bind source below a 0700 host directory: the
// init (root of its namespace, host uid 100000) may not search that
// directory, so, as runc does, the runtime opens the source (the executor,
// with the runtime's credentials, inside the init's mount namespace) and
// the init binds the fd. Before, this failed with EACCES. The bind keeps the
// host mount's locked flags: the container cannot remount it writable.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, stateRoot, uniqueId, unmountBelow } from '../helpers.js';
import { NO_RUNC, runcRun } from './runc-run.js';
import type { Mount } from '../../src/spec/types.js';

const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];

/** A 0700 host directory (removed on teardown) holding data/f and data/sub/. */
function privateDir(t: Test): string {
  const dir = mkdtempSync('/tmp/tsrun-test-spec13-private-');
  t.teardown(() => {
    unmountBelow(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  chmodSync(dir, 0o700);
  mkdirSync(join(dir, 'data', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'data', 'f'), 'secret-ok\n');
  return dir;
}

async function run(t: Test, script: string, mounts: Mount[], caps: string[] = [], runtime: 'tsrun' | 'runc' = 'tsrun') {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', script];
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = MAP;
    s.linux!.gidMappings = MAP;
    s.mounts!.push(...mounts);
    for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push(...caps);
  });
  chmodSync(dir, 0o755);
  spawnSync('chown', ['-R', '100000:100000', rootfs]);
  if (runtime === 'runc') {
    const r = runcRun(t, dir);
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }
  return run(['run', '--bundle', dir, uniqueId('spec13-src')]);
}

for (const runtime of ['tsrun', 'runc'] as const) {
  t.test(`${runtime}: a directory and a file below a 0700 host directory are bound`, { skip: runtime === 'runc' && NO_RUNC }, async (t) => {
    const p = privateDir(t);
    const r = await run(
      t,
      'cat /m/f /file',
      [
        { destination: '/m', type: 'bind', source: join(p, 'data'), options: ['rbind'] },
        { destination: '/file', type: 'bind', source: join(p, 'data', 'f'), options: ['bind', 'ro'] },
      ],
      [],
      runtime,
    );
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, 'secret-ok\nsecret-ok\n');
  });
}

t.test('a missing source is still refused, naming the field', async (t) => {
  const p = privateDir(t);
  const r = await run(t, 'true', [{ destination: '/m', type: 'bind', source: join(p, 'nope'), options: ['bind'] }]);
  t.equal(r.code, 1);
  t.match(r.stderr, /\/mounts\/\d+\/source: .*nope does not exist/);
});

t.test("the host mount's read-only flag stays locked: CAP_SYS_ADMIN in the container cannot lift it", async (t) => {
  const p = privateDir(t);
  const sub = join(p, 'data', 'sub');
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,nosuid', 'tmpfs', sub]);
  t.equal(m.status, 0, m.stderr?.toString());
  for (const runtime of NO_RUNC ? (['tsrun'] as const) : (['tsrun', 'runc'] as const)) {
    const r = await run(t, 'mount -o remount,bind,rw /m 2>/dev/null && echo lifted || echo locked', [{ destination: '/m', type: 'bind', source: sub, options: ['bind'] }], ['CAP_SYS_ADMIN'], runtime);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, 'locked\n', runtime);
  }
});
