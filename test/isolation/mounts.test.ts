// Mounts as the container sees them in /proc/self/mountinfo, with their
// flags and propagation, and what the flags do; the host's mount table and
// files stay as they were.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostMountinfo, makeBundle, unmountBelow, newHostMounts, parseMountinfo, runScript, stateRoot, uniqueId, waitFor, type MountInfo, type Teardown } from '../helpers.js';
import type { Spec } from '../../src/spec/types.js';

/** A host directory of this test's own, unmounted (recursively) and removed on teardown. */
function hostDir(t: Teardown): string {
  const dir = mkdtempSync('/tmp/tsrun-test-mnt-');
  t.teardown(() => {
    unmountBelow(dir); // then rm cannot reach into a mount of ours
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function sh(cmd: string, ...args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** The container prints its mountinfo between markers, then whatever the script adds. */
const MOUNTINFO = 'echo ==mi; cat /proc/self/mountinfo; echo ==end; ';
function mountsOf(out: string): MountInfo[] {
  const m = /==mi\n([\s\S]*?)==end\n/.exec(out);
  return m ? parseMountinfo(m[1]!) : [];
}
function at(mounts: MountInfo[], point: string): MountInfo | undefined {
  // The last one mounted there is the one visible.
  return mounts.filter((m) => m.mountPoint === point).pop();
}

t.test('the default mounts, with their types and flags', async (t) => {
  const r = await runScript(t, MOUNTINFO + 'stat -c "%a" /dev/shm /tmp; touch /sys/x 2>&1; echo sys-write=$?');
  t.equal(r.code, 0, r.stderr);
  const mi = mountsOf(r.stdout);
  t.ok(mi.length > 5, 'mountinfo printed');
  const expect: [string, string, string[], string[]][] = [
    ['/proc', 'proc', ['rw'], []],
    ['/dev', 'tmpfs', ['rw', 'nosuid'], ['mode=755', 'size=65536k']],
    ['/dev/pts', 'devpts', ['rw', 'nosuid', 'noexec'], ['gid=5', 'mode=620', 'ptmxmode=666']],
    ['/dev/shm', 'tmpfs', ['rw', 'nosuid', 'nodev', 'noexec'], ['size=65536k']],
    ['/dev/mqueue', 'mqueue', ['rw', 'nosuid', 'nodev', 'noexec'], []],
    ['/sys', 'sysfs', ['ro', 'nosuid', 'nodev', 'noexec'], []],
    ['/tmp', 'tmpfs', ['rw', 'nosuid', 'nodev'], []],
  ];
  for (const [point, fstype, options, superOptions] of expect) {
    const m = at(mi, point);
    if (!t.ok(m, `${point} is a mount point`)) continue;
    t.equal(m!.fstype, fstype, `${point} is ${fstype}`);
    for (const o of options) t.ok(m!.options.includes(o), `${point} mounted ${o} (${m!.options})`);
    for (const o of superOptions) t.ok(m!.superOptions.includes(o), `${point} has ${o} (${m!.superOptions})`);
  }
  t.notOk(at(mi, '/tmp')!.options.includes('noexec'), '/tmp is not noexec');
  t.match(r.stdout, /^1777\n1777\n/m, '/dev/shm and /tmp are mode 1777');
  t.match(r.stdout, /Read-only file system/, 'writing into /sys fails: EROFS');
  t.match(r.stdout, /sys-write=1/);
});

t.test('a tmpfs with mode and size; noexec is enforced, exec elsewhere works', async (t) => {
  const r = await runScript(t, MOUNTINFO + 'stat -c "mode=%a" /t1; cp /bin/busybox /t1/true; /t1/true; echo noexec-run=$?; ' + 'cp /bin/busybox /tmp/true; /tmp/true; echo exec-run=$?', (s) =>
    s.mounts!.push({ destination: '/t1', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'mode=700', 'size=8m'] }),
  );
  t.equal(r.code, 0, r.stderr);
  const m = at(mountsOf(r.stdout), '/t1');
  if (t.ok(m, '/t1 mounted')) {
    t.equal(m!.fstype, 'tmpfs');
    t.ok(m!.superOptions.includes('size=8192k'), `size option (${m!.superOptions})`);
    t.ok(m!.superOptions.includes('mode=700'), `mode option (${m!.superOptions})`);
    for (const o of ['nosuid', 'nodev', 'noexec']) t.ok(m!.options.includes(o), `${o} set`);
  }
  t.match(r.stdout, /^mode=700$/m, 'the mount point has mode 700');
  t.match(r.stdout, /^noexec-run=126$/m, 'a binary on the noexec tmpfs cannot run');
  t.match(r.stdout, /^exec-run=0$/m, 'the same binary runs from /tmp');
});

t.test('bind, rbind, read-only bind and file bind of host paths', async (t) => {
  const host = hostDir(t);
  const src = join(host, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'f'), 'from-host\n');
  sh('mount', '-t', 'tmpfs', '-o', 'size=1m', 'tsrun-test-sub', join(src, 'sub'));
  writeFileSync(join(src, 'sub', 'g'), 'in-submount\n');
  writeFileSync(join(host, 'single'), 'single-file\n');
  const before = hostMountinfo();

  const r = await runScript(
    t,
    MOUNTINFO +
      'cat /b-bind/f; ls /b-bind/sub; echo end-bind-sub; cat /b-rbind/sub/g; ' +
      'echo from-container > /b-bind/written; echo bind-write=$?; ' +
      'echo x > /b-ro/nope 2>/dev/null; echo ro-write=$?; touch /b-ro/nope 2>&1; cat /b-ro/f; cat /single',
    (s) => {
      s.mounts!.push(
        { destination: '/b-bind', type: 'bind', source: src, options: ['bind'] },
        { destination: '/b-rbind', type: 'none', source: src, options: ['rbind'] },
        { destination: '/b-ro', type: 'bind', source: src, options: ['bind', 'ro'] },
        { destination: '/single', type: 'bind', source: join(host, 'single'), options: ['bind', 'ro'] },
      );
    },
  );
  t.equal(r.code, 0, r.stderr);
  const mi = mountsOf(r.stdout);
  t.equal(at(mi, '/b-bind')?.root, src, 'bind mount root is the host directory');
  t.notOk(at(mi, '/b-bind/sub'), 'a plain bind does not take the submount along');
  t.ok(at(mi, '/b-rbind/sub'), 'rbind takes the submount along');
  t.equal(at(mi, '/b-rbind/sub')?.fstype, 'tmpfs');
  t.match(r.stdout, /^from-host\nend-bind-sub\nin-submount$/m, 'contents: file, empty sub dir under bind, submount under rbind');
  t.match(r.stdout, /^bind-write=0$/m);
  t.equal(readFileSync(join(src, 'written'), 'utf8'), 'from-container\n', 'a write through the bind lands on the host');
  t.ok(at(mi, '/b-ro')?.options.includes('ro'), '/b-ro is read-only');
  t.ok(at(mi, '/b-bind')?.options.includes('rw'), '/b-bind is read-write');
  t.match(r.stdout, /^ro-write=[1-9]/m);
  t.match(r.stdout, /Read-only file system/, 'writing the ro bind fails with EROFS');
  t.match(r.stdout, /^from-host\nsingle-file$/m, 'ro bind readable; a file can be bound onto a file');
  t.equal(at(mi, '/single')?.root, join(host, 'single'));
  writeFileSync(join(src, 'host-still-writable'), 'x');
  t.ok(existsSync(join(src, 'host-still-writable')), 'the host side of the ro bind stays writable');
  t.same(newHostMounts(before, [host]), [], 'no new host mount below the source');
  t.ok(
    parseMountinfo(hostMountinfo()).every((m) => !m.mountPoint.startsWith(host) || m.options.includes('rw')),
    'host mounts below the source stay rw',
  );
});

t.test('nodev and nosuid on a bind: device nodes stop working', async (t) => {
  const host = hostDir(t);
  sh('mknod', '-m', '666', join(host, 'null'), 'c', '1', '3');
  const r = await runScript(t, MOUNTINFO + 'echo x > /with-dev/null; echo dev=$?; echo x > /without-dev/null 2>/dev/null; echo nodev=$?', (s) => {
    s.mounts!.push({ destination: '/with-dev', type: 'bind', source: host, options: ['bind'] }, { destination: '/without-dev', type: 'bind', source: host, options: ['bind', 'nodev', 'nosuid'] });
  });
  t.equal(r.code, 0, r.stderr);
  const mi = mountsOf(r.stdout);
  t.notOk(at(mi, '/with-dev')?.options.includes('nodev'), 'no nodev unless asked');
  t.ok(at(mi, '/without-dev')?.options.includes('nodev'), 'nodev set');
  t.ok(at(mi, '/without-dev')?.options.includes('nosuid'), 'nosuid set');
  t.match(r.stdout, /^dev=0$/m, 'the device node works on a mount without nodev');
  t.match(r.stdout, /^nodev=[1-9]/m, 'and is refused under nodev');
});

/**
 * Runs a container with `mounts` bound from a shared host tmpfs; once it is
 * up, mounts a tmpfs at src/late on the host and lets the container look.
 */
async function propagation(
  t: Teardown,
  options: string[],
  rootfsPropagation?: 'private' | 'shared' | 'slave' | 'unbindable',
): Promise<{ ready: boolean; code: number; stderr: string; dest?: MountInfo; lateSeen: boolean }> {
  const host = hostDir(t);
  const src = join(host, 'src');
  const ctl = join(host, 'ctl');
  mkdirSync(src);
  mkdirSync(ctl);
  sh('mount', '-t', 'tmpfs', '-o', 'size=1m', 'tsrun-test-shared', src);
  sh('mount', '--make-shared', src);
  mkdirSync(join(src, 'late'));
  const { run } = stateRoot(t);
  const { dir } = makeBundle(t, (s: Spec) => {
    s.process!.args = ['sh', '-c', 'touch /ctl/ready; while [ ! -e /ctl/go ]; do sleep 0.05; done; ' + MOUNTINFO + 'grep -q " /dest/late " /proc/self/mountinfo && echo late-seen; true'];
    s.mounts!.push({ destination: '/ctl', type: 'bind', source: ctl, options: ['bind'] });
    s.mounts!.push({ destination: '/dest', type: 'bind', source: src, options });
    if (rootfsPropagation) s.linux!.rootfsPropagation = rootfsPropagation;
  });
  const done = run(['run', '--bundle', dir, uniqueId('prop')]);
  const ready = await waitFor(() => existsSync(join(ctl, 'ready')), 20_000);
  sh('mount', '-t', 'tmpfs', '-o', 'size=1m', 'tsrun-test-late', join(src, 'late'));
  writeFileSync(join(ctl, 'go'), '');
  const r = await done;
  return { ready, code: r.code, stderr: r.stderr, dest: at(mountsOf(r.stdout), '/dest'), lateSeen: /^late-seen$/m.test(r.stdout) };
}

t.test('propagation: rslave receives host mounts and shows master:N', async (t) => {
  // Under an rshared root the bind would stay in the host's peer group
  // (shared:N): only the rslave option makes it a slave.
  const p = await propagation(t, ['rbind', 'rslave'], 'shared');
  t.ok(p.ready, 'container came up');
  t.equal(p.code, 0, p.stderr);
  t.ok(p.dest, '/dest mounted');
  t.ok(
    p.dest?.optional.some((o) => /^master:\d+$/.test(o)),
    `master:N in the optional fields (${p.dest?.optional})`,
  );
  t.notOk(
    p.dest?.optional.some((o) => o.startsWith('shared:')),
    'not shared',
  );
  t.ok(p.lateSeen, 'a mount made on the host afterwards shows up in the container');
});

t.test('propagation: rprivate receives nothing and shows no optional field', async (t) => {
  const p = await propagation(t, ['rbind', 'rprivate']);
  t.ok(p.ready, 'container came up');
  t.equal(p.code, 0, p.stderr);
  t.ok(p.dest, '/dest mounted');
  t.same(p.dest?.optional, [], 'no shared:/master: fields');
  t.notOk(p.lateSeen, 'a later host mount does not propagate into a private mount');
});

t.test('propagation: shared shows shared:N (the default rslave root gives master:N only)', async (t) => {
  const p = await propagation(t, ['rbind', 'shared']);
  t.equal(p.code, 0, p.stderr);
  t.ok(
    p.dest?.optional.some((o) => /^shared:\d+$/.test(o)),
    `shared:N in the optional fields (${p.dest?.optional})`,
  );
});

t.test('root.readonly: / is read-only, /tmp (a tmpfs) is writable', async (t) => {
  const r = await runScript(t, MOUNTINFO + 'touch /x 2>&1; echo root-write=$?; touch /tmp/y; echo tmp-write=$?', (s) => (s.root!.readonly = true));
  t.equal(r.code, 0, r.stderr);
  t.ok(at(mountsOf(r.stdout), '/')?.options.includes('ro'), '/ is mounted ro');
  t.match(r.stdout, /Read-only file system/);
  t.match(r.stdout, /^root-write=1$/m);
  t.match(r.stdout, /^tmp-write=0$/m);
  const w = await runScript(t, MOUNTINFO + 'touch /x; echo root-write=$?', (s) => (s.root!.readonly = false));
  t.ok(at(mountsOf(w.stdout), '/')?.options.includes('rw'), 'without readonly / is rw');
  t.match(w.stdout, /^root-write=0$/m);
});

t.test('rootfsPropagation is applied to /', async (t) => {
  const shared = await runScript(t, MOUNTINFO, (s) => (s.linux!.rootfsPropagation = 'shared'));
  t.equal(shared.code, 0, shared.stderr);
  t.ok(
    at(mountsOf(shared.stdout), '/')?.optional.some((o) => /^shared:\d+$/.test(o)),
    'shared: / has shared:N',
  );
  const priv = await runScript(t, MOUNTINFO, (s) => (s.linux!.rootfsPropagation = 'private'));
  t.equal(priv.code, 0, priv.stderr);
  t.same(at(mountsOf(priv.stdout), '/')?.optional, [], 'private: / has no optional field');
  const unb = await runScript(t, MOUNTINFO, (s) => (s.linux!.rootfsPropagation = 'unbindable'));
  t.equal(unb.code, 0, unb.stderr);
  t.ok(at(mountsOf(unb.stdout), '/')?.optional.includes('unbindable'), 'unbindable: / is unbindable');
});

t.test('a mount destination that is a symlink to a host path stays inside the rootfs', async (t) => {
  const before = hostMountinfo();
  const etcBefore = readdirSync('/etc').sort();
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => {
    s.process!.args = ['sh', '-c', MOUNTINFO + 'echo escaped > /mnt-escape/tsrun-escape-marker; ls /etc'];
    s.mounts!.push({ destination: '/mnt-escape', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
  });
  symlinkSync('/etc', join(rootfs, 'mnt-escape'));
  const r = await run(['run', '--bundle', dir, uniqueId('escape')]);
  t.equal(r.code, 0, r.stderr);
  t.equal(at(mountsOf(r.stdout), '/etc')?.fstype, 'tmpfs', "the tmpfs landed on the rootfs's own /etc");
  t.match(r.stdout, /^tsrun-escape-marker$/m, 'the container wrote into that tmpfs');
  t.notOk(existsSync('/etc/tsrun-escape-marker'), "nothing written to the host's /etc");
  t.same(readdirSync('/etc').sort(), etcBefore, "the host's /etc is unchanged");
  t.same(newHostMounts(before, ['/etc', dir]), [], 'no new mount on the host');
  t.ok(existsSync(join(rootfs, 'etc', 'passwd')), "the rootfs's /etc itself is untouched under the tmpfs");
});

t.test('--no-pivot: the rootfs becomes / without pivot_root', async (t) => {
  const { run } = stateRoot(t);
  const { dir, rootfs } = makeBundle(t, (s) => (s.process!.args = ['sh', '-c', MOUNTINFO + 'cat /marker; ls /; echo ok > /tmp/w && cat /tmp/w']));
  writeFileSync(join(rootfs, 'marker'), 'rootfs-marker\n');
  const before = hostMountinfo();
  const plan = await run(['create', '--dry-run', '--no-pivot', '--bundle', dir, uniqueId('nopivot-plan')]);
  t.equal(plan.code, 0, plan.stderr);
  t.match(plan.stdout, /MOVE_ROOT/, 'the plan moves the root');
  t.notMatch(plan.stdout, /PIVOT_ROOT/, 'and does not pivot');
  const r = await run(['run', '--no-pivot', '--bundle', dir, uniqueId('nopivot')]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^rootfs-marker$/m, "the container's / is the rootfs");
  t.match(r.stdout, /^ok$/m, '/tmp tmpfs works');
  const root = at(mountsOf(r.stdout), '/');
  t.equal(root?.root, rootfs, '/ is the rootfs bind');
  t.notOk(
    mountsOf(r.stdout).some((m) => m.mountPoint.startsWith('/work') || m.mountPoint === '/boot'),
    'no host mount visible',
  );
  t.same(
    newHostMounts(before, ['/']).filter((m) => m.mountPoint === '/' || m.mountPoint.startsWith(dir)),
    [],
    'no new mount on the host',
  );
});

t.test('/sys/fs/cgroup holds one directory per host hierarchy, named as on the host', async (t) => {
  const r = await runScript(t, 'ls /sys/fs/cgroup');
  t.equal(r.code, 0, r.stderr);
  const hostNames = readdirSync('/sys/fs/cgroup')
    .filter((n) => n !== 'unified' && parseMountinfo(hostMountinfo()).some((m) => m.mountPoint === `/sys/fs/cgroup/${n}` && m.fstype === 'cgroup'))
    .sort();
  t.same(r.stdout.split('\n').filter(Boolean).sort(), hostNames);
});
