// Idmapped bind mounts (runtime-spec 1.2: the idmap and ridmap options, and
// a mount's own uidMappings/gidMappings). Checked from inside a container
// with a user namespace (root = host 100000): who owns the source's files,
// and who owns on the host a file the container made through the mount.
// Sources on ext4 (/tmp here) and tmpfs (/dev/shm); the kernel (>= 6.3 for
// tmpfs) must support idmapping them. runc 1.1.5 (this host's) ignores all
// of it (the files stay 65534, overflow), crun 1.8.1 refuses this hybrid
// cgroup host; runc >= 1.2 and crun apply it as here.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logMessages, makeBundle, stateRoot, uniqueId, unmountBelow } from '../helpers.js';
import type { Mount, Spec } from '../../src/spec/types.js';

const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];

/** A source directory owned by root with one root-owned file, under base (removed on teardown). */
function source(t: Test, base: string): string {
  const dir = mkdtempSync(join(base, 'tsrun-test-spec13-idmap-'));
  t.teardown(() => {
    unmountBelow(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'f'), 'x');
  return dir;
}

/** Runs script in a user-namespaced container with the extra mounts. */
async function run(t: Test, script: string, mounts: Mount[], edit: (s: Spec) => void = () => {}) {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', script];
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = MAP;
    s.linux!.gidMappings = MAP;
    s.mounts!.push(...mounts);
    edit(s);
  });
  // The container's root (host 100000) must reach its rootfs.
  chmodSync(dir, 0o755);
  spawnSync('chown', ['-R', '100000:100000', rootfs]);
  return run(['run', '--bundle', dir, uniqueId('spec13-idmap')]);
}

for (const [fs, base] of [
  ['ext4', '/tmp'],
  ['tmpfs', '/dev/shm'],
] as const) {
  t.test(`idmap with the container's mappings (${fs}): host root's files are the container root's, both ways`, async (t) => {
    const src = source(t, base);
    const r = await run(t, 'stat -c %u:%g /m/f; echo y > /m/made; stat -c %u:%g /m/made', [{ destination: '/m', type: 'bind', source: src, options: ['bind', 'idmap'] }]);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, '0:0\n0:0\n', 'inside: the root-owned file and the new one belong to root');
    const st = statSync(join(src, 'made'));
    t.same([st.uid, st.gid], [0, 0], 'on the host, the new file belongs to root (not 100000)');
  });
}

t.test("a mount's own uidMappings and gidMappings (no option: runc and crun read them as idmap)", async (t) => {
  const src = source(t, '/tmp');
  const r = await run(t, 'stat -c %u:%g /m/f', [
    { destination: '/m', type: 'bind', source: src, options: ['bind'], uidMappings: [{ containerID: 0, hostID: 100005, size: 10 }], gidMappings: [{ containerID: 0, hostID: 100007, size: 10 }] },
  ]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, '5:7\n', 'on-disk 0 is host 100005/100007, which the container sees as 5/7');
});

t.test('without idmap the same mount shows the host root as overflow (the control)', async (t) => {
  const src = source(t, '/tmp');
  const r = await run(t, 'stat -c %u:%g /m/f', [{ destination: '/m', type: 'bind', source: src, options: ['bind'] }]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, '65534:65534\n');
});

t.test('rbind: idmap maps the top mount only, ridmap every mount below it', async (t) => {
  const src = source(t, '/tmp');
  mkdirSync(join(src, 'sub'));
  const m = spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', join(src, 'sub')]);
  t.equal(m.status, 0, m.stderr?.toString());
  writeFileSync(join(src, 'sub', 'g'), 'x');
  const script = 'stat -c %u:%g /m/f /m/sub/g';
  const idmap = await run(t, script, [{ destination: '/m', type: 'bind', source: src, options: ['rbind', 'idmap'] }]);
  t.equal(idmap.code, 0, idmap.stderr);
  t.equal(idmap.stdout, '0:0\n65534:65534\n', 'idmap: the submount is not mapped');
  const ridmap = await run(t, script, [{ destination: '/m', type: 'bind', source: src, options: ['rbind', 'ridmap'] }]);
  t.equal(ridmap.code, 0, ridmap.stderr);
  t.equal(ridmap.stdout, '0:0\n0:0\n', 'ridmap: the submount is mapped too');
});

t.test('refused before anything is made, naming the field', async (t) => {
  const cases: [string, (s: Spec) => void, string][] = [
    ['idmap on a tmpfs', (s) => s.mounts!.push({ destination: '/m', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }), '/mounts/N/options: id-mapped mounts are only supported for bind mounts'],
    [
      'uidMappings without gidMappings',
      (s) => s.mounts!.push({ destination: '/m', type: 'bind', source: '/tmp', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }),
      '/mounts/N/gidMappings: id-mapped mounts must have both uid and gid mappings specified',
    ],
    [
      'idmap with no mappings and no user namespace',
      (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'user');
        delete s.linux!.uidMappings;
        delete s.linux!.gidMappings;
        s.mounts!.push({ destination: '/m', type: 'bind', source: '/tmp', options: ['bind', 'idmap'] });
      },
      "/mounts/N/options: idmap without uidMappings and gidMappings takes the container's user namespace mappings, and /linux/namespaces has no new user namespace",
    ],
  ];
  for (const [name, edit, message] of cases) {
    const { root, run } = stateRoot(t);
    const { dir, spec } = makeBundle(t, (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = MAP;
      s.linux!.gidMappings = MAP;
      edit(s);
    });
    const id = uniqueId('spec13-idmap-bad');
    const r = await run(['create', '--bundle', dir, id]);
    t.equal(r.code, 1, `${name}: exit 1`);
    t.ok(logMessages(r.stderr).includes(message.replace('N', String(spec.mounts!.length - 1))), `${name}: ${logMessages(r.stderr).trim()}`);
    t.notOk(existsSync(join(root, id)), `${name}: no state directory`);
  }
});

t.test('features lists idmap and ridmap, and says idmapped mounts are enabled', async (t) => {
  const { run } = stateRoot(t);
  const r = await run(['features']);
  const f = JSON.parse(r.stdout) as { mountOptions: string[]; linux: { mountExtensions: { idmap: { enabled: boolean } } } };
  t.ok(f.mountOptions.includes('idmap') && f.mountOptions.includes('ridmap'));
  t.equal(f.linux.mountExtensions.idmap.enabled, true);
});
